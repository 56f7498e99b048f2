"""Privacy pages (/privacy/): the access log, restriction, proposed contact updates, subject access, the retention review."""

from django.urls import path

from . import views

urlpatterns = [
    path("access-log/", views.access_log_own, name="access-log"),
    path("access-log/all/", views.access_log_all, name="access-log-all"),
    path("retention/", views.retention_review, name="retention-review"),
    path("retention/<uuid:pk>/", views.retention_decide, name="retention-decide"),
    path("residents/<uuid:pk>/subject-access/", views.subject_access, name="subject-access"),
    path("residents/<uuid:pk>/subject-access.pdf", views.subject_access_pdf, name="subject-access-pdf"),
    path("residents/<uuid:pk>/subject-access.json", views.subject_access_json, name="subject-access-json"),
    path("residents/<uuid:pk>/anonymise/", views.resident_anonymise, name="resident-anonymise"),
    path("residents/<uuid:pk>/restriction/", views.resident_restriction, name="resident-restriction"),
    path("residents/<uuid:pk>/contact/propose/", views.contact_propose, name="contact-propose"),
    path(
        "residents/<uuid:pk>/contact/<int:proposal_pk>/decide/",
        views.contact_proposal_decide,
        name="contact-proposal-decide",
    ),
]
