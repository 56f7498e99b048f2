"""What a loan leaves on the record: the resident's timeline (facts with the note beneath), the loan page
(its notes and accessories), and the device after a return with something missing."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from devices import services
from devices.models import DeviceEvent

from .factories import DeviceFactory

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _timeline(client, resident) -> list[str]:
    """The text of each entry on the resident's case timeline, newest first."""
    content = client.get(reverse("resident-detail", args=[resident.pk])).content.decode()
    return [_text(item) for item in re.findall(r'<li class="app-timeline__item">(.*?)</li>', content, re.S)]


def _entry(entries: list[str], heading: str) -> str:
    found = [entry for entry in entries if entry.startswith(heading)]
    assert len(found) == 1, (heading, entries)
    return found[0]


@pytest.fixture
def device(org_a):
    return DeviceFactory(owning_organisation=org_a, asset_tag="LAP-001", accessories=["charger", "case"])


def test_every_loan_entry_on_the_timeline_shows_its_facts_with_the_note_beneath(client_a, actor_a, device, resident_a):
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="signed_paper",
                                notes="Charger is in the bag")  # fmt: skip
    services.loan_extend(actor=actor_a, loan=loan, reason="Still on the skills course")
    services.loan_return(actor=actor_a, loan=loan, condition="good", accessories_returned=["charger"],
                         notes="Says the case is at home")  # fmt: skip
    loan.refresh_from_db()
    entries = _timeline(client_a, resident_a)

    lent = _entry(entries, "Device lent")
    assert "Lent Lenovo ThinkPad T480 (LAP-001), due back" in lent
    assert lent.endswith("Charger is in the bag")  # the note beneath the facts
    extended = _entry(entries, "Loan extended")
    assert f"Loan of LAP-001 extended to {loan.due_on:%-d %B %Y}" in extended
    assert extended.endswith("Still on the skills course")
    returned = _entry(entries, "Device returned")
    assert "Returned LAP-001 (good); missing: case" in returned and returned.endswith("Says the case is at home")


def test_loss_and_withdrawal_entries_keep_their_facts_too(client_a, actor_a, device, resident_a):
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    services.loan_report_lost(actor=actor_a, loan=loan, stolen=True, police_reference="CR/1/26", notes="Bag taken")
    lost = _entry(_timeline(client_a, resident_a), "Device reported")
    assert "LAP-001 reported stolen (police ref CR/1/26)" in lost and lost.endswith("Bag taken")


def test_a_note_shows_once(client_a, actor_a, resident_a):
    from inclusion.services import note_add

    note_add(actor=actor_a, resident=resident_a, body="Came in about a tablet")
    note = _entry(_timeline(client_a, resident_a), "Note")
    assert note.count("Came in about a tablet") == 1


def _loan_page(client, loan) -> str:
    return _text(client.get(reverse("devices:loan-detail", args=[loan.pk])).content.decode())


def test_loan_page_shows_its_notes_and_what_went_out_with_it(client_a, actor_a, device, resident_a):
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="signed_paper",
                                notes="Charger is in the bag")  # fmt: skip
    page = _loan_page(client_a, loan)
    assert "Went out with Charger, case" in page
    assert "Charger is in the bag" in page

    services.loan_extend(actor=actor_a, loan=loan, reason="Still on the skills course")
    services.loan_return(actor=actor_a, loan=loan, condition="fair", accessories_returned=["charger"],
                         notes="Says the case is at home")  # fmt: skip
    page = _loan_page(client_a, loan)
    assert "Went out with Charger, case" in page
    assert "Back: charger. Missing: case." in page
    for note in ("Charger is in the bag", "Still on the skills course", "Says the case is at home"):
        assert note in page


def test_a_return_with_something_missing_records_it_and_updates_the_device(client_a, actor_a, device, resident_a):
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    services.loan_return(actor=actor_a, loan=loan, condition="good", accessories_returned=["charger"])
    loan.refresh_from_db()
    device.refresh_from_db()
    assert loan.accessories_returned == ["charger"] and loan.accessories_missing == ["case"]
    assert device.accessories == ["charger"]  # it no longer comes with a case
    event = DeviceEvent.objects.get(device=device, action="record a return")
    assert event.data["missing_accessories"] == ["case"]
    page = _text(client_a.get(reverse("devices:device-detail", args=[device.asset_tag])).content.decode())
    assert "Comes with Charger" in page and "Did not come back from its last loan: case" in page

    # The next return asks only about what it still comes with.
    services.device_wipe_record(actor=actor_a, device=device, method="factory_reset", wiped_on=timezone.localdate(),
                                operator="R. Patel")  # fmt: skip
    services.device_transition(actor=actor_a, device=device, to_status="ready")
    again = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    form = client_a.get(reverse("devices:loan-return", args=[again.pk])).context["form"]
    assert [value for value, _ in form.fields["accessories_returned"].choices] == ["charger"]


def test_a_return_with_everything_back_keeps_the_accessories(actor_a, device, resident_a):
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    services.loan_return(actor=actor_a, loan=loan, condition="good", accessories_returned=["case", "charger"])
    loan.refresh_from_db()
    device.refresh_from_db()
    assert loan.accessories_missing == [] and device.accessories == ["charger", "case"]


def test_a_return_naming_an_accessory_it_did_not_go_out_with_is_refused(actor_a, device, resident_a):
    from inclusion.errors import DomainError

    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    with pytest.raises(DomainError, match="LAP-001 did not go out with: mouse") as refused:
        services.loan_return(actor=actor_a, loan=loan, condition="good", accessories_returned=["charger", "mouse"])
    assert refused.value.field == "accessories_returned"
    loan.refresh_from_db()
    device.refresh_from_db()
    assert loan.is_open and device.accessories == ["charger", "case"]


@pytest.mark.parametrize(("stolen", "label"), [(True, "Stolen"), (False, "Lost")])
def test_a_loss_report_closes_the_loan_as_stolen_or_lost_not_both(client_a, actor_a, device, resident_a, stolen, label):
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    services.loan_report_lost(actor=actor_a, loan=loan, stolen=stolen, notes="Gone")
    loan.refresh_from_db()
    assert loan.stolen is stolen and loan.outcome_label == label
    page = _loan_page(client_a, loan)
    assert f"Closed: {label.lower()}" in page and "lost or stolen" not in page.lower()
    resident_page = _text(client_a.get(reverse("resident-detail", args=[resident_a.pk])).content.decode())
    loans = resident_page.split("Device loans", 1)[1].split("Data vouchers", 1)[0]
    assert "LAP-001" in loans and f" {label} " in loans and "Lost or stolen" not in loans
