"""Root URLs: staff web, Django admin, partner API and its documentation."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views
from .forms.residents import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
         name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("inclusion.security.urls")),
    path("organisation/switch/", views.switch_organisation, name="switch-organisation"),
    path("residents/", views.resident_search, name="resident-search"),
    path("residents/register/", views.resident_register, name="resident-register"),
    path("residents/matches/", views.duplicate_matches, name="duplicate-matches"),
    path("residents/<uuid:pk>/", views.resident_detail, name="resident-detail"),
    path("residents/<uuid:pk>/edit/", views.resident_edit, name="resident-edit"),
    path("residents/<uuid:pk>/equality/", views.resident_equality, name="resident-equality"),
    path("residents/<uuid:pk>/skills/", views.resident_skills, name="resident-skills"),
    path("residents/<uuid:pk>/notes/add/", views.note_add, name="note-add"),
    path("residents/<uuid:pk>/consent/add/", views.consent_record, name="consent-record"),
    path("residents/<uuid:pk>/consent/<int:consent_pk>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
    path("privacy/", include("inclusion.privacy.urls")),
    path("devices/", include("devices.urls")),
    path("messages/", include("inclusion.messaging.urls")),
    path("directory/", include("referrals.directory.urls")),
    path("referrals/", include("referrals.urls")),
    path("openreferral/", include("referrals.directory.openreferral_urls")),
    path("reports/", include("inclusion.reports.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("inclusion.api.urls", "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]  # fmt: skip

# Under /api/ these answer JSON in the API's one error format; elsewhere Django's own pages.
handler400 = "inclusion.api.errors.bad_request"
handler404 = "inclusion.api.errors.not_found"
handler500 = "inclusion.api.errors.server_error"
