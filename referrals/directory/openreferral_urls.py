"""The directory published as Open Referral UK 3.0 (/openreferral/), open to read without a key:
referrals/directory/openreferral.py. Paths as the standard writes them (no trailing slash), and with one."""

from django.urls import path

from . import openreferral

urlpatterns = [
    path("", openreferral.api_information, name="openreferral-information"),
    path("services", openreferral.service_list, name="openreferral-services"),
    path("services/", openreferral.service_list),
    path("services/<str:id>", openreferral.service_detail, name="openreferral-service"),
    path("services/<str:id>/", openreferral.service_detail),
]
