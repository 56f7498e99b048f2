"""Two-factor sign-in: who must use it, enrolling an authenticator app, and checking a code.

A member of staff signs in with their password, then with a six-digit code from their authenticator app
(a TOTP device, django-otp) or one of ten recovery codes (a static device: each works once). Who must:
coordinators and administrators (inclusion.access.MFA_REQUIRED_ROLES), anyone who can use the Django admin,
and everyone when settings.MFA_REQUIRED_FOR_EVERYONE is on. API keys are unaffected: the partner API has
no sessions.
"""

from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..access import MFA_REQUIRED_ROLES

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def mfa_required(user, memberships) -> bool:
    """Whether `user` must sign in with a second factor (with `memberships`, their active memberships)."""
    if not settings.MFA_ENFORCED or not user.is_authenticated:
        return False
    if settings.MFA_REQUIRED_FOR_EVERYONE or user.is_staff or user.is_superuser:
        return True
    return any(membership.role in MFA_REQUIRED_ROLES for membership in memberships)


def mfa_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_enrolment_start(user) -> TOTPDevice:
    """The authenticator-app device being set up for `user` (unconfirmed until a code from it is entered):
    the same one until it is confirmed, so reloading the page keeps the QR code the app has scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def mfa_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code (a data: URI for an <img>: allowed by the CSP)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def mfa_secret_text(device: TOTPDevice) -> str:
    """The secret for typing into an app by hand, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def mfa_enrolment_confirm(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app `device` with a `code` from it: it replaces any app set up before, ten new recovery
    codes replace any old ones, and this session counts as signed in with two factors. Returns the recovery
    codes (to be shown once), or None if the code is wrong."""
    if not device.verify_token(_digits(code)):
        return None
    user = device.user
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
    otp_login(request, device)
    return codes


def mfa_verify(request, code: str) -> bool:
    """Check a code from the user's app, or one of their recovery codes (used up by this), and mark the
    session as signed in with two factors. Each device counts failures and makes the next try wait
    (django-otp's throttling), so codes cannot be guessed quickly."""
    user = request.user
    cleaned = _digits(code)
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            token = cleaned if isinstance(device, TOTPDevice) else code.strip().lower().replace(" ", "")
            if device.verify_is_allowed()[0] and device.verify_token(token):
                otp_login(request, device)
                return True
    return False


def _digits(code: str) -> str:
    return "".join(character for character in (code or "") if not character.isspace() and character != "-")
