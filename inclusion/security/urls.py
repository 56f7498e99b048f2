"""Account URLs (/account/): the two-step sign-in and the password reset. Pages here are reachable before
the second step (inclusion.security.middleware)."""

from django.urls import path

from . import views

urlpatterns = [
    path("two-step/", views.mfa_verify, name="mfa-verify"),
    path("two-step/set-up/", views.mfa_enrol, name="mfa-enrol"),
    path("two-step/recovery-codes/", views.mfa_recovery_codes, name="mfa-recovery-codes"),
    path("password-reset/", views.password_reset, name="password-reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", views.password_reset_confirm, name="password-reset-confirm"),
    path("password-reset/done/", views.password_reset_complete, name="password-reset-complete"),
]
