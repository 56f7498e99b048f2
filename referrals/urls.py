"""Staff web pages for referrals (/referrals/, namespace "referrals"): referrals/views.py."""

from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk/", views.bulk, name="bulk"),
    path("residents/<uuid:pk>/refer/", views.referral_create, name="referral-create"),
    path("<uuid:pk>/", views.referral_detail, name="referral-detail"),
    path("<uuid:pk>/messages/", views.referral_message, name="referral-message"),
    path("<uuid:pk>/<slug:action>/", views.referral_answer, name="referral-answer"),
    path("webhooks/", views.webhook_list, name="webhook-list"),
    path("webhooks/deliveries/<int:delivery_pk>/send-again/", views.webhook_resend, name="webhook-resend"),
    path("webhooks/endpoints/<int:endpoint_pk>/switch-off/", views.webhook_deactivate, name="webhook-deactivate"),
]
