"""Accounts and sessions (SECURITY.md, "Accounts"): password hashing and rules, the two-step sign-in, the
session timeouts and endings, the password reset and the sign-in lockout."""

import re
import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from inclusion import choices
from inclusion.access import MFA_REQUIRED_ROLES
from inclusion.actors import Actor
from inclusion.security import middleware as session_security
from inclusion.services import membership_deactivate

from ..factories import MembershipFactory

pytestmark = pytest.mark.django_db

PASSWORD = "seven orange kites over Bilston"
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


def member(role=choices.Role.COORDINATOR, **kwargs):
    membership = MembershipFactory(role=role, **kwargs)
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership


def sign_in(client, membership, password=PASSWORD):
    return client.post(reverse("login"), {"username": membership.user.email, "password": password})


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


@pytest.fixture
def mfa_on(settings):
    settings.MFA_ENFORCED = True
    return settings


def enrol(client) -> tuple[TOTPDevice, list[str]]:
    page = client.get(reverse("mfa-enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    done = client.post(reverse("mfa-enrol"), {"code": code_for(device)})
    assert done.status_code == 302 and done.url == reverse("mfa-recovery-codes")
    shown = client.get(done.url)
    codes = re.findall(r"<li><strong>([a-z2-7]+)</strong></li>", shown.content.decode())
    return device, codes


# Passwords


def test_passwords_are_hashed_with_argon2_first_in_production_settings():
    from inclusion.settings import base

    assert base.PASSWORD_HASHERS == PRODUCTION_HASHERS


def test_an_older_hash_is_upgraded_to_argon2_when_its_owner_signs_in(settings, client):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    membership = MembershipFactory(role=choices.Role.FRONTLINE)
    from django.contrib.auth.hashers import make_password

    membership.user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    membership.user.save()
    assert sign_in(client, membership).status_code == 302
    membership.user.refresh_from_db()
    assert membership.user.password.startswith("argon2$argon2id$")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass 1", "at least 12 characters"),  # 12 exactly is allowed: 11 is not
        ("password1234", "too common"),
        ("Wolverhampton2025!", "too easy to guess"),
        ("digital-inclusion-1", "too easy to guess"),
        ("12345678901234", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(password, message):
    if password == "short pass 1":
        password = "short pass"  # 10 characters
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert message in " ".join(refused.value.messages)


def test_a_long_uncommon_passphrase_is_accepted():
    validate_password("seven orange kites over Bilston")
    validate_password("exactly12chr")


# Two-step sign-in


def test_coordinators_and_administrators_must_use_two_steps_and_frontline_staff_need_not(mfa_on):
    assert MFA_REQUIRED_ROLES == {choices.Role.COORDINATOR, choices.Role.ADMINISTRATOR}
    for role, gated in [(choices.Role.COORDINATOR, True), (choices.Role.ADMINISTRATOR, True),
                        (choices.Role.FRONTLINE, False), (choices.Role.VIEWER, False)]:  # fmt: skip
        client = Client()
        client.force_login(member(role).user)
        response = client.get(reverse("home"))
        if gated:
            assert response.status_code == 302 and response.url == reverse("mfa-enrol") + "?next=%2F", role
        else:
            assert response.status_code == 200, role


def test_django_admin_users_must_use_two_steps_and_see_no_menu_until_then(mfa_on, client):
    from ..factories import UserFactory

    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    assert client.get("/admin/").url == reverse("mfa-enrol") + "?next=%2Fadmin%2F"
    page = client.get(reverse("mfa-enrol")).content.decode()
    assert "govuk-service-navigation" not in page and reverse("logout") in page  # only the way out


def test_a_setting_requires_two_steps_of_everyone(mfa_on, client):
    mfa_on.MFA_REQUIRED_FOR_EVERYONE = True
    client.force_login(member(choices.Role.FRONTLINE).user)
    assert client.get(reverse("resident-search")).url.startswith(reverse("mfa-enrol"))


def test_enrol_with_a_qr_code_then_the_recovery_codes_are_shown_once(mfa_on, client):
    coordinator = member()
    client.force_login(coordinator.user)
    page = client.get(reverse("mfa-enrol")).content.decode()
    assert 'src="data:image/svg+xml' in page and "otpauth" not in page.split("data:image/svg+xml")[0]
    device = TOTPDevice.objects.get(user=coordinator.user)
    secret = re.search(r'<strong class="app-secret-key">([A-Z2-7 ]+)</strong>', page).group(1).replace(" ", "")
    assert secret == mfa_secret(device)
    wrong = client.post(reverse("mfa-enrol"), {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "The code is not right" in wrong.content.decode()
    device.throttling_failure_count = 0  # a wrong code makes the next wait a second: this test need not
    device.throttling_failure_timestamp = None
    device.save()
    done = client.post(reverse("mfa-enrol"), {"code": code_for(device)})
    assert done.url == reverse("mfa-recovery-codes")
    codes = re.findall(r"<li><strong>([a-z2-7]+)</strong></li>", client.get(done.url).content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.get(reverse("mfa-recovery-codes"))
    assert again.status_code == 302 and again.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200  # this session is signed in with two steps
    device.refresh_from_db()
    assert device.confirmed


def mfa_secret(device):
    from base64 import b32encode

    return b32encode(device.bin_key).decode().rstrip("=")


def test_after_the_password_the_code_is_asked_for_and_a_wrong_one_is_refused(mfa_on, client):
    coordinator = member()
    client.force_login(coordinator.user)
    device, codes = enrol(client)
    client.post(reverse("logout"))

    browser = Client()
    assert sign_in(browser, coordinator).status_code == 302
    gate = browser.get(reverse("resident-search"))
    assert gate.url == reverse("mfa-verify") + "?next=%2Fresidents%2F"
    assert browser.get(reverse("devices:voucher-stock")).status_code == 302  # every page, not only home
    refused = browser.post(reverse("mfa-verify"), {"code": "12345", "next": "/residents/"})
    assert "The security code is not right" in refused.content.decode()
    time.sleep(1.1)  # django-otp makes the next try wait after a wrong code
    passed = browser.post(reverse("mfa-verify"), {"code": code_for(device, steps_ahead=1), "next": "/residents/"})
    assert passed.status_code == 302 and passed.url == "/residents/"
    assert browser.get(reverse("resident-search")).status_code == 200


def test_a_recovery_code_signs_in_once(mfa_on, client):
    coordinator = member()
    client.force_login(coordinator.user)
    _, codes = enrol(client)
    first = Client()
    sign_in(first, coordinator)
    assert first.post(reverse("mfa-verify"), {"code": codes[0].upper()}).url == reverse("home")
    assert first.get(reverse("home")).status_code == 200
    second = Client()
    sign_in(second, coordinator)
    assert "not right" in second.post(reverse("mfa-verify"), {"code": codes[0]}).content.decode()
    assert StaticToken.objects.filter(device__user=coordinator.user).count() == 9


def test_the_next_address_after_the_code_stays_on_this_site(mfa_on, client):
    coordinator = member()
    client.force_login(coordinator.user)
    device, _ = enrol(client)
    browser = Client()
    sign_in(browser, coordinator)
    response = browser.post(reverse("mfa-verify"), {"code": code_for(device, 1), "next": "https://evil.example/"})
    assert response.url == reverse("home")


def test_api_keys_are_unaffected_by_two_step_sign_in(mfa_on, api_a, resident_a):
    mfa_on.MFA_REQUIRED_FOR_EVERYONE = True
    assert api_a.get(f"/api/v1/residents/{resident_a.pk}/").status_code == 200


# Sessions


def test_a_session_ends_after_the_idle_timeout(settings, client, monkeypatch):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    client.force_login(member(choices.Role.FRONTLINE).user)
    now = time.time()
    assert client.get(reverse("home")).status_code == 200
    monkeypatch.setattr(session_security.time, "time", lambda: now + 29 * 60)
    assert client.get(reverse("home")).status_code == 200  # still in use: the idle clock restarts
    monkeypatch.setattr(session_security.time, "time", lambda: now + 29 * 60 + 31 * 60)
    ended = client.get(reverse("home"), follow=True)
    assert ended.redirect_chain[0][0] == reverse("login")
    assert "had not used the service for 30 minutes" in ended.content.decode()
    monkeypatch.undo()
    assert client.get(reverse("home")).status_code == 302  # signed out for good


def test_a_session_ends_after_the_absolute_timeout_however_busy(settings, client, monkeypatch):
    settings.SESSION_ABSOLUTE_SECONDS = 10 * 60 * 60
    client.force_login(member(choices.Role.FRONTLINE).user)
    start = time.time()
    for minutes in range(0, 10 * 60, 20):  # a request every 20 minutes for 10 hours
        monkeypatch.setattr(session_security.time, "time", lambda m=minutes: start + m * 60)
        assert client.get(reverse("home")).status_code == 200, minutes
    monkeypatch.setattr(session_security.time, "time", lambda: start + 10 * 60 * 60 + 60)
    ended = client.get(reverse("home"), follow=True)
    assert "signed in for 10 hours" in ended.content.decode()


def test_deactivating_a_membership_ends_that_persons_sessions(client):
    membership = member(choices.Role.FRONTLINE)
    other = MembershipFactory(user=membership.user, role=choices.Role.FRONTLINE)  # a second organisation
    client.force_login(membership.user)
    assert client.get(reverse("home")).status_code == 200
    membership_deactivate(membership=membership, actor=Actor(organisation=membership.organisation))
    ended = client.get(reverse("home"), follow=True)
    assert "your access to an organisation changed" in ended.content.decode()
    assert "_auth_user_id" not in client.session
    # Signing in again works, for the membership still active.
    assert sign_in(client, other).status_code == 302
    assert client.get(reverse("home")).context["membership"] == other


def test_a_password_change_ends_every_other_session(client):
    membership = member(choices.Role.FRONTLINE)
    other_browser = Client()
    assert sign_in(other_browser, membership).status_code == 302
    assert other_browser.get(reverse("home")).status_code == 200
    membership.user.set_password("a completely new passphrase 9")
    membership.user.save()
    assert other_browser.get(reverse("home")).url.startswith(reverse("login"))


# Password reset


def test_password_reset_by_email_does_not_sign_in_and_the_code_is_still_asked_for(mfa_on, client):
    coordinator = member()
    client.force_login(coordinator.user)
    device, _ = enrol(client)
    client.post(reverse("logout"))

    assert client.post(reverse("password-reset"), {"email": "nobody@example.org"}).url == reverse("password-reset-sent")
    assert mail.outbox == []  # the same answer, and no email, for an address we do not know
    client.post(reverse("password-reset"), {"email": coordinator.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/account/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    assert "set-password" in set_url  # the token leaves the address bar (Django keeps it in the session)
    weak = client.post(set_url, {"new_password1": "wolverhampton1", "new_password2": "wolverhampton1"})
    assert "too easy to guess" in weak.content.decode()
    done = client.post(set_url, {"new_password1": "nine blue herons at Dudley", "new_password2":
                                 "nine blue herons at Dudley"})  # fmt: skip
    assert done.url == reverse("password-reset-complete")
    assert client.get(reverse("home")).url.startswith(reverse("login"))  # the reset signed nobody in
    sign_in(client, coordinator, password="nine blue herons at Dudley")
    assert client.get(reverse("home")).url.startswith(reverse("mfa-verify"))
    assert (
        client.get(link).status_code in (200, 302) and "does not work" in client.get(link, follow=True).content.decode()
    )


# Lockout


def test_five_failures_for_one_email_lock_it_out_from_that_address(client):
    membership = member(choices.Role.FRONTLINE)
    for _ in range(4):
        assert sign_in(client, membership, password="wrong " + PASSWORD).status_code == 200
    assert sign_in(Client(), membership).status_code == 302  # four failures do not lock
    client.post(reverse("logout"))
    for _ in range(5):
        sign_in(client, membership, password="wrong " + PASSWORD)
    locked = sign_in(client, membership)
    assert locked.status_code == 429 and "too many times" in locked.content.decode()


def test_failures_across_many_emails_from_one_address_lock_the_address_out(settings, client):
    settings.LOGIN_FAILURES_PER_ADDRESS = 20
    victim = member(choices.Role.FRONTLINE)
    for n in range(19):  # one guess at each of 19 addresses: a password spray
        assert client.post(reverse("login"), {"username": f"person{n}@example.org", "password": "Summer2025!"}
                           ).status_code == 200  # fmt: skip
    assert sign_in(Client(), victim).status_code == 302  # 19 do not lock the address
    Client().post(reverse("logout"))
    client.post(reverse("login"), {"username": "person19@example.org", "password": "Summer2025!"})
    locked = sign_in(Client(), victim)  # a correct password, from the same address
    assert locked.status_code == 429
    other_address = Client(REMOTE_ADDR="192.0.2.50")
    assert sign_in(other_address, victim).status_code == 302
