"""Everything under /api/ answers in the one error format, and no input makes it a 500 (issue 7, items 7-10).

Unrouted paths and malformed ids are 404, too-large bodies 413, server errors 500 with a correlation id
that is also in the log; writes without the trailing slash are served, not redirected or lost.
"""

import json
import logging

import pytest

from devices.models import Voucher
from inclusion.models import Resident

from ..devices.vouchers.factories import ProviderFactory, VoucherFactory
from ..factories import ResidentFactory

pytestmark = pytest.mark.django_db


def assert_json_404(response):
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"type": "client_error", "errors": [{"code": "not_found", "detail": "Not found.",
                                                                   "attr": None}]}  # fmt: skip


# --- 500s that bad input used to cause -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "activate/", "fail/", "withdraw/"])
def test_a_non_numeric_voucher_id_is_404_not_500(api_a, suffix):
    method = api_a.get if not suffix else api_a.post
    assert_json_404(method(f"/api/v1/vouchers/abc/{suffix}", format="json"))


def test_a_huge_voucher_or_loan_id_is_404_not_500(api_a):
    assert_json_404(api_a.get("/api/v1/vouchers/99999999999999999999999/"))
    assert_json_404(api_a.get("/api/v1/loans/99999999999999999999999/"))
    assert_json_404(api_a.get("/api/v1/voucher-batches/99999999999999999999999/"))


@pytest.mark.parametrize("offset", ["+16:00", "-16:30", "+23:59"])
def test_updated_after_with_a_time_zone_offset_beyond_15_59_is_understood(api_a, org_a, offset):
    ResidentFactory(owning_organisation=org_a)
    early = api_a.get("/api/v1/residents/", {"updated_after": f"2000-01-01T00:00:00{offset}"})
    assert early.status_code == 200, early.content
    assert early.json()["count"] == 1
    late = api_a.get("/api/v1/residents/", {"updated_after": f"2999-01-01T00:00:00{offset}"})
    assert late.status_code == 200 and late.json()["count"] == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/devices/DI%00/", "/api/v1/organisations/a%00b/", "/api/v1/devices/DI%00/wipe/",
             "/api/v1/residents/%00/", "/api/v1/nothing%01here/"],
)  # fmt: skip
def test_a_control_character_in_a_path_is_404_not_500(api_a, path):
    assert_json_404(api_a.get(path))
    assert_json_404(api_a.post(path, {}, format="json"))


# --- Trailing slashes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["production", "development"])
def test_a_write_without_the_trailing_slash_is_served_not_redirected(api_a, settings, debug):
    settings.DEBUG = debug
    body = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1958-04-02"}
    response = api_a.post("/api/v1/residents", body, format="json")
    assert response.status_code == 201, response.content
    resident = Resident.objects.get(pk=response.json()["id"])

    patched = api_a.patch(f"/api/v1/residents/{resident.pk}", {"first_name": "Augusta"}, format="json")
    assert patched.status_code == 200, patched.content
    note = api_a.post(f"/api/v1/residents/{resident.pk}/notes", {"body": "Called her"}, format="json")
    assert note.status_code == 201, note.content
    resident.refresh_from_db()
    assert resident.first_name == "Augusta"
    assert resident.events.filter(kind="note").count() == 1


def test_a_read_without_the_trailing_slash_is_served(api_a, resident_a):
    assert api_a.get("/api/v1/residents").status_code == 200
    assert api_a.get(f"/api/v1/residents/{resident_a.pk}").json()["id"] == str(resident_a.pk)


def test_an_action_without_the_trailing_slash_is_served(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    VoucherFactory(batch__organisation=org_a)
    issued = api_a.post("/api/v1/vouchers/issue", {"resident": str(resident.pk), "kind": "data_code"}, format="json")
    assert issued.status_code == 201, issued.content
    activated = api_a.post(f"/api/v1/vouchers/{issued.json()['id']}/activate", format="json")
    assert activated.status_code == 200 and activated.json()["status"] == "activated"


# --- 404s ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/v2/residents/", "/api/", "/api/v1/residents/not-a-uuid/",
             "/api/v1/residents/0000000-0000-0000-0000-0000000000000/", "/api/v1/loans/abc/return/"],
)  # fmt: skip
def test_unrouted_paths_and_malformed_ids_are_json_404(api_a, path):
    assert_json_404(api_a.get(path))
    assert_json_404(api_a.post(path, {}, format="json"))


def test_unrouted_api_paths_are_json_404_without_a_key_too(client):
    assert_json_404(client.get("/api/v1/nothing-here/"))


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_upper_case_uuid_in_a_path_is_accepted(api_a, resident_a):
    response = api_a.get(f"/api/v1/residents/{str(resident_a.pk).upper()}/")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(resident_a.pk)
    notes = api_a.post(f"/api/v1/residents/{str(resident_a.pk).upper()}/notes/", {"body": "Hi"}, format="json")
    assert notes.status_code == 201


# --- Body sizes ----------------------------------------------------------------------------------------------


def test_a_body_over_the_api_limit_is_413_in_the_error_format(api_a, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = {"first_name": "Ada", "last_name": "L", "date_of_birth": "1958-04-02", "accessibility_needs": "x" * 2000}
    response = api_a.post("/api/v1/residents/", body, format="json")
    assert response.status_code == 413, response.content
    [error] = response.json()["errors"]
    assert response.json()["type"] == "client_error"
    assert error["code"] == "request_too_large" and "1,000 bytes" in error["detail"]
    assert not Resident.objects.exists()


def test_a_body_over_djangos_own_limit_is_413_not_an_html_400(api_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"first_name": "x" * 5000})
    response = api_a.generic("POST", "/api/v1/residents/", body, content_type="application/json")
    assert response.status_code == 413, response.content
    assert response.json()["errors"][0]["code"] == "request_too_large"


# --- Address lengths ---------------------------------------------------------------------------------------


def test_an_address_over_the_limit_is_414_in_the_error_format_even_without_a_key(client, settings):
    settings.MAX_URL_LENGTH = 200
    response = client.get("/api/v1/vouchers/?" + "&".join(f"page_size={n}" for n in range(40)))
    assert response.status_code == 414, response.content
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "uri_too_long", "detail": response.json()["errors"][0]["detail"], "attr": None}],
    }
    assert "200 characters" in response.json()["errors"][0]["detail"]
    assert response["Cache-Control"] == "no-store"


def test_an_address_within_the_limit_is_answered_as_usual(client, settings):
    settings.MAX_URL_LENGTH = 200
    assert client.get("/api/v1/vouchers/?page_size=5").status_code == 401


def test_a_staff_page_address_over_the_limit_is_a_plain_414(client, settings):
    settings.MAX_URL_LENGTH = 50
    response = client.get("/residents/?q=" + "x" * 60)
    assert response.status_code == 414
    assert "too long" in response.content.decode()


def test_gunicorn_passes_long_request_lines_on_so_the_414_is_ours():
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert config["limit_request_line"] == 0


def test_the_voucher_import_takes_a_body_of_3_mb(api_a, org_a):
    """The README promises 100,000 codes in one import: more than Django's 2.5 MB default allows."""
    provider = ProviderFactory(slug="vodafone")
    vouchers = [{"code": f"VF-{n:07d}", "sim_serial": f"SERIAL-{n:024d}"} for n in range(45_000)]
    body = json.dumps({"provider": provider.slug, "kind": "data_code", "expires_on": "2999-01-01",
                       "dry_run": True, "vouchers": vouchers})  # fmt: skip
    assert len(body) > 3_000_000
    response = api_a.generic("POST", "/api/v1/voucher-batches/import/", body, content_type="application/json")
    assert response.status_code == 200, response.content[:500]
    assert response.json()["rows"] == 45_000
    assert not Voucher.objects.exists()  # a dry run


def test_the_voucher_import_has_a_limit_too(api_a, settings):
    settings.API_IMPORT_MAX_BODY_BYTES = 2000
    body = json.dumps({"provider": "x", "kind": "data_code", "expires_on": "2999-01-01",
                       "vouchers": [{"code": f"VF-{n:07d}"} for n in range(200)]})  # fmt: skip
    response = api_a.generic("POST", "/api/v1/voucher-batches/import/", body, content_type="application/json")
    assert response.status_code == 413


# --- Server errors -------------------------------------------------------------------------------------------


@pytest.mark.urls("tests.inclusion.broken_urls")
@pytest.mark.parametrize("path", ["/api/v1/broken/", "/api/v1/broken-plain/"], ids=["DRF view", "Django view"])
def test_a_server_error_is_json_with_a_correlation_id_that_is_in_the_log(org_a, api_a, path, caplog):
    api_a.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="inclusion.api"):
        response = api_a.get(path)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] == "server_error"
    [error] = body["errors"]
    reference = body["correlation_id"]
    assert len(reference) == 32 and reference in error["detail"]
    assert "secret detail" not in response.content.decode()
    [record] = [r for r in caplog.records if reference in r.getMessage()]
    assert record.exc_info and "secret detail" in str(record.exc_info[1])
    assert path in record.getMessage()


@pytest.mark.urls("tests.inclusion.broken_urls")
def test_each_server_error_gets_its_own_correlation_id(api_a):
    api_a.raise_request_exception = False
    first, second = api_a.get("/api/v1/broken/").json(), api_a.get("/api/v1/broken/").json()
    assert first["correlation_id"] != second["correlation_id"]
