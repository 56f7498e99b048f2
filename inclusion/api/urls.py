"""/api/v1/: the partner API. Later apps register their viewsets on this router."""

from rest_framework.routers import DefaultRouter

from devices.api import urls as devices_api

from .views import OrganisationViewSet, ResidentViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("residents", ResidentViewSet, basename="resident")
router.register("organisations", OrganisationViewSet, basename="organisation")
devices_api.register(router)

urlpatterns = router.urls
