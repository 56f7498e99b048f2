"""Organisation B sees nothing of organisation A's residents, through any page or endpoint.

The test walks every URL the project has. Each must be either listed here as holding no
personal data, or take a resident (or an object that belongs to one) and answer 404 to B.
A new page that is neither fails this test until someone decides which it is.
"""

import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from devices.reservations.services import reservation_create
from devices.services import kit_create, kit_loan_create, loan_agreement_publish, loan_create
from devices.vouchers.services import voucher_issue
from inclusion.actors import Actor
from inclusion.messaging.models import Message
from inclusion.models import ContactProposal
from inclusion.privacy.proposals import contact_update_propose
from inclusion.reports.build import report_build
from inclusion.reports.models import ReportSnapshot
from inclusion.services import consent_record, note_add, resident_duplicate_check
from referrals.services import referral_create, referral_message_add
from referrals.webhooks import webhook_endpoint_create

from .devices.factories import DeviceFactory
from .devices.vouchers.factories import VoucherFactory
from .factories import MembershipFactory, OrganisationFactory, ResidentFactory
from .referrals.factories import ServiceFactory

pytestmark = pytest.mark.django_db

# Pages and endpoints that hold no resident data (sign-in, schema, admin: admin is for administrators
# and its resident views are checked for staff separately).
NO_PERSONAL_DATA = {
    "", "sign-in/", "sign-out/", "organisation/switch/", "api/schema/", "api/docs/",
    "api/v1/organisations/", "api/v1/organisations/<slug>/",
    # The service directory: what partners offer, never about a resident (tests/referrals/directory/ prove
    # that another organisation's service can be read but not changed).
    "directory/services/<uuid:pk>/", "directory/services/<uuid:pk>/edit/", "directory/services/<uuid:pk>/retire/",
    "directory/services/<uuid:pk>/places/add/", "directory/services/<uuid:pk>/places/<uuid:location_pk>/",
    "directory/services/<uuid:pk>/places/<uuid:location_pk>/remove/",
    "openreferral/", "openreferral/services/<str:id>", "openreferral/services/<str:id>/",
    "api/v1/services/<pk>/", "api/v1/services/<pk>/retire/",
    # The signed-in person's own account (inclusion.security): nothing of a resident's.
    "account/two-step/", "account/two-step/set-up/", "account/two-step/recovery-codes/", "account/password-reset/",
    "account/password-reset/sent/", "account/password-reset/<uidb64>/<token>/", "account/password-reset/done/",
    "messages/stages/", "messages/stages/add/", "messages/stages/<signed:offset>/",
}  # fmt: skip
# Lists and searches: B gets a 200 that must not mention A's resident.
LISTS = {
    "residents/": {"q": "Zeb"}, "residents/register/": {}, "residents/matches/": {}, "api/v1/residents/": {"q": "Zeb"},
    "devices/": {"q": "ZEB"}, "devices/add/": {}, "devices/loans/": {}, "devices/policy/": {}, "devices/agreement/": {}, "devices/check-in/": {}, "devices/kits/": {}, "devices/waiting-list/": {},
    "devices/export.csv": {}, "devices/export.xlsx": {}, "devices/labels/": {}, "devices/import/": {},
    "devices/vouchers/": {}, "devices/vouchers/import/": {}, "devices/vouchers/export.csv": {},
    "api/v1/devices/": {}, "api/v1/loans/": {}, "api/v1/kits/": {}, "api/v1/reservations/": {}, "api/v1/vouchers/": {}, "api/v1/voucher-batches/": {},
    # Reports: aggregates only (tests/reports/ checks that none lists a person).
    "reports/": {}, "reports/download.csv": {}, "reports/download.xlsx": {}, "reports/download.pdf": {},
    "reports/issued/": {}, "reports/issued/issue/": {},
    "api/v1/reports/monthly/": {"month": timezone.localdate().strftime("%Y-%m")}, "api/v1/reports/snapshots/": {},
    "directory/": {"q": "Zeb"}, "directory/ours/": {}, "directory/add/": {}, "directory/import/": {},
    "directory/import/template.csv": {},
    "openreferral/services": {}, "openreferral/services/": {"search": "Zeb"}, "api/v1/services/": {"q": "Zeb"},
    "referrals/": {"direction": "sent", "status": "all"}, "referrals/webhooks/": {},
    "api/v1/referrals/": {"status": "open"}, "api/v1/webhook-endpoints/": {}, "api/v1/webhook-deliveries/": {},
    "privacy/access-log/": {}, "privacy/retention/": {}, "api/v1/contact-proposals/": {},
    "messages/outbox/": {},
}  # fmt: skip
# Pages for administrators only (the whole scheme's): B's coordinator is refused, and shown nothing of A's.
ADMINISTRATORS_ONLY = {"privacy/access-log/all/": {"resident": "<pk>"}}
# Endpoints that only take a POST naming what to act on (tested for scoping in their own suites).
POST_ONLY = {"devices/import/confirm/", "devices/vouchers/import/confirm/", "api/v1/vouchers/issue/",
             "api/v1/voucher-batches/import/", "directory/import/confirm/", "referrals/bulk/", "api/v1/check-in/",
             "api/v1/kit-loans/"}  # fmt: skip
# Which of A's objects fills a route's parameter, where the name alone does not say.
PK_BY_PREFIX = {"api/v1/loans/": "loan_pk", "api/v1/vouchers/": "voucher_pk", "api/v1/voucher-batches/": "batch_pk",
                "reports/issued/": "snapshot_pk",
                "api/v1/reports/snapshots/": "snapshot_pk", "referrals/": "referral_pk", "api/v1/referrals/": "referral_pk",
                "referrals/residents/": "resident_pk", "api/v1/webhook-endpoints/": "endpoint_pk",
                "api/v1/webhook-deliveries/": "delivery_pk", "messages/outbox/": "message_pk",
                "api/v1/kit-loans/": "kit_loan_pk", "api/v1/reservations/": "reservation_pk",
                "api/v1/contact-proposals/": "proposal_pk"}  # fmt: skip


def _all_routes(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("admin/"):
                continue
            yield from _all_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route.replace("^", "").replace("$", ""))
            yield route


def _fill(route, ids):
    """'residents/<uuid:pk>/consent/<int:consent_pk>/withdraw/' → a real path to A's objects."""
    for prefix, name in PK_BY_PREFIX.items():
        if route.startswith(prefix):
            ids = {**ids, "pk": ids[name]}
    ids = {"action": "accept", **ids}
    for name, value in ids.items():
        for converter in ("uuid:", "int:", "slug:", ""):
            route = route.replace(f"<{converter}{name}>", str(value))
    return "/" + route


def _routes():
    return sorted({r for r in _all_routes() if "<format>" not in r and "<drf_format_suffix" not in r})


@pytest.fixture
def a_world(org_a, staff_a, actor_a):
    """A resident of A's with consent, a note, a loan of A's device and a voucher from A's stock."""
    resident = ResidentFactory(owning_organisation=org_a, first_name="Zebedee", last_name="Quartermaine")
    consent = consent_record(actor=actor_a, resident=resident, purpose="sharing", channel="paper")
    note_add(actor=actor_a, resident=resident, body="Private note about Zebedee")
    device = DeviceFactory(owning_organisation=org_a, asset_tag="ZEB-0001", serial_number="ZEBSERIAL")
    agreement = loan_agreement_publish(
        actor=actor_a, text="Zebedee's terms", return_instructions="Desk", contact="Desk"
    )
    loan = loan_create(actor=actor_a, device=device, resident=resident, agreement_method="signed_paper")
    kit = kit_create(actor=actor_a, name="Zeb kit", kinds=["tablet"])
    other = ResidentFactory(owning_organisation=org_a)
    reservation = reservation_create(actor=actor_a, resident=other, kind="laptop")
    kit_loan = kit_loan_create(actor=actor_a, kit=kit, resident=other,
                               devices=[DeviceFactory(owning_organisation=org_a, kind="tablet")],
                               agreement_method="signed_paper")  # fmt: skip
    VoucherFactory(batch__organisation=org_a, batch__reference="ZEBBATCH", code="ZEBCODE-Q7Q7")
    voucher = voucher_issue(actor=actor_a, resident=resident, kind="data_code")
    # A third partner's check matched Zebedee: on A's match log, and nowhere of B's.
    third = Actor.for_membership(MembershipFactory(organisation=OrganisationFactory(name="Gamma College")))
    resident_duplicate_check(actor=third, first_name="Z", last_name="Q", phone=str(resident.phone))
    # A's letter to Zebedee in the outbox.
    message = Message.objects.create(natural_key="isolation", kind="digest", audience="resident", organisation=org_a,
                                     resident=resident, channel="letter", body="Zebedee, bring back ZEB-0001")  # fmt: skip
    # A's own issued report (its figures in full: A's staff only).
    month = timezone.localdate().replace(day=1)
    snapshot = ReportSnapshot.objects.create(
        organisation=org_a,
        period_start=month,
        period_end=month,
        reason="Issued for the month",
        pdf=b"%PDF",
        xlsx=b"PK",
        figures=report_build(start=month, end=month + timedelta(days=1), organisation=org_a, viewer=org_a),
    )
    # A's referral of Zebedee to the third partner's course, with a message, told to A's webhook endpoint.
    endpoint, _ = webhook_endpoint_create(actor=actor_a, url="https://zeb-crm.example.org/hooks")
    referral = referral_create(actor=actor_a, resident=resident, service=ServiceFactory(organisation=third.organisation),
                               need="skills", reason="Zebedee wants to learn email")  # fmt: skip
    referral_message_add(actor=actor_a, referral=referral, body="Zebedee prefers mornings")
    # The third partner, linked by the referral, proposed a new address (the owner's to accept).
    proposal = contact_update_propose(actor=third, resident=resident, address_line_2="Flat ZEB")
    return {"pk": resident.pk, "snapshot_pk": snapshot.pk, "consent_pk": consent.pk, "resident": resident, "asset_tag": device.asset_tag,
            "loan_pk": loan.pk, "voucher_pk": voucher.pk, "batch_pk": voucher.batch_id,
            "referral_pk": referral.pk, "resident_pk": resident.pk, "endpoint_pk": endpoint.pk,
            "delivery_pk": endpoint.deliveries.get().pk, "message_pk": message.pk, "proposal_pk": proposal.pk,
            "third": third, "version": agreement.version, "kit_loan_pk": kit_loan.pk,
            "reservation_pk": reservation.pk}  # fmt: skip


@pytest.fixture
def client_b(client, org_b):
    """B at its most privileged: a coordinator, so a 404 comes from scoping, not from the role."""
    client.force_login(MembershipFactory(organisation=org_b, role="coordinator").user)
    return client


SECRETS = ("Zebedee", "Quartermaine", "Private note", "ZEB-0001", "ZEBSERIAL", "ZEBBATCH", "ZEBCODE", "Q7Q7")


def _assert_nothing_of(response, world):
    body = response.content.decode(errors="replace") if not getattr(response, "streaming", False) else (
        b"".join(response.streaming_content).decode(errors="replace"))  # fmt: skip
    for secret in (*SECRETS, str(world["pk"])):
        assert secret not in body, f"{response.request['PATH_INFO']} revealed {secret!r}"


def test_every_route_is_classified():
    unclassified = [
        r for r in _routes()
        if r not in NO_PERSONAL_DATA and r not in LISTS and r not in POST_ONLY and r not in ADMINISTRATORS_ONLY
        and "<" not in r
    ]  # fmt: skip
    assert unclassified == [], "Decide whether these hold personal data: add them to NO_PERSONAL_DATA or LISTS"


def test_organisation_b_gets_404_for_everything_of_organisation_a(client_b, api_b, a_world):
    checked = 0
    for route in _routes():
        if "<" not in route or route in NO_PERSONAL_DATA:
            continue
        path = _fill(route, a_world)
        assert "<" not in path, f"no test value for {route}"
        caller = api_b if path.startswith("/api/") else client_b
        for method in ("get", "post", "put", "patch"):
            response = getattr(caller, method)(path, {} if method == "get" else {"body": "x", "first_name": "Hacked"},
                                               **({"format": "json"} if caller is api_b and method != "get" else {}))  # fmt: skip
            if response.status_code == 405:
                continue
            assert response.status_code == 404, f"{method.upper()} {path} gave {response.status_code}"
            _assert_nothing_of(response, a_world)
            checked += 1
    assert checked >= 10
    resident = a_world["resident"]
    resident.refresh_from_db()
    assert resident.first_name == "Zebedee"
    # A's consent, note, loan, voucher, referral and message, the third partner's proposal; nothing by B
    assert resident.events.count() == 7
    assert ContactProposal.objects.get().status == "pending"
    assert resident.consents.get(purpose="sharing").is_current
    assert resident.loans.get().is_open and resident.vouchers.get().status == "issued"
    assert resident.referrals.get().status == "sent" and resident.referrals.get().messages.count() == 1


def test_lists_and_searches_show_organisation_b_nothing_of_organisation_a(client_b, api_b, a_world):
    for route, params in LISTS.items():
        caller = api_b if route.startswith("api/") else client_b
        response = caller.get("/" + route, params)
        assert response.status_code == 200, route
        if route.endswith(".xlsx"):
            from io import BytesIO

            from openpyxl import load_workbook

            cells = [str(c) for row in load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True)
                     for c in row]  # fmt: skip
            assert not any(secret in cell for secret in SECRETS for cell in cells), route
            continue
        _assert_nothing_of(response, a_world)


def test_administrators_only_pages_refuse_b_and_show_nothing_of_a(client_b, a_world):
    for route, params in ADMINISTRATORS_ONLY.items():
        response = client_b.get("/" + route, {k: str(a_world["pk"]) if v == "<pk>" else v for k, v in params.items()})
        assert response.status_code == 403, route
        _assert_nothing_of(response, a_world)


def test_b_home_page_shows_nothing_of_a(client_b, a_world):
    _assert_nothing_of(client_b.get("/"), a_world)


def test_organisation_a_does_see_its_own(client_a, a_world):
    assert "Zebedee" in client_a.get(f"/residents/{a_world['pk']}/").content.decode()
    assert "Zebedee" in client_a.get("/residents/", {"q": "zeb"}).content.decode()


def test_a_linked_organisation_changes_none_of_the_owners_fields_anywhere(client, a_world):
    """The third partner is linked to Zebedee (A's referral to its course): it sees him, but every page and
    endpoint that would change the owner's fields refuses it, and nothing of his record changes."""
    from inclusion.privacy.sharing import LINKED_MAY_CHANGE
    from inclusion.services import RESIDENT_FIELDS

    from .conftest import _api_client

    third = a_world["third"]
    resident = a_world["resident"]
    client.force_login(third.user)
    api = _api_client(third.organisation)
    before = {field: getattr(resident, field) for field in RESIDENT_FIELDS}
    assert client.get(f"/residents/{resident.pk}/").status_code == 200  # it serves him
    for route in ("residents/<uuid:pk>/edit/", "residents/<uuid:pk>/equality/"):
        for method in ("get", "post"):
            assert getattr(client, method)(_fill(route, a_world)).status_code == 404, route
    owner_fields = [field for field in RESIDENT_FIELDS if field not in LINKED_MAY_CHANGE]
    refused = []
    for field in owner_fields:  # its current value: refused all the same, so the answer tells nothing
        value = getattr(resident, field)
        value = value if isinstance(value, bool) else str(value) if value else ""
        response = api.patch(f"/api/v1/residents/{resident.pk}/", {field: value}, format="json")
        assert response.status_code in (400, 409), field  # 409 not_owner, or a schema error before that
        if response.status_code == 409:
            assert response.json()["errors"][0]["code"] == "not_owner"
            refused.append(field)
    assert len(refused) >= len(owner_fields) - 3, set(owner_fields) - set(refused)
    decide = _fill("privacy/residents/<uuid:pk>/contact/<int:proposal_pk>/decide/", a_world)
    assert client.post(decide, {"decision": "accept"}).status_code == 404
    resident.refresh_from_db()
    assert {field: getattr(resident, field) for field in RESIDENT_FIELDS} == before


# The same walk as someone of A's own who may not see A's residents: a viewer (reports only), a member of
# staff whose membership was deactivated while signed in, and a partner system whose key was revoked.


def _walk(caller, world, *, api: bool, methods=("get", "post"), between=None):
    """Every route (A's objects filled in) and every list, on the web or the API: {path: {method: status}} (a
    redirect as "302 <where to>"), each answer checked to show nothing of A's resident. `between()` runs after
    each request."""
    seen = {}
    for route in _routes():
        if route in NO_PERSONAL_DATA or route.startswith("api/") != api:
            continue
        path = _fill(route, world) if "<" in route else "/" + route
        for method in methods:
            params = LISTS.get(route, {}) if method == "get" else {"body": "x", "first_name": "Hacked"}
            response = getattr(caller, method)(path, params)
            if between is not None:
                between()
            if response.status_code == 405:
                continue
            _assert_nothing_of(response, world)
            status = response.status_code
            seen.setdefault(path, {})[method] = f"302 {response['Location'].split('?')[0]}" if status == 302 else status
    return seen


# The Open Referral UK feed is public: what partners offer, to anyone, signed in or not.
PUBLIC = {"/openreferral/services", "/openreferral/services/"}
# What a viewer may open in full at A: the public feed, the service directory and the reports (aggregates,
# tests/reports/ prove that none lists a person), nothing about a resident.
VIEWER_MAY_OPEN = PUBLIC | {"/directory/", "/directory/ours/"}


def test_a_viewer_of_the_same_organisation_is_refused_every_residents_page(client, org_a, a_world):
    client.force_login(MembershipFactory(organisation=org_a, role="viewer").user)
    seen = _walk(client, a_world, api=False)
    refused = {}
    for path, answers in seen.items():
        if path in VIEWER_MAY_OPEN or path.startswith("/reports/"):
            continue
        for method, status in answers.items():
            if status not in (403, 404):
                refused[f"{method.upper()} {path}"] = status
    assert refused == {}, "a viewer reached these"
    assert len(seen) >= 60
    a_world["resident"].refresh_from_db()
    assert a_world["resident"].first_name == "Zebedee" and a_world["resident"].events.count() == 7


def test_a_deactivated_member_is_signed_out_and_sent_to_sign_in_from_every_page(client, org_a, a_world):
    from django.conf import settings
    from django.shortcuts import resolve_url

    from inclusion.services import membership_deactivate

    membership = MembershipFactory(organisation=org_a, role="coordinator")
    client.force_login(membership.user)
    assert "Zebedee" in client.get(f"/residents/{a_world['pk']}/").content.decode()  # while active
    membership_deactivate(membership=membership)
    seen = {path: answers for path, answers in _walk(client, a_world, api=False).items() if path not in PUBLIC}
    sign_in = f"302 {resolve_url(settings.LOGIN_URL)}"
    statuses = {status for answers in seen.values() for status in answers.values()}
    assert statuses == {sign_in}, {
        path: answers for path, answers in seen.items() if set(answers.values()) != {sign_in}
    }
    assert len(seen) >= 60
    # ... and the API, which takes no session, is a 401 for it
    api_seen = _walk(client, a_world, api=True)
    assert {status for answers in api_seen.values() for status in answers.values()} == {401}


def test_a_revoked_key_is_401_at_every_endpoint(org_a, a_world):
    from rest_framework.test import APIClient

    from inclusion.models import OrganisationAPIKey
    from inclusion.services import api_key_create, api_key_revoke

    api_key, key = api_key_create(organisation=org_a, name="A's CRM")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get(f"/api/v1/residents/{a_world['pk']}/").status_code == 200  # before
    api_key_revoke(api_key=OrganisationAPIKey.objects.get(pk=api_key.pk))
    from django.core.cache import cache

    # (the failed-key throttle, tested on its own, would answer 429 after a few dozen tries from one address)
    seen = _walk(api, a_world, api=True, methods=("get", "post", "put", "patch", "delete"), between=cache.clear)
    assert len(seen) >= 40
    assert {status for answers in seen.values() for status in answers.values()} == {401}, {
        path: answers for path, answers in seen.items() if set(answers.values()) != {401}
    }
