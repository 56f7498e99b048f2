"""No personal data or keys in logs or URLs (SECURITY.md): the main flows run with every logger capturing at
DEBUG, then the captured text, every URL requested and every redirect are searched for the residents' names,
phones, emails, voucher codes, the password and the API key."""

import logging
import re

import pytest
from django.urls import reverse
from gunicorn.config import Config
from gunicorn.glogging import Logger

from inclusion import choices
from inclusion.models import Resident
from inclusion.services import api_key_create
from tests.devices.vouchers.factories import VoucherBatchFactory, VoucherFactory

from ..factories import MembershipFactory, ResidentFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 7"


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        text = self.format(record)
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture
def captured():
    handler = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("django", "django.request", "django.security", "axes",
                                                    "celery", "inclusion", "devices", "referrals")]  # fmt: skip
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    # Template variable lookups (crispy's optional settings) at DEBUG are noise, and name no data.
    loggers.append(logging.getLogger("django.template"))
    levels.append(loggers[-1].level)
    loggers[-1].setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def test_the_main_flows_log_no_names_phones_emails_codes_passwords_or_keys(client, org_a, captured):
    member = MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)
    member.user.set_password(PASSWORD)
    member.user.save()
    existing = ResidentFactory(owning_organisation=org_a, first_name="Philippa", last_name="Quarshie",
                               phone="07911 123458", email="philippa.q@example.org")  # fmt: skip
    voucher = VoucherFactory(batch=VoucherBatchFactory(organisation=org_a), code="SECRETCODE-98765")
    _, key = api_key_create(organisation=org_a, name="partner system")
    urls: list[str] = []
    captured.lines.clear()  # the test's own setup (factory_boy logs what it builds) is not the application

    def visit(method, url, **kwargs):
        urls.append(url)
        response = getattr(client, method)(url, **kwargs)
        if response.has_header("Location"):
            urls.append(response["Location"])
        return response

    # Web: a wrong password, then the right one; search, register, view, edit; issue and reveal a voucher.
    visit("post", reverse("login"), data={"username": member.user.email, "password": "wrong " + PASSWORD})
    assert (
        visit("post", reverse("login"), data={"username": member.user.email, "password": PASSWORD}).status_code == 302
    )
    visit("get", reverse("resident-search"), data={"q": "Quarshie"})
    details = {"first_name": "Rosalind", "last_name": "Tembo-Whitfield", "phone": "07911 123457",
               "email": "rosalind.tw@example.org", "postcode": "WV2 4AA", "date_of_birth_0": "3",
               "date_of_birth_1": "4", "date_of_birth_2": "1961", "preferred_language": "English",
               "needs_device": "on", "confirm_new": "on", "duplicates_seen": "1"}  # fmt: skip
    response = visit("post", reverse("resident-register"), data=details)
    assert response.status_code == 302, response.context["form"].errors
    registered = Resident.objects.get(last_name="Tembo-Whitfield")
    visit("get", reverse("resident-detail", kwargs={"pk": existing.pk}))
    visit("post", reverse("resident-edit", kwargs={"pk": existing.pk}), data={"first_name": ""})  # refused
    issued = visit("post", reverse("devices:voucher-issue", kwargs={"pk": existing.pk}),
                   data={"kind": voucher.batch.kind, "confirmed": "on"})  # fmt: skip
    voucher.refresh_from_db()
    assert voucher.resident_id == existing.pk, "the voucher was issued"
    assert voucher.code in visit("get", issued["Location"]).content.decode()
    shown = visit("post", reverse("devices:voucher-show-code", kwargs={"voucher_pk": voucher.pk}))
    assert voucher.code in shown.content.decode()
    # API: with the key, with a wrong key, bad input, another's resident.
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    visit("get", f"/api/v1/residents/{existing.pk}/", **auth)
    visit("get", "/api/v1/residents/", **auth)
    visit("post", "/api/v1/residents/", data={"first_name": "Sebastiane", "last_name": "Okonkwo-Lund",
          "phone": "not a phone 07911400789", "email": "seb.ol@example.org"}, content_type="application/json",
          **auth)  # fmt: skip
    visit("get", f"/api/v1/residents/{existing.pk}/", HTTP_AUTHORIZATION=f"Api-Key {key[:-4]}zzzz")
    visit("get", "/api/v1/residents/00000000-0000-0000-0000-000000000000/", **auth)
    visit("post", reverse("logout"))

    assert issued.status_code in (200, 302)
    secrets = [existing.first_name, existing.last_name, "07911123458", "7911 123458", existing.email,
               registered.first_name, registered.last_name, "123457", registered.email, "Sebastiane",
               "Okonkwo-Lund", "seb.ol@example.org", "07911400789", voucher.code, key, key.split(".")[-1],
               PASSWORD]  # fmt: skip
    logged = "\n".join(captured.lines)
    assert captured.lines, "the flows logged something (a 404, a refused key): the capture works"
    for secret in secrets:
        assert secret.lower() not in logged.lower(), f"{secret!r} is in the logs"
    for url in urls:
        for secret in secrets:
            assert secret.lower() not in url.lower() or url.startswith(reverse("resident-search")), (secret, url)


def test_the_access_log_records_paths_without_query_strings_or_referrers():
    """Searching puts the words in the staff member's own URL (a GET form, so the back button works); the
    access log of the server (gunicorn.conf.py) and the Referer sent elsewhere (Referrer-Policy) drop it."""
    config = Config()
    namespace: dict = {}
    exec(open("gunicorn.conf.py").read(), namespace)  # noqa: S102  our own config file
    config.set("accesslog", "-")
    config.set("access_log_format", namespace["access_log_format"])
    logger = Logger(config)

    class Response:
        status = "200 OK"
        sent = 1234
        headers = []
        response_length = 1234

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/residents/?q=Quarshie", "PATH_INFO": "/residents/",
               "QUERY_STRING": "q=Quarshie", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1",
               "HTTP_REFERER": "https://example.org/residents/?q=Quarshie", "HTTP_USER_AGENT": "test"}  # fmt: skip
    from datetime import timedelta

    atoms = logger.atoms(Response(), [("REFERER", environ["HTTP_REFERER"])], environ, timedelta(seconds=0.01))
    line = namespace["access_log_format"] % atoms
    assert "/residents/" in line and "Quarshie" not in line
    assert re.search(r'"GET /residents/ HTTP/1.1" 200', line)
