"""HTTP controls (SECURITY.md, "HTTP"): the headers on every page and API answer, cookies under the
production settings, the deploy checks, and the limits on request bodies and uploads."""

import json
import os
import re
import secrets
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from inclusion import choices

from ..factories import MembershipFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.strip().split(" ", 1)[0]: part.strip() for part in header.split(";") if part.strip()}


def test_every_page_has_a_nonce_policy_with_no_inline_script_and_no_framing(client_a, resident_a):
    response = client_a.get(reverse("resident-detail", kwargs={"pk": resident_a.pk}))
    policy = csp(response)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["default-src"] == "default-src 'self'"
    assert policy["object-src"] == "object-src 'none'" and policy["base-uri"] == "base-uri 'none'"
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the page has its scripts"
    for tag in scripts:  # every script is a file of ours or carries this response's nonce
        assert f'nonce="{nonce}"' in tag or re.search(r'\bsrc="/static/', tag), tag
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers (the policy would refuse them)"
    # A new nonce on every response.
    again = client_a.get(reverse("resident-detail", kwargs={"pk": resident_a.pk}))
    assert re.search(r"'nonce-([^']+)'", csp(again)["script-src"]).group(1) != nonce


@pytest.mark.parametrize("name", ["login", "api-docs"])
def test_public_pages_have_the_policy_and_their_inline_parts_carry_the_nonce(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", csp(response)["style-src"]).group(1)
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", response.content.decode()):
        assert f'nonce="{nonce}"' in tag or " src=" in tag, tag


def test_pages_and_api_answers_with_personal_data_are_never_stored(client_a, resident_a, api_a):
    page = client_a.get(reverse("resident-detail", kwargs={"pk": resident_a.pk}))
    api = api_a.get(f"/api/v1/residents/{resident_a.pk}/")
    refused = api_a.get("/api/v1/residents/00000000-0000-0000-0000-000000000000/")
    assert page.status_code == 200 and api.status_code == 200 and refused.status_code == 404
    for response in (page, api, refused):
        assert response["Cache-Control"] == "no-store"


def test_every_response_has_the_other_security_headers(client_a, api_a):
    for response in (client_a.get(reverse("home")), api_a.get("/api/v1/residents/")):
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        permissions = response["Permissions-Policy"]
        for feature in ("camera=(self)", "microphone=()", "geolocation=()", "payment=()"):
            assert feature in permissions


PRODUCTION_ENV = {"DJANGO_SETTINGS_MODULE": "inclusion.settings.production", "SECRET_KEY": secrets.token_urlsafe(48)}


@pytest.fixture(scope="module")
def production():
    """The production settings, as a fresh process loads them from the environment."""
    env = {**os.environ, **PRODUCTION_ENV}
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests when they run first, never in deployment
    names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
             "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE",
             "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY", "DEBUG"]  # fmt: skip
    code = (
        "import json, importlib; s = importlib.import_module('inclusion.settings.production'); "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=120, check=True)  # fmt: skip
    values = json.loads(result.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return SimpleNamespace(**values)


def test_production_sends_hsts_with_preload_and_redirects_to_https(production, client):
    with override_settings(
        SECURE_SSL_REDIRECT=production.SECURE_SSL_REDIRECT,
        SECURE_HSTS_SECONDS=production.SECURE_HSTS_SECONDS,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SECURE_HSTS_PRELOAD=production.SECURE_HSTS_PRELOAD,
        SECURE_PROXY_SSL_HEADER=production.SECURE_PROXY_SSL_HEADER,
    ):
        plain = client.get(reverse("login"))
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        secure = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert production.DEBUG is False


def test_production_cookies_are_secure_host_only_httponly_and_same_site(production, client):
    member = MembershipFactory(role=choices.Role.FRONTLINE)
    member.user.set_password("a long enough passphrase 1")
    member.user.save()
    names = ["SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]
    with override_settings(**{name: getattr(production, name) for name in names}):
        page = client.get(reverse("login"), secure=True)
        csrf = page.cookies["__Host-csrftoken"]
        response = client.post(
            reverse("login"),
            {"username": member.user.email, "password": "a long enough passphrase 1",
             "csrfmiddlewaretoken": csrf.value},
            secure=True,
        )  # fmt: skip
    assert response.status_code == 302
    session = response.cookies["__Host-session"]
    for cookie in (session, csrf):
        assert cookie["secure"] is True and cookie["httponly"] is True
        assert cookie["samesite"] == "Lax" and cookie["path"] == "/" and not cookie["domain"]


def test_manage_py_check_deploy_is_clean_at_warning_level():
    env = {**os.environ, **PRODUCTION_ENV}
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests when they run first, never in deployment
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


# Uploads: the staff web refuses a body over WEB_MAX_BODY_BYTES outright; the import forms refuse files over
# 5 MB and anything that is not a CSV or Excel file, with a message on the field.


@pytest.fixture
def coordinator(client, org_a):
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    return client


def test_a_staff_web_body_over_the_limit_is_413_before_it_is_read(coordinator, settings):
    settings.WEB_MAX_BODY_BYTES = 1024
    big = SimpleUploadedFile("devices.csv", b"asset_tag,kind\n" + b"A,laptop\n" * 200, content_type="text/csv")
    response = coordinator.post(reverse("devices:device-import"), {"file": big})
    assert response.status_code == 413
    assert response["Cache-Control"] == "no-store"
    small = SimpleUploadedFile("devices.csv", b"asset_tag,kind\nA,laptop\n", content_type="text/csv")
    assert coordinator.post(reverse("devices:device-import"), {"file": small}).status_code == 200


def test_the_default_body_limit_leaves_room_for_a_5_mb_import_and_no_more():
    assert 5 * 1024 * 1024 < settings.WEB_MAX_BODY_BYTES <= 6 * 1024 * 1024


@pytest.mark.parametrize("url", ["devices:device-import", "devices:voucher-import"])
def test_an_import_over_5_mb_is_refused_on_its_field(coordinator, url):
    content = b"asset_tag,kind\n" + b"x" * (5 * 1024 * 1024 + 10)
    response = coordinator.post(reverse(url), {"file": SimpleUploadedFile("big.csv", content)})
    assert response.status_code == 200
    assert "The selected file must be smaller than 5 MB" in response.content.decode()


@pytest.mark.parametrize("url", ["devices:device-import", "devices:voucher-import"])
def test_an_import_that_is_not_a_csv_or_excel_file_is_refused(coordinator, url):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    response = coordinator.post(reverse(url), {"file": SimpleUploadedFile("photo.png", png)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert not re.search(r"Import \d+ (device|voucher)", html)


def test_the_api_refuses_a_body_over_its_limit(api_a, settings):
    settings.API_MAX_BODY_BYTES = 2048
    response = api_a.post("/api/v1/residents/", {"first_name": "A" * 5000}, format="json")
    assert response.status_code == 413
    assert ResidentFactory._meta.model.objects.count() == 0
