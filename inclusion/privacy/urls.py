"""Access log pages (/privacy/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("access-log/", views.access_log_own, name="access-log"),
    path("access-log/all/", views.access_log_all, name="access-log-all"),
    path("residents/<uuid:pk>/restriction/", views.resident_restriction, name="resident-restriction"),
]
