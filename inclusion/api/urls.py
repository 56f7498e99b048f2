"""/api/v1/: the partner API. The core's routes, then each app's (registered in inclusion.registry)."""

from rest_framework.routers import DefaultRouter

from .. import registry
from .views import ContactProposalViewSet, OrganisationViewSet, ResidentViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("residents", ResidentViewSet, basename="resident")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("contact-proposals", ContactProposalViewSet, basename="contact-proposal")
for register in registry.api_route_registrars():
    register(router)

urlpatterns = router.urls
