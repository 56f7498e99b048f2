"""Staff web pages for the service directory (/directory/): referrals/directory/views.py."""

from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.directory_search, name="directory-search"),
    path("ours/", views.service_list_own, name="service-list-own"),
    path("add/", views.service_add, name="service-add"),
    path("import/", views.service_import, name="service-import"),
    path("import/confirm/", views.service_import_confirm, name="service-import-confirm"),
    path("import/template.csv", views.service_import_template, name="service-import-template"),
    path("services/<uuid:pk>/", views.service_detail, name="service-detail"),
    path("services/<uuid:pk>/edit/", views.service_edit, name="service-edit"),
    path("services/<uuid:pk>/retire/", views.service_retire, name="service-retire"),
    path("services/<uuid:pk>/places/add/", views.location_add, name="location-add"),
    path("services/<uuid:pk>/places/<uuid:location_pk>/", views.location_edit, name="location-edit"),
    path("services/<uuid:pk>/places/<uuid:location_pk>/remove/", views.location_remove, name="location-remove"),
]
