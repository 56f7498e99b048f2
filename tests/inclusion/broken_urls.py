"""The project's URLs plus two endpoints under /api/ that fail, to see what a server error looks like."""

from django.urls import path
from rest_framework.views import APIView

from inclusion.api.authentication import HasOrganisationAPIKey
from inclusion.urls import handler400, handler404, handler500, urlpatterns  # noqa: F401


class BrokenApiView(APIView):
    permission_classes = [HasOrganisationAPIKey]

    def get(self, request):
        raise RuntimeError("secret detail that must not reach the client")


def broken_plain_view(request):
    raise RuntimeError("secret detail that must not reach the client")


urlpatterns = [
    path("api/v1/broken/", BrokenApiView.as_view()),
    path("api/v1/broken-plain/", broken_plain_view),
    *urlpatterns,
]
