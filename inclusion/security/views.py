"""Account pages: the two-factor step after the password, setting up an authenticator app, the recovery
codes (shown once), and the password reset pages (which sign nobody in: the two-factor step still follows)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from ..web import posted
from . import mfa
from .forms import CodeForm, NewPasswordForm, ResetRequestForm

RECOVERY_CODES = "security.recovery_codes"
WRONG_CODE = "The security code is not right. Enter the 6 numbers your app shows now, or a recovery code"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


@never_cache
@login_required
def mfa_verify(request):
    """The second step of signing in: a code from their app, or a recovery code."""
    if not mfa.mfa_enrolled(request.user):
        return redirect("mfa-enrol")
    if request.user.is_verified():
        return redirect(_next(request))
    form = CodeForm(
        posted(request),
        label="Security code",
        help_text="The 6 numbers your authenticator app shows for this service. Lost your phone? Enter one of "
        "your recovery codes.",
    )
    if form.is_valid():
        if mfa.mfa_verify(request, form.cleaned_data["code"]):
            return redirect(_next(request))
        form.add_error("code", WRONG_CODE)
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next(request)})


@never_cache
@login_required
def mfa_enrol(request):
    """Set up an authenticator app: scan the QR code (or type the key), then enter the code it shows."""
    if mfa.mfa_enrolled(request.user) and not request.user.is_verified():
        return redirect("mfa-verify")
    device = mfa.mfa_enrolment_start(request.user)
    form = CodeForm(
        posted(request),
        label="Enter the 6 numbers your app shows",
        help_text="The numbers change every 30 seconds.",
        button="Turn on two-step sign-in",
    )
    if form.is_valid():
        codes = mfa.mfa_enrolment_confirm(request, device, form.cleaned_data["code"])
        if codes is not None:
            request.session[RECOVERY_CODES] = codes
            return redirect("mfa-recovery-codes")
        form.add_error("code", "The code is not right. Enter the 6 numbers your app shows now")
    return render(
        request,
        "accounts/mfa_enrol.html",
        {"form": form, "qr": mfa.mfa_qr_svg(device), "secret": mfa.mfa_secret_text(device),
         "replacing": mfa.mfa_enrolled(request.user)},
    )  # fmt: skip


@never_cache
@login_required
def mfa_recovery_codes(request):
    """The recovery codes, once: they leave the session as this page is made."""
    codes = request.session.pop(RECOVERY_CODES, None)
    if not codes:
        messages.info(request, "Your recovery codes were shown when you set up two-step sign-in and cannot be "
                               "shown again. To get new ones, set up your authenticator app again.")  # fmt: skip
        return redirect("home")
    return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes})


password_reset = auth_views.PasswordResetView.as_view(
    form_class=ResetRequestForm,
    template_name="registration/password_reset_form.html",
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
    success_url=reverse_lazy("password-reset-sent"),
)
password_reset_sent = auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_sent.html")
# post_reset_login stays False: a new password signs nobody in, so the two-step sign-in still follows it.
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    form_class=NewPasswordForm,
    template_name="registration/password_reset_confirm.html",
    success_url=reverse_lazy("password-reset-complete"),
    post_reset_login=False,
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)
