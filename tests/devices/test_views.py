"""Devices staff web: every form with valid and invalid input (nothing saved on invalid), roles, another
organisation's devices and loans as 404, scanned tags, and a lend that loses the race."""

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from devices import services
from devices.models import Device, DeviceEvent, DeviceStatus, Loan, LoanPolicy, Wipe
from devices.reservations.services import reservation_create
from inclusion import choices
from inclusion.actors import Actor
from inclusion.models import CaseEvent

from ..factories import MembershipFactory, ResidentFactory
from .factories import DeviceFactory

S = DeviceStatus
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _client(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def coordinator_a(org_a):
    return MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)


@pytest.fixture
def coord(coordinator_a):
    return _client(coordinator_a)


@pytest.fixture
def coord_actor(coordinator_a):
    return Actor.for_membership(coordinator_a)


@pytest.fixture
def viewer(org_a):
    return _client(MembershipFactory(organisation=org_a, role=choices.Role.VIEWER))


@pytest.fixture
def device(org_a):
    return DeviceFactory(owning_organisation=org_a, asset_tag="LAP-001", accessories=["charger", "case"])


@pytest.fixture
def loan(actor_a, device, resident_a):
    return services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="signed_paper")


def _content(response) -> str:
    return response.content.decode()


def _assert_form_error(response, field, message):
    assert response.status_code == 200
    content = _content(response)
    assert "There is a problem" in content, "no error summary"
    assert message in content
    errors = response.context["form"].errors
    assert message in " ".join(str(e) for e in errors[field or "__all__"]), errors


def _snapshot(device):
    device.refresh_from_db()
    return (device.status, device.events.count(), Loan.objects.count(), Wipe.objects.count())


# Stock list


def test_stock_list_shows_own_devices_and_counts_by_status(client_a, org_a, org_b, device):
    DeviceFactory(owning_organisation=org_a, asset_tag="TAB-001", kind="tablet", status=S.IN_REPAIR)
    DeviceFactory(owning_organisation=org_b, asset_tag="OTHER-001")
    response = client_a.get(reverse("devices:device-list"))
    content = _content(response)
    assert response.status_code == 200
    assert "LAP-001" in content and "TAB-001" in content and "OTHER-001" not in content
    counts = {value: count for value, _, count in response.context["counts"]}
    assert counts["ready"] == 1 and counts["in_repair"] == 1 and counts["on_loan"] == 0


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"status": "in_repair"}, "TAB-001", "LAP-001"),
        ({"kind": "tablet"}, "TAB-001", "LAP-001"),
        ({"location": "Store room"}, "TAB-001", "LAP-001"),
        ({"q": "tab", "kind": "tablet"}, "TAB-001", "LAP-001"),
        ({"q": "lap"}, "LAP-001", "TAB-001"),
    ],
)
def test_stock_list_filters(client_a, org_a, device, query, shown, hidden):
    DeviceFactory(owning_organisation=org_a, asset_tag="TAB-001", kind="tablet", status=S.IN_REPAIR,
                  location="Store room")  # fmt: skip
    content = _content(client_a.get(reverse("devices:device-list"), query))
    assert f">{shown}<" in content and f">{hidden}<" not in content


def test_a_scanned_tag_in_the_stock_search_opens_the_device(client_a, device):
    response = client_a.get(reverse("devices:device-list"), {"q": "  lap-001 "})
    assert response.status_code == 302 and response.url == reverse("devices:device-detail", args=["LAP-001"])


def test_stock_list_with_a_bad_filter_shows_an_error(client_a, device):
    response = client_a.get(reverse("devices:device-list"), {"status": "melted"})
    assert "There is a problem" in _content(response) and "Select a valid choice" in _content(response)


# Device page


def test_device_page_shows_details_history_wipes_and_current_loan(client_a, actor_a, org_a, resident_a):
    device = services.device_create(actor=actor_a, kind="laptop", make="Dell", model="Latitude 5490",
                                    accessories=["charger"])  # fmt: skip
    services.device_wipe_record(actor=actor_a, device=device, method="nist_purge", wiped_on=date.today(),
                                operator="R. Patel", certificate_reference="CERT-77")  # fmt: skip
    services.device_transition(actor=actor_a, device=device, to_status=S.READY, note="Checked, battery fine")
    services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    content = _content(client_a.get(reverse("devices:device-detail", args=[device.asset_tag.lower()])))
    assert "Dell Latitude 5490" in content and "Charger" in content
    assert "CERT-77" in content and "R. Patel" in content
    assert "Wiped → Ready to lend" in content and "Checked, battery fine" in content
    assert "Marked ready to lend" in content and "Received into stock" in content
    assert "On loan to" in content and "Margaret Oduya" in content
    assert str(actor_a.user) in content


def _buttons(response):
    return [action["label"] for action in response.context["actions"]]


def test_device_page_offers_only_the_moves_the_table_allows(coord, client_a, org_a, actor_a, resident_a):
    ready = DeviceFactory(owning_organisation=org_a, asset_tag="R-1", status=S.READY)
    assert _buttons(coord.get(reverse("devices:device-detail", args=["R-1"]))) == [
        "Lend this device", "Send for repair", "Retire it"]  # fmt: skip
    assert _buttons(client_a.get(reverse("devices:device-detail", args=["R-1"]))) == ["Lend this device"]
    received = DeviceFactory(owning_organisation=org_a, asset_tag="R-2", status=S.RECEIVED)
    assert _buttons(coord.get(reverse("devices:device-detail", args=[received.asset_tag]))) == [
        "Record a wipe", "Retire it"]  # fmt: skip
    services.loan_create(actor=actor_a, device=ready, resident=resident_a, agreement_method="signed_paper")
    assert _buttons(coord.get(reverse("devices:device-detail", args=["R-1"]))) == [
        "Record a return", "Report lost or stolen", "Give it to them to keep"]  # fmt: skip
    assert _buttons(client_a.get(reverse("devices:device-detail", args=["R-1"]))) == [
        "Record a return", "Report lost or stolen"]  # fmt: skip
    retired = DeviceFactory(owning_organisation=org_a, asset_tag="R-3", status=S.RETIRED)
    assert _buttons(coord.get(reverse("devices:device-detail", args=[retired.asset_tag]))) == []


# Roles and other organisations


STOCK_PAGES = ["devices:device-edit", "devices:device-wipe", "devices:device-status"]


@pytest.mark.parametrize("name", STOCK_PAGES)
def test_frontline_staff_cannot_manage_stock(client_a, device, name):
    for method in ("get", "post"):
        response = getattr(client_a, method)(reverse(name, args=[device.asset_tag]))
        assert response.status_code == 403
        assert "Only coordinators and administrators" in _content(response)
    assert client_a.get(reverse("devices:device-add")).status_code == 403
    assert client_a.post(reverse("devices:device-add"), {"kind": "laptop"}).status_code == 403
    assert Device.objects.count() == 1


def test_frontline_cannot_gift_or_change_the_policy(client_a, loan):
    assert client_a.get(reverse("devices:loan-gift", args=[loan.pk])).status_code == 403
    assert client_a.post(reverse("devices:loan-gift", args=[loan.pk]), {"confirm": "on"}).status_code == 403
    assert client_a.get(reverse("devices:loan-policy")).status_code == 200  # they may read it
    assert client_a.post(reverse("devices:loan-policy"), {"default_length_days": "90"}).status_code == 403
    loan.refresh_from_db()
    assert loan.is_open


def test_viewer_sees_no_device_or_loan_page(viewer, device, loan, resident_a):
    urls = [
        reverse("devices:device-list"), reverse("devices:loan-list"), reverse("devices:loan-policy"),
        reverse("devices:device-detail", args=[device.asset_tag]), reverse("devices:device-add"),
        reverse("devices:device-lend", args=[device.asset_tag]), reverse("devices:loan-detail", args=[loan.pk]),
        reverse("devices:loan-return", args=[loan.pk]), reverse("devices:loan-create", args=[resident_a.pk]),
    ]  # fmt: skip
    for url in urls:
        assert viewer.get(url).status_code == 403, url
        assert viewer.post(url, {}).status_code == 403, url


@pytest.mark.parametrize("role", [choices.Role.COORDINATOR, choices.Role.FRONTLINE])
def test_another_organisations_device_and_loan_are_404(org_b, device, loan, role):
    other = _client(MembershipFactory(organisation=org_b, role=role))
    device_urls = [reverse(name, args=[device.asset_tag]) for name in
                   ("devices:device-detail", "devices:device-lend", *STOCK_PAGES)]  # fmt: skip
    loan_urls = [reverse(name, args=[loan.pk]) for name in
                 ("devices:loan-detail", "devices:loan-return", "devices:loan-extend", "devices:loan-report-lost",
                  "devices:loan-gift")]  # fmt: skip
    before = _snapshot(device)
    for url in device_urls + loan_urls:
        assert other.get(url).status_code == 404, url
        assert other.post(url, {"condition": "good", "reason": "x", "to_status": "retired", "confirm": "on",
                                "stolen": "yes", "notes": "x"}).status_code == 404, url  # fmt: skip
    assert _snapshot(device) == before
    content = _content(other.get(reverse("devices:loan-list"), {"status": "open"}))
    assert "LAP-001" not in content and "Oduya" not in content
    assert "LAP-001" not in _content(other.get(reverse("devices:device-list")))


def test_lending_to_another_organisations_resident_is_404(client_b, org_b, resident_a):
    DeviceFactory(owning_organisation=org_b, asset_tag="B-1")
    url = reverse("devices:loan-create", args=[resident_a.pk])
    assert client_b.get(url).status_code == 404
    assert (
        client_b.post(
            url, {"asset_tag": "B-1", "agreement_method": "on_screen", "agreement_accepted": "on"}
        ).status_code
        == 404
    )
    assert not Loan.objects.exists()


# Add and edit a device

VALID_DEVICE = {
    "kind": "laptop", "make": "Lenovo", "model": "ThinkPad T14", "serial_number": "PF-123",
    "accessories": ["charger", "mouse"], "condition": "good", "source": "donated", "donor": "Acme Ltd",
    "location": "Central Library",
}  # fmt: skip


def test_add_a_device(coord, org_a):
    response = coord.post(reverse("devices:device-add"), {**VALID_DEVICE, "asset_tag": " lap 77 "}, follow=True)
    device = Device.objects.get()
    assert device.asset_tag == "LAP 77" and device.owning_organisation == org_a and device.status == S.RECEIVED
    assert device.accessories == ["charger", "mouse"] and device.donor == "Acme Ltd"
    assert response.redirect_chain[-1][0] == reverse("devices:device-detail", args=["LAP 77"])
    assert "LAP 77 is added to your stock." in _content(response)


def test_add_a_device_without_a_tag_gets_the_next_one(coord):
    coord.post(reverse("devices:device-add"), VALID_DEVICE)
    assert Device.objects.get().asset_tag.startswith("AC-")  # Alpha Council's prefix


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": ""}, "kind", "Choose what kind of device it is"),
        ({"kind": "toaster"}, "kind", "Choose a kind from the list"),
        ({"condition": ""}, "condition", "Choose what condition it is in"),
        ({"source": ""}, "source", "Choose where it came from"),
        ({"make": "x" * 101}, "make", "Make must be 100 characters or fewer"),
        ({"accessories": ["jetpack"]}, "accessories", "Choose accessories from the list"),
        ({"asset_tag": "LAP-001"}, "asset_tag", "Asset tag LAP-001 is already in use."),
        ({"asset_tag": "LAP/9"}, "asset_tag", "Use letters, digits, spaces, dots, hyphens or underscores."),
    ],
)
def test_add_a_device_with_bad_input_saves_nothing(coord, device, changes, field, message):
    response = coord.post(reverse("devices:device-add"), {**VALID_DEVICE, **changes})
    _assert_form_error(response, field, message)
    assert Device.objects.count() == 1


def test_edit_a_device(coord, device):
    response = coord.post(reverse("devices:device-edit", args=[device.asset_tag]),
                          {**VALID_DEVICE, "location": "Basement"}, follow=True)  # fmt: skip
    assert "The details of LAP-001 are saved." in _content(response)
    device.refresh_from_db()
    assert device.location == "Basement" and device.model == "ThinkPad T14" and device.status == S.READY
    assert DeviceEvent.objects.filter(device=device, action="update details").exists()


def test_edit_a_device_with_bad_input_changes_nothing(coord, device):
    response = coord.post(reverse("devices:device-edit", args=[device.asset_tag]),
                          {**VALID_DEVICE, "location": "Basement", "kind": ""})  # fmt: skip
    _assert_form_error(response, "kind", "Choose what kind of device it is")
    device.refresh_from_db()
    assert device.location == "Main office" and not device.events.exists()


def test_edit_form_shows_the_current_details(coord, device):
    response = coord.get(reverse("devices:device-edit", args=[device.asset_tag]))
    assert 'value="ThinkPad T480"' in _content(response)
    assert response.context["form"]["accessories"].value() == ["charger", "case"]
    assert re.search(r'value="charger"\s+checked="checked"', _content(response))
    assert not re.search(r'value="mouse"\s+checked="checked"', _content(response))


# Wipes

VALID_WIPE = {"method": "nist_purge", "wiped_on_0": "", "wiped_on_1": "", "wiped_on_2": "", "operator": "R. Patel",
              "certificate_reference": "BL-99"}  # fmt: skip


def _wipe_date(day):
    return {"wiped_on_0": str(day.day), "wiped_on_1": str(day.month), "wiped_on_2": str(day.year)}


def test_record_a_wipe(coord, org_a):
    device = DeviceFactory(owning_organisation=org_a, asset_tag="W-1", status=S.RECEIVED)
    response = coord.post(reverse("devices:device-wipe", args=["W-1"]), {**VALID_WIPE, **_wipe_date(TODAY())},
                          follow=True)  # fmt: skip
    assert "Wipe recorded." in _content(response)
    device.refresh_from_db()
    wipe = Wipe.objects.get()
    assert device.status == S.WIPED and wipe.certificate_reference == "BL-99" and wipe.wiped_on == TODAY()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"method": ""}, "method", "Choose how it was wiped"),
        ({"operator": ""}, "operator", "Enter who carried out the wipe"),
        ({"wiped_on_0": ""}, "wiped_on", "Date of the wipe must include a day"),
        ({"wiped_on_0": "", "wiped_on_1": "", "wiped_on_2": ""}, "wiped_on", "Enter the date of the wipe"),
        ({"wiped_on_0": "31", "wiped_on_1": "2"}, "wiped_on", "Date of the wipe must be a real date"),
        ({"wiped_on_1": "x"}, "wiped_on", "Date of the wipe must be a real date"),
        ({"wiped_on_2": str(date.today().year + 1)}, "wiped_on", "Date of the wipe must be today or in the past"),
    ],
)
def test_bad_wipe_saves_nothing(coord, org_a, changes, field, message):
    device = DeviceFactory(owning_organisation=org_a, asset_tag="W-1", status=S.RECEIVED)
    data = {**VALID_WIPE, **_wipe_date(TODAY()), **changes}
    _assert_form_error(coord.post(reverse("devices:device-wipe", args=["W-1"]), data), field, message)
    assert _snapshot(device) == (S.RECEIVED, 0, 0, 0)


def test_wipe_of_a_device_on_loan_is_refused_with_the_reason(coord, loan, device):
    data = {**VALID_WIPE, **_wipe_date(TODAY())}
    response = coord.post(reverse("devices:device-wipe", args=[device.asset_tag]), data)
    _assert_form_error(response, None, "LAP-001 is on loan, so you cannot record a wipe.")
    assert not Wipe.objects.exists()


# Status changes


def test_mark_a_wiped_device_ready(coord, org_a):
    device = DeviceFactory(owning_organisation=org_a, asset_tag="W-1", status=S.WIPED)
    page = coord.get(reverse("devices:device-status", args=["W-1"]), {"to": "ready"})
    assert [value for value, _ in page.context["form"].fields["to_status"].choices] == ["ready", "in_repair", "retired"]
    assert page.context["form"]["to_status"].value() == "ready"
    response = coord.post(reverse("devices:device-status", args=["W-1"]),
                          {"to_status": "ready", "note": "Tested"}, follow=True)  # fmt: skip
    assert "W-1 is now ready to lend." in _content(response)
    device.refresh_from_db()
    assert device.status == S.READY and device.events.get().note == "Tested"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "to_status", "Choose what is happening to it"),
        ({"to_status": "on_loan"}, "to_status", "Choose what is happening to it"),
        ({"to_status": "written_off"}, None, "LAP-001 is ready to lend, so you cannot write off."),
        ({"to_status": "retired", "note": "x" * 2001}, "note", "Note must be 2000 characters or fewer"),
    ],
)
def test_bad_status_change_changes_nothing(coord, device, data, field, message):
    response = coord.post(reverse("devices:device-status", args=[device.asset_tag]), data)
    _assert_form_error(response, field, message)
    assert _snapshot(device) == (S.READY, 0, 0, 0)


# Lending


def _lend_data(**changes):
    return {"asset_tag": "LAP-001", "agreement_method": "signed_paper", "agreement_accepted": "on", **changes}


def test_lend_a_device_from_the_resident_page(client_a, device, resident_a):
    page = client_a.get(reverse("resident-detail", args=[resident_a.pk]))
    assert reverse("devices:loan-create", args=[resident_a.pk]) in _content(page)
    form_page = _content(client_a.get(reverse("devices:loan-create", args=[resident_a.pk])))
    assert "terms version 2026-01" in form_page and "autofocus" in form_page and 'autocomplete="off"' in form_page
    response = client_a.post(reverse("devices:loan-create", args=[resident_a.pk]), _lend_data(notes="Needs Wi-Fi"),
                             follow=True)  # fmt: skip
    loan = Loan.objects.get()
    assert loan.resident == resident_a and loan.device == device and loan.agreement_terms_version == "2026-01"
    assert loan.due_on == services.loan_due_date(services.loan_policy_for(device.owning_organisation), TODAY(), 28)
    assert response.redirect_chain[-1][0] == reverse("resident-detail", args=[resident_a.pk]) + "#devices"
    content = _content(response)
    assert f"is lent to Margaret Oduya, due back {loan.due_on:%-d %B %Y}." in content
    assert reverse("devices:loan-detail", args=[loan.pk]) in content and "On loan" in content
    assert CaseEvent.objects.filter(resident=resident_a, kind="loan_started", body="Needs Wi-Fi").exists()


@pytest.mark.parametrize("typed", ["lap-001", "  LAP-001  ", " lap-001\t", "LAP- 001", "lap-001\n"])
def test_a_scanned_or_typed_tag_in_lower_case_or_with_spaces_is_accepted(client_a, device, resident_a, typed):
    client_a.post(reverse("devices:loan-create", args=[resident_a.pk]), _lend_data(asset_tag=typed))
    assert Loan.objects.get().device == device


def test_a_tag_with_a_space_in_it_is_found(client_a, org_a, resident_a):
    spaced = DeviceFactory(owning_organisation=org_a, asset_tag="LIB 42")
    client_a.post(reverse("devices:loan-create", args=[resident_a.pk]), _lend_data(asset_tag=" lib  42 "))
    assert Loan.objects.get().device == spaced


def test_lend_with_witness_and_a_shorter_due_date(client_a, device, resident_a):
    due = TODAY() + timedelta(days=10)
    client_a.post(reverse("devices:loan-create", args=[resident_a.pk]), _lend_data(
        agreement_method="verbal_witnessed", witness_name="Jo Bloggs", due_on_0=due.day, due_on_1=due.month,
        due_on_2=due.year))  # fmt: skip
    loan = Loan.objects.get()
    assert loan.witness_name == "Jo Bloggs" and loan.due_on == due


def test_witness_typed_then_another_method_chosen_is_not_kept(client_a, device, resident_a):
    client_a.post(reverse("devices:loan-create", args=[resident_a.pk]),
                  _lend_data(agreement_method="on_screen", witness_name="Jo Bloggs"))  # fmt: skip
    assert Loan.objects.get().witness_name == ""


def _later(days):
    day = TODAY() + timedelta(days=days)
    return {"due_on_0": str(day.day), "due_on_1": str(day.month), "due_on_2": str(day.year)}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"asset_tag": ""}, "asset_tag", "Enter the asset tag, or scan its barcode"),
        ({"asset_tag": "NOPE-9"}, "asset_tag", "There is no device tagged NOPE-9 in your stock."),
        ({"asset_tag": "OTHER-1"}, "asset_tag", "There is no device tagged OTHER-1 in your stock."),
        ({"asset_tag": "x" * 41}, "asset_tag", "Asset tag must be 40 characters or fewer"),
        ({"agreement_method": ""}, "agreement_method", "Choose how they accepted the loan agreement"),
        ({"agreement_method": "telepathy"}, "agreement_method", "Choose how they accepted the loan agreement"),
        ({"agreement_method": "verbal_witnessed"}, "witness_name", "Enter the name of the witness"),
        ({"agreement_accepted": ""}, "agreement_accepted", "Confirm that they have accepted the loan agreement"),
        (_later(40), "due_on", "Due date must be no later than"),  # beyond 28 days, even moved to an open day
        (_later(-1), "due_on", "Due date must be today or in the future"),
        ({**_later(5), "due_on_1": "13"}, "due_on", "Due date must be a real date"),
        ({**_later(5), "due_on_2": ""}, "due_on", "Due date must include a year"),
    ],
)
def test_bad_lend_saves_nothing(client_a, org_b, device, resident_a, changes, field, message):
    DeviceFactory(owning_organisation=org_b, asset_tag="OTHER-1")
    response = client_a.post(reverse("devices:loan-create", args=[resident_a.pk]), _lend_data(**changes))
    _assert_form_error(response, field, message)
    assert _snapshot(device) == (S.READY, 0, 0, 0)
    assert not CaseEvent.objects.filter(kind="loan_started").exists()


def test_lending_a_device_that_is_already_on_loan_says_so(client_a, actor_a, org_a, device, resident_a):
    other = ResidentFactory(owning_organisation=org_a)
    services.loan_create(actor=actor_a, device=device, resident=other, agreement_method="signed_paper")
    response = client_a.post(reverse("devices:loan-create", args=[resident_a.pk]), _lend_data())
    _assert_form_error(response, "asset_tag", "LAP-001 is already on loan.")
    assert Loan.objects.count() == 1 and not Loan.objects.filter(resident=resident_a).exists()


def test_a_lend_that_loses_the_race_shows_a_clear_message(client_a, actor_a, org_a, device, resident_a, monkeypatch):
    """The page read the device as ready; someone else lent it before this lend took the row lock."""
    stale = Device.objects.get(pk=device.pk)
    services.loan_create(actor=actor_a, device=device, resident=ResidentFactory(owning_organisation=org_a),
                         agreement_method="signed_paper")  # fmt: skip
    assert stale.status == S.READY
    monkeypatch.setattr("devices.views.loans.selectors.device_find_typed", lambda **kwargs: stale)
    response = client_a.post(reverse("devices:loan-create", args=[resident_a.pk]), _lend_data())
    _assert_form_error(response, "asset_tag", "LAP-001 is already on loan.")
    assert Loan.objects.count() == 1


def test_a_device_not_ready_is_refused_with_the_reason(client_a, org_a, resident_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="REP-1", status=S.IN_REPAIR)
    response = client_a.post(reverse("devices:loan-create", args=[resident_a.pk]), _lend_data(asset_tag="rep-1"))
    _assert_form_error(response, None, "REP-1 is in repair, so you cannot lend.")
    assert not Loan.objects.exists()


def test_policy_limit_on_open_loans_shows_on_the_form(client_a, actor_a, org_a, loan, resident_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-002")
    response = client_a.post(reverse("devices:loan-create", args=[resident_a.pk]), _lend_data(asset_tag="LAP-002"))
    _assert_form_error(response, None, "Margaret Oduya already has 1 open loan; your policy allows 1.")
    assert Loan.objects.count() == 1


def test_lend_this_device_from_its_page_finds_the_resident_then_fills_in_the_tag(client_a, device, resident_a):
    page = client_a.get(reverse("devices:device-lend", args=[device.asset_tag]), {"q": "oduya"})
    lend_url = reverse("devices:loan-create", args=[resident_a.pk]) + "?tag=LAP-001"
    assert lend_url in _content(page)
    form_page = client_a.get(lend_url)
    assert form_page.context["form"]["asset_tag"].value() == "LAP-001"
    assert 'value="LAP-001"' in _content(form_page)


def test_lend_this_device_when_it_is_not_ready_says_why(client_a, org_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="REP-1", status=S.IN_REPAIR)
    page = client_a.get(reverse("devices:device-lend", args=["REP-1"]), {"q": "oduya"})
    assert "REP-1 is in repair, so it cannot be lent." in _content(page) and not page.context["results"]


def test_lend_this_device_search_too_short(client_a, device):
    page = client_a.get(reverse("devices:device-lend", args=[device.asset_tag]), {"q": "o"})
    assert "There is a problem" in _content(page) and "Enter at least 2 characters" in _content(page)


# Returns, extensions, loss and gifts

VALID_RETURN = {"condition": "fair", "accessories_returned": ["charger"], "notes": "Scratched lid"}


def test_record_a_return(client_a, loan, device):
    page = client_a.get(reverse("devices:loan-return", args=[loan.pk]))
    assert [value for value, _ in page.context["form"].fields["accessories_returned"].choices] == ["charger", "case"]
    response = client_a.post(reverse("devices:loan-return", args=[loan.pk]), VALID_RETURN, follow=True)
    assert response.redirect_chain[-1][0] == reverse("devices:device-detail", args=["LAP-001"])
    content = _content(response)
    assert "LAP-001 is back." in content and "Missing: case." in content and "Returned, awaiting check" in content
    loan.refresh_from_db()
    device.refresh_from_db()
    assert not loan.is_open and loan.return_condition == "fair" and loan.accessories_returned == ["charger"]
    assert loan.returned_on == TODAY() and loan.closing_notes == "Scratched lid"
    assert device.status == S.AWAITING_CHECK and device.condition == "fair"


def test_return_of_a_device_without_accessories_has_no_accessory_question(client_a, actor_a, org_a, resident_a):
    bare = DeviceFactory(owning_organisation=org_a, asset_tag="BARE-1", accessories=[])
    loan = services.loan_create(actor=actor_a, device=bare, resident=resident_a, agreement_method="on_screen")
    page = client_a.get(reverse("devices:loan-return", args=[loan.pk]))
    assert "accessories_returned" not in page.context["form"].fields
    client_a.post(reverse("devices:loan-return", args=[loan.pk]), {"condition": "good"})
    loan.refresh_from_db()
    assert loan.outcome == "returned"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"condition": ""}, "condition", "Choose what condition it came back in"),
        ({"condition": "shiny"}, "condition", "Choose a condition"),
        ({"accessories_returned": ["mouse"]}, "accessories_returned", "Choose accessories from the list"),
        ({"returned_on_0": "1", "returned_on_1": "1", "returned_on_2": str(date.today().year + 1)}, "returned_on",
         "Return date must be today or in the past"),
        ({"returned_on_0": "1", "returned_on_1": "1", "returned_on_2": "2020"}, "returned_on",
         "The return date must be between the start of the loan and today."),
        ({"returned_on_0": "40", "returned_on_1": "1", "returned_on_2": "2026"}, "returned_on",
         "Return date must be a real date"),
    ],
)  # fmt: skip
def test_bad_return_saves_nothing(client_a, loan, device, changes, field, message):
    before = _snapshot(device)
    _assert_form_error(client_a.post(reverse("devices:loan-return", args=[loan.pk]), {**VALID_RETURN, **changes}),
                       field, message)  # fmt: skip
    loan.refresh_from_db()
    assert loan.is_open and _snapshot(device) == before


def test_returning_a_closed_loan_goes_back_to_the_loan(client_a, actor_a, loan):
    services.loan_return(actor=actor_a, loan=loan, condition="good")
    response = client_a.post(reverse("devices:loan-return", args=[loan.pk]), VALID_RETURN, follow=True)
    assert response.redirect_chain[-1][0] == reverse("devices:loan-detail", args=[loan.pk])
    assert "This loan is already closed (returned)." in _content(response)


def test_extend_a_loan(client_a, loan):
    page = client_a.get(reverse("devices:loan-extend", args=[loan.pk]))
    new_due = services.loan_due_date(services.loan_policy_for(loan.organisation), loan.due_on, 14)
    assert f"{new_due:%A} {new_due.day} {new_due:%B %Y}" in _content(page)
    response = client_a.post(reverse("devices:loan-extend", args=[loan.pk]), {"reason": "On a course"}, follow=True)
    assert f"now due back {new_due:%-d %B %Y}." in _content(response)
    loan.refresh_from_db()
    assert loan.due_on == new_due and loan.extension_history.get().reason == "On a course"


@pytest.mark.parametrize(
    ("data", "message"), [({}, "Enter why the loan needs extending"),
                          ({"reason": "x" * 301}, "must be 300 characters or fewer")]
)  # fmt: skip
def test_bad_extension_saves_nothing(client_a, loan, data, message):
    _assert_form_error(client_a.post(reverse("devices:loan-extend", args=[loan.pk]), data), "reason", message)
    loan.refresh_from_db()
    assert loan.extensions == 0 and not loan.extension_history.exists()


def test_extension_beyond_the_policy_is_refused(client_a, actor_a, loan):
    services.loan_policy_update(actor=actor_a, max_extensions=1)
    services.loan_extend(actor=actor_a, loan=loan, reason="first")
    page = client_a.get(reverse("devices:loan-extend", args=[loan.pk]))
    assert "the most your policy allows" in _content(page) and not page.context["allowed"]
    response = client_a.post(reverse("devices:loan-extend", args=[loan.pk]), {"reason": "again"})
    _assert_form_error(response, None, "This loan has been extended 1 time, the most your policy allows.")
    loan.refresh_from_db()
    assert loan.extensions == 1


def test_report_a_device_stolen(client_a, loan, device):
    data = {"stolen": "yes", "police_reference": "WM-12345", "notes": "Taken from their bag on the bus"}
    response = client_a.post(reverse("devices:loan-report-lost", args=[loan.pk]), data, follow=True)
    assert "LAP-001 is recorded as stolen." in _content(response)
    loan.refresh_from_db()
    device.refresh_from_db()
    assert loan.outcome == "lost" and loan.police_reference == "WM-12345" and device.status == S.LOST


def test_report_lost_drops_a_police_reference_typed_before_choosing_no(client_a, loan):
    data = {"stolen": "no", "police_reference": "WM-1", "notes": "Left on a train"}
    client_a.post(reverse("devices:loan-report-lost", args=[loan.pk]), data)
    loan.refresh_from_db()
    assert loan.outcome == "lost" and loan.police_reference == ""


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"notes": "gone"}, "stolen", "Choose whether it was stolen"),
        ({"stolen": "maybe", "notes": "gone"}, "stolen", "Choose whether it was stolen"),
        ({"stolen": "yes"}, "notes", "Enter what happened"),
        ({"stolen": "yes", "notes": "x", "police_reference": "x" * 51}, "police_reference", "50 characters or fewer"),
    ],
)
def test_bad_loss_report_saves_nothing(client_a, loan, device, data, field, message):
    _assert_form_error(client_a.post(reverse("devices:loan-report-lost", args=[loan.pk]), data), field, message)
    loan.refresh_from_db()
    assert loan.is_open and _snapshot(device)[0] == S.ON_LOAN


def test_gift_a_device(coord, loan, device):
    page = coord.get(reverse("devices:loan-gift", args=[loan.pk]))
    assert "Margaret Oduya keeps Lenovo ThinkPad T480 (LAP-001)" in _content(page)
    response = coord.post(reverse("devices:loan-gift", args=[loan.pk]), {"confirm": "on", "notes": "Finished course"},
                          follow=True)  # fmt: skip
    assert "LAP-001 is given to Margaret Oduya to keep." in _content(response)
    device.refresh_from_db()
    assert device.status == S.GIFTED and device.gifted_to_id == loan.resident_id


def test_gift_without_confirmation_saves_nothing(coord, loan, device):
    response = coord.post(reverse("devices:loan-gift", args=[loan.pk]), {"notes": "Finished course"})
    _assert_form_error(response, "confirm", "Confirm that they are keeping the device")
    device.refresh_from_db()
    assert device.status == S.ON_LOAN


# Loans list, loan page, home and resident pages


@pytest.fixture
def loans(actor_a, org_a):
    """An overdue loan (due 12 days ago), another overdue (due 2 days ago), one due in 3 days, one in 20,
    one closed."""
    services.loan_policy_update(actor=actor_a, max_backdate_days=60)  # recorded late, as the policy allows
    made = {}
    for name, started, due in [("OLD", -40, -12), ("LATE", -20, -2), ("SOON", -10, 3), ("LATER", 0, 20),
                               ("DONE", -5, 10)]:  # fmt: skip
        device = DeviceFactory(owning_organisation=org_a, asset_tag=f"{name}-1")
        made[name] = services.loan_create(
            actor=actor_a, device=device, resident=ResidentFactory(owning_organisation=org_a),
            agreement_method="signed_paper", started_on=TODAY() + timedelta(days=started),
            due_on=TODAY() + timedelta(days=due),
        )  # fmt: skip
    services.loan_return(actor=actor_a, loan=made["DONE"], condition="good")
    return made


def _tags(html: str, tags=("OLD-1", "LATE-1", "SOON-1", "LATER-1", "DONE-1")):
    return sorted((html.index(f">{tag}<"), tag) for tag in tags if f">{tag}<" in html)


def test_loans_page_shows_overdue_and_due_this_week_oldest_first(client_a, loans):
    response = client_a.get(reverse("devices:loan-list"))
    content = _content(response)
    assert [tag for _, tag in _tags(content)] == ["OLD-1", "LATE-1", "SOON-1"]
    assert "12 days overdue" in content and "2 days overdue" in content


@pytest.mark.parametrize(
    ("status", "tags"),
    [("open", ["OLD-1", "LATE-1", "SOON-1", "LATER-1"]), ("closed", ["DONE-1"]), ("overdue", ["OLD-1", "LATE-1"]),
     ("due_this_week", ["SOON-1"])],
)  # fmt: skip
def test_loans_page_tabs(client_a, loans, status, tags):
    content = _content(client_a.get(reverse("devices:loan-list"), {"status": status}))
    assert [tag for _, tag in _tags(content)] == tags


def test_closed_loan_to_a_resident_no_longer_shared_hides_their_name(client_b, actor_b, org_b, resident_a, sharing):
    device = DeviceFactory(owning_organisation=org_b, asset_tag="B-1")
    sharing.share(resident_a, org_b)
    loan = services.loan_create(actor=actor_b, device=device, resident=resident_a, agreement_method="on_screen")
    sharing.end(resident_a, org_b)
    assert "Margaret Oduya" in _content(client_b.get(reverse("devices:loan-list"), {"status": "open"}))
    services.loan_return(actor=actor_b, loan=loan, condition="good")
    for url in (reverse("devices:loan-list") + "?status=closed", reverse("devices:loan-detail", args=[loan.pk]),
                reverse("devices:device-detail", args=["B-1"])):  # fmt: skip
        content = _content(client_b.get(url))
        assert "B-1" in content and "Oduya" not in content and str(resident_a.pk) not in content, url
        assert "no longer shared" in content


def test_loan_page_shows_the_agreement_and_actions(client_a, loan):
    content = _content(client_a.get(reverse("devices:loan-detail", args=[loan.pk])))
    assert "Signed paper agreement" in content and "Terms version 2026-01" in content
    assert reverse("devices:loan-return", args=[loan.pk]) in content
    assert reverse("devices:loan-gift", args=[loan.pk]) not in content  # frontline


def test_home_shows_loans_overdue_and_due_this_week(client_a, loans):
    content = _content(client_a.get(reverse("home")))
    assert (
        '<span class="app-stat">2</span> <a class="govuk-link" href="/devices/loans/?status=overdue">overdue' in content
    )
    assert (
        '<span class="app-stat">1</span> <a class="govuk-link" href="/devices/loans/?status=due_this_week">' in content
    )


def test_navigation_has_devices_and_loans(client_a):
    content = _content(client_a.get(reverse("home")))
    assert 'href="/devices/">Devices<' in content and 'href="/devices/loans/">Loans<' in content


# Loan policy

VALID_POLICY = {"default_length_days": "42", "extension_days": "7", "max_extensions": "3",
                "max_open_loans_per_resident": "2", "max_backdate_days": "14", "terms_version": "2026-04",
                "open_days": ["0", "1", "2", "3", "4"], "closed_on_bank_holidays": "on"}  # fmt: skip


def test_coordinator_edits_the_policy(coord, org_a):
    response = coord.post(reverse("devices:loan-policy"), VALID_POLICY, follow=True)
    assert "The loan policy is saved." in _content(response)
    policy = LoanPolicy.objects.get(organisation=org_a)
    assert (policy.default_length_days, policy.extension_days, policy.max_extensions,
            policy.max_open_loans_per_resident, policy.max_backdate_days, policy.terms_version) == (
        42, 7, 3, 2, 14, "2026-04")  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"default_length_days": "0"}, "default_length_days", "Loan length must be a whole number between 1 and 365"),
        ({"default_length_days": "366"}, "default_length_days", "between 1 and 365"),
        ({"default_length_days": "four"}, "default_length_days", "between 1 and 365"),
        ({"default_length_days": ""}, "default_length_days", "Enter loan length as a number"),
        ({"extension_days": "181"}, "extension_days", "Extension length must be a whole number between 1 and 180"),
        ({"max_extensions": "-1"}, "max_extensions", "between 0 and 20"),
        ({"max_open_loans_per_resident": "0"}, "max_open_loans_per_resident", "between 1 and 10"),
        ({"max_backdate_days": "366"}, "max_backdate_days", "Days back must be a whole number between 0 and 365"),
        ({"terms_version": ""}, "terms_version", "Enter the loan agreement version"),
        ({"terms_version": "x" * 21}, "terms_version", "20 characters or fewer"),
    ],
)
def test_bad_policy_saves_nothing(coord, org_a, changes, field, message):
    _assert_form_error(coord.post(reverse("devices:loan-policy"), {**VALID_POLICY, **changes}), field, message)
    assert not LoanPolicy.objects.filter(organisation=org_a).exists()  # still the defaults, never saved


def test_lend_form_follows_the_policy(client_a, coord, device, resident_a):
    coord.post(reverse("devices:loan-policy"), VALID_POLICY)
    content = _content(client_a.get(reverse("devices:loan-create", args=[resident_a.pk])))
    assert "terms version 2026-04" in content and "Leave blank to lend for 42 days" in content


def test_every_devices_page_with_an_id_is_404_to_another_organisation(client_b, device, loan, resident_a, actor_a):
    """Like tests/test_isolation.py, for this app's pages: whatever the method, B learns nothing of A's."""
    from django.urls import get_resolver

    ids = {"asset_tag": device.asset_tag, "loan_pk": loan.pk, "pk": resident_a.pk, "version": 1}
    kit = services.kit_create(actor=actor_a, name="Kit", kinds=["tablet"])
    kit_loan = services.kit_loan_create(actor=actor_a, kit=kit, resident=ResidentFactory(owning_organisation=loan.organisation),
                                        devices=[DeviceFactory(owning_organisation=loan.organisation, kind="tablet")],
                                        agreement_method="signed_paper")  # fmt: skip
    ids["kit_loan_pk"] = kit_loan.pk
    ids["reservation_pk"] = reservation_create(actor=actor_a, resident=resident_a, kind="tablet").pk
    services.loan_agreement_publish(actor=actor_a, text="Terms",
                                    return_instructions="Desk", contact="Desk")  # fmt: skip
    checked = 0
    for pattern in get_resolver("devices.urls").url_patterns:
        if not hasattr(pattern, "name") or not pattern.pattern.converters:
            continue
        url = reverse(f"devices:{pattern.name}", kwargs={name: ids[name] for name in pattern.pattern.converters})
        for method in ("get", "post", "put", "patch"):
            response = getattr(client_b, method)(url, {"condition": "good", "notes": "x"})
            assert response.status_code in (404, 405), f"{method} {url}: {response.status_code}"
            assert "Oduya" not in response.content.decode() and device.asset_tag not in response.content.decode()
            checked += 1
    assert checked >= 40
    loan.refresh_from_db()
    assert loan.is_open


def test_a_lost_device_found_again_goes_back_to_be_checked(coord, coord_actor, loan, device):
    services.loan_report_lost(actor=coord_actor, loan=loan)
    page = coord.get(reverse("devices:device-detail", args=[device.asset_tag])).content.decode()
    assert "It has been found: check it before lending" in page
    response = coord.post(reverse("devices:device-status", args=[device.asset_tag]),
                          {"to_status": "awaiting_check", "note": "Handed in"}, follow=True)  # fmt: skip
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.status == "awaiting_check"


def test_a_returned_device_offers_a_wipe_and_not_ready_to_lend(coord, coord_actor, loan, device):
    services.loan_return(actor=coord_actor, loan=loan, condition="good")
    response = coord.get(reverse("devices:device-detail", args=[device.asset_tag]))
    assert _buttons(response) == ["Record a wipe", "Send for repair", "Retire it"]
    assert "It has been out on loan since it was last wiped: record a wipe before it is lent again." in _content(
        response
    )
    page = coord.get(reverse("devices:device-status", args=[device.asset_tag]), {"to": "ready"})
    assert [value for value, _ in page.context["form"].fields["to_status"].choices] == ["in_repair", "retired"]
    response = coord.post(reverse("devices:device-status", args=[device.asset_tag]), {"to_status": "ready"})
    _assert_form_error(
        response, None, "LAP-001 has been out on loan since it was last wiped, so it cannot be made ready to lend: "
        "record a wipe first, so that no data of the last borrower reaches the next resident."
    )  # fmt: skip
    device.refresh_from_db()
    assert device.status == S.AWAITING_CHECK
