"""Device lifecycle and loans on the real database: every transition, legal and illegal; policy limits;
the database invariants; and the concurrency of lending."""

import threading
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices import services
from devices.models import Device, DeviceEvent, DeviceStatus, Loan, LoanPolicy
from devices.services import TRANSITIONS
from inclusion import access
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import CaseEvent

from ..factories import MembershipFactory, ResidentFactory
from .factories import DeviceFactory

S = DeviceStatus
pytestmark = pytest.mark.django_db
# Lending, as the test below counts it (savepoints included): 25 until full_clean stopped looking up the four rows
# the service already holds (issue 12).
LEND_QUERIES = 21


@pytest.fixture
def device(org_a):
    return DeviceFactory(owning_organisation=org_a, asset_tag="LAP-001")


def lend(actor, device, resident, **kwargs):
    kwargs.setdefault("agreement_method", "signed_paper")
    return services.loan_create(actor=actor, device=device, resident=resident, **kwargs)


def test_device_create_generates_a_tag_and_starts_received(actor_a):
    first = services.device_create(actor=actor_a, kind="tablet", make="Samsung")
    second = services.device_create(actor=actor_a, kind="tablet", asset_tag=" own-7 ")
    assert first.asset_tag.startswith("AC-") and first.status == S.RECEIVED
    assert second.asset_tag == "OWN-7"
    assert DeviceEvent.objects.filter(device=first, action="receive", to_status=S.RECEIVED).exists()


def test_duplicate_asset_tag_is_refused(actor_a, device):
    with pytest.raises(DomainError, match="Asset tag LAP-001 is already in use"):
        services.device_create(actor=actor_a, kind="laptop", asset_tag="lap-001")


def test_full_lifecycle_received_to_ready_to_loan_and_back(actor_a, resident_a):
    device = services.device_create(actor=actor_a, kind="laptop")
    services.device_wipe_record(actor=actor_a, device=device, method="nist_purge", wiped_on=date.today(),
                                operator="R. Patel", certificate_reference="CERT-1")  # fmt: skip
    services.device_transition(actor=actor_a, device=device, to_status=S.READY)
    loan = lend(actor_a, device, resident_a)
    device.refresh_from_db()
    assert device.status == S.ON_LOAN
    services.loan_return(actor=actor_a, loan=loan, condition="good", accessories_returned=[])
    device.refresh_from_db()
    assert device.status == S.AWAITING_CHECK
    services.device_wipe_record(actor=actor_a, device=device, method="factory_reset", wiped_on=date.today(),
                                operator="R. Patel")  # fmt: skip
    services.device_transition(actor=actor_a, device=device, to_status=S.READY)
    history = list(device.events.order_by("occurred_at", "id").values_list("from_status", "to_status"))
    assert history == [("", S.RECEIVED), (S.RECEIVED, S.WIPED), (S.WIPED, S.READY), (S.READY, S.ON_LOAN),
                       (S.ON_LOAN, S.AWAITING_CHECK), (S.AWAITING_CHECK, S.WIPED), (S.WIPED, S.READY)]  # fmt: skip


SIMPLE = sorted(services.SIMPLE_MOVES)


@pytest.mark.parametrize("from_status", [s for s in S.values if s != S.ON_LOAN])
@pytest.mark.parametrize("to_status", SIMPLE)
def test_every_simple_move_is_allowed_exactly_when_the_table_says(actor_a, org_a, from_status, to_status):
    device = DeviceFactory(owning_organisation=org_a, status=from_status)
    if to_status in TRANSITIONS[from_status]:
        services.device_transition(actor=actor_a, device=device, to_status=to_status)
        device.refresh_from_db()
        assert device.status == to_status
    else:
        with pytest.raises(DomainError) as error:
            services.device_transition(actor=actor_a, device=device, to_status=to_status)
        # Back from a loan, "ready" is refused for the want of a wipe (which it can have), not as a wrong move.
        wipe_first = to_status == S.READY and from_status == S.AWAITING_CHECK
        assert error.value.code == ("wipe_required" if wipe_first else "illegal_transition")
        assert device.asset_tag in error.value.message
        device.refresh_from_db()
        assert device.status == from_status


def test_illegal_move_says_why_and_what_is_possible(actor_a, org_a):
    device = DeviceFactory(owning_organisation=org_a, status=S.RECEIVED, asset_tag="X-1")
    with pytest.raises(DomainError, match=r"X-1 is received, so you cannot mark ready\. From here you can: "
                                          r"record a wipe, retire\."):  # fmt: skip
        services.device_transition(actor=actor_a, device=device, to_status=S.READY)


def test_a_device_that_is_not_ready_cannot_be_lent(actor_a, org_a, resident_a):
    device = DeviceFactory(owning_organisation=org_a, status=S.WIPED)
    with pytest.raises(DomainError, match="is wiped, so you cannot lend"):
        lend(actor_a, device, resident_a)
    assert not Loan.objects.exists()


def test_wipe_only_from_received_returned_or_repair(actor_a, org_a):
    device = DeviceFactory(owning_organisation=org_a, status=S.READY)
    with pytest.raises(DomainError, match="cannot record a wipe"):
        services.device_wipe_record(
            actor=actor_a, device=device, method="nist_clear", wiped_on=date.today(), operator="x"
        )
    assert not device.wipes.exists()


def test_loan_links_resident_to_lending_organisation_while_open(actor_b, org_b, resident_a, sharing):
    device = DeviceFactory(owning_organisation=org_b)
    assert not access.residents_visible_to(org_b).filter(pk=resident_a.pk).exists()
    sharing.share(resident_a, org_b)  # a referral, say, so that B may lend
    loan = lend(actor_b, device, resident_a)
    sharing.end(resident_a, org_b)
    assert access.residents_visible_to(org_b).filter(pk=resident_a.pk).exists()
    services.loan_return(actor=actor_b, loan=loan, condition="good")
    assert not access.residents_visible_to(org_b).filter(pk=resident_a.pk).exists()


def test_lending_takes_a_fixed_number_of_queries_and_none_rechecks_a_held_row(
    actor_a, device, resident_a, django_assert_num_queries
):
    """The rows the service holds (the resident and device it locked, the actor's organisation and user) are not
    looked up again by full_clean's foreign-key checks: the database checks them on insert."""
    with CaptureQueriesContext(connection) as captured, django_assert_num_queries(LEND_QUERIES):
        loan = lend(actor_a, device, resident_a)
    for table in ("devices_device", "inclusion_resident", "inclusion_user", "inclusion_organisation"):
        looked_up = f'SELECT 1 AS "a" FROM "{table}" WHERE "{table}"."id" = '  # a foreign key's existence check
        assert not [q["sql"] for q in captured if q["sql"].startswith(looked_up)], table
    assert Loan.objects.get(pk=loan.pk).device_id == device.pk


def test_loan_uses_policy_length_and_records_agreement_and_timeline(actor_a, device, resident_a):
    policy = services.loan_policy_update(actor=actor_a, default_length_days=21, terms_version="v3")
    loan = lend(actor_a, device, resident_a, agreement_method="verbal_witnessed", witness_name="A. Khan")
    assert loan.due_on == services.loan_due_date(policy, timezone.localdate(), 21)  # on or after 21 days, when open
    assert loan.agreement_terms_version == policy.terms_version == "v3"
    assert loan.witness_name == "A. Khan" and loan.agreement_accepted_at
    assert CaseEvent.objects.filter(resident=resident_a, kind="loan_started").exists()


def test_verbal_agreement_needs_a_witness(actor_a, device, resident_a):
    for blank in ("", "   "):
        with pytest.raises(DomainError, match="witness") as refused:
            lend(actor_a, device, resident_a, agreement_method="verbal_witnessed", witness_name=blank)
        assert (refused.value.field, refused.value.code) == ("witness_name", "required")
    assert not Loan.objects.exists()


def test_a_witness_is_kept_only_for_a_verbal_agreement(actor_a, org_a, device, resident_a):
    """The service owns the witness rule: a name typed before another way was chosen is not kept."""
    assert lend(actor_a, device, resident_a, agreement_method="on_screen", witness_name="Jo Bloggs").witness_name == ""
    other = DeviceFactory(owning_organisation=org_a)
    someone = ResidentFactory(owning_organisation=org_a)
    verbal = lend(actor_a, other, someone, agreement_method="verbal_witnessed", witness_name="  Jo Bloggs ")
    assert verbal.witness_name == "Jo Bloggs"


def test_agreement_must_be_accepted(actor_a, device, resident_a):
    with pytest.raises(DomainError, match="must be accepted"):
        lend(actor_a, device, resident_a, agreement_accepted=False)


def test_due_date_cannot_exceed_policy(actor_a, device, resident_a):
    with pytest.raises(DomainError, match="at most 28 days"):
        lend(actor_a, device, resident_a, due_on=timezone.localdate() + timedelta(days=40))


def test_policy_limits_open_loans_per_resident(actor_a, org_a, resident_a):
    lend(actor_a, DeviceFactory(owning_organisation=org_a), resident_a)
    with pytest.raises(DomainError, match="already has 1 open loan; your policy allows 1"):
        lend(actor_a, DeviceFactory(owning_organisation=org_a), resident_a)
    services.loan_policy_update(actor=actor_a, max_open_loans_per_resident=2)
    lend(actor_a, DeviceFactory(owning_organisation=org_a), resident_a)
    assert Loan.objects.filter(resident=resident_a, closed_at__isnull=True).count() == 2


def test_extensions_are_limited_by_policy_and_recorded(actor_a, device, resident_a):
    loan = lend(actor_a, device, resident_a)
    first_due = loan.due_on
    loan = services.loan_extend(actor=actor_a, loan=loan, reason="Course runs longer")
    policy = services.loan_policy_for(loan.organisation)
    assert loan.due_on == services.loan_due_date(policy, first_due, 14) and loan.extensions == 1
    services.loan_extend(actor=actor_a, loan=loan)
    with pytest.raises(DomainError, match="extended 2 times, the most your policy allows"):
        services.loan_extend(actor=actor_a, loan=loan)
    assert loan.extension_history.count() == 2


def test_return_records_condition_and_missing_accessories(actor_a, device, resident_a):
    loan = lend(actor_a, device, resident_a)
    services.loan_return(actor=actor_a, loan=loan, condition="fair", accessories_returned=[], notes="Screen scratched")
    loan.refresh_from_db()
    assert loan.outcome == "returned" and loan.return_condition == "fair" and not loan.is_open
    event = CaseEvent.objects.get(resident=resident_a, kind="loan_returned")
    assert "missing: charger" in event.summary
    with pytest.raises(DomainError, match="already closed"):
        services.loan_return(actor=actor_a, loan=loan, condition="good")


def test_return_date_cannot_be_in_the_future(actor_a, device, resident_a):
    loan = lend(actor_a, device, resident_a)
    with pytest.raises(DomainError, match="between the start of the loan and today"):
        services.loan_return(actor=actor_a, loan=loan, condition="good", returned_on=date.today() + timedelta(days=1))
    assert Loan.objects.get(pk=loan.pk).is_open


def test_lost_then_written_off(actor_a, device, resident_a):
    loan = lend(actor_a, device, resident_a)
    services.loan_report_lost(actor=actor_a, loan=loan, stolen=True, police_reference="WM-123")
    device.refresh_from_db()
    assert device.status == S.LOST
    assert Loan.objects.get(pk=loan.pk).police_reference == "WM-123"
    services.device_transition(actor=actor_a, device=device, to_status=S.WRITTEN_OFF)
    device.refresh_from_db()
    assert device.status == S.WRITTEN_OFF
    with pytest.raises(DomainError, match="Nothing more can happen to it"):
        services.device_transition(actor=actor_a, device=device, to_status=S.READY)


def test_gift_passes_ownership_and_closes_the_loan(actor_a, device, resident_a):
    loan = lend(actor_a, device, resident_a)
    services.loan_gift(actor=actor_a, loan=loan, notes="Keeps it for college")
    device.refresh_from_db()
    loan.refresh_from_db()
    assert device.status == S.GIFTED and device.gifted_to == resident_a
    assert loan.outcome == "gifted" and not loan.is_open


def test_overdue_is_derived_from_the_due_date(actor_a, device, resident_a):
    loan = lend(actor_a, device, resident_a, started_on=date.today() - timedelta(days=20),
                due_on=date.today() - timedelta(days=1))  # fmt: skip
    assert loan.is_overdue and loan.days_overdue == 1
    from devices.selectors import loan_list

    assert list(loan_list(organisation=device.owning_organisation, status="overdue")) == [loan]
    assert list(loan_list(organisation=device.owning_organisation, status="due_this_week")) == []


def test_another_organisation_cannot_lend_or_change_your_device(actor_b, org_b, device):
    with pytest.raises(DomainError, match="belongs to another organisation"):
        lend(actor_b, device, ResidentFactory(owning_organisation=org_b))
    with pytest.raises(DomainError, match="belongs to another organisation"):
        services.device_transition(actor=actor_b, device=device, to_status=S.RETIRED)


def test_another_organisation_cannot_close_your_loan(actor_a, actor_b, org_b, device, resident_a, sharing):
    loan = lend(actor_a, device, resident_a)
    with pytest.raises(Http404):  # B may not see the resident: the loan is as unknown as they are
        services.loan_return(actor=actor_b, loan=loan, condition="good")
    sharing.share(resident_a, org_b)
    with pytest.raises(DomainError, match="belongs to another organisation"):
        services.loan_return(actor=actor_b, loan=loan, condition="good")
    assert Loan.objects.get(pk=loan.pk).is_open


def test_database_allows_one_open_loan_per_device(actor_a, device, resident_a, org_a):
    loan = lend(actor_a, device, resident_a)
    other = ResidentFactory(owning_organisation=org_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(device=device, resident=other, organisation=org_a, agreement_method="on_screen",
                            agreement_terms_version="x", agreement_accepted_at=timezone.now(),
                            started_on=loan.started_on, due_on=loan.due_on)  # fmt: skip


def test_database_refuses_a_status_that_disagrees_with_loans(device):
    """The deferred trigger checks at commit: 'on_loan' without an open loan is refused."""
    with pytest.raises(IntegrityError, match="device_status_agrees_with_loans|open loan"), transaction.atomic():
        Device.objects.filter(pk=device.pk).update(status=S.ON_LOAN)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_database_refuses_a_device_added_on_loan_without_its_loan(org_a):
    """The insert check runs only for a device added as on loan (an import of devices in stock queues none)."""
    with pytest.raises(IntegrityError, match="device_status_agrees_with_loans|open loan"), transaction.atomic():
        DeviceFactory(owning_organisation=org_a, status=S.ON_LOAN)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with transaction.atomic():
        added = DeviceFactory(owning_organisation=org_a, status=S.READY)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'devices_device'::regclass AND tgname LIKE 'device_%%'"
            )
            assert cursor.fetchone()[0] == 2
    assert added.status == S.READY


@pytest.mark.django_db(transaction=True)
def test_twenty_staff_lending_one_device_at_once_make_exactly_one_loan(org_a):
    device = DeviceFactory(owning_organisation=org_a)
    LoanPolicy.objects.create(organisation=org_a, max_open_loans_per_resident=50)
    staff = [MembershipFactory(organisation=org_a) for _ in range(20)]
    residents = [ResidentFactory(owning_organisation=org_a) for _ in range(20)]
    barrier = threading.Barrier(20)
    results = []

    def attempt(membership, resident):
        try:
            barrier.wait()
            lend(Actor.for_membership(membership), device, resident)
            results.append("lent")
        except DomainError as error:
            results.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(staff, residents, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("lent") == 1
    assert results.count(f"{device.asset_tag} is already on loan.") == 19
    assert Loan.objects.filter(device=device).count() == 1
    device.refresh_from_db()
    assert device.status == S.ON_LOAN


def test_a_loan_cannot_start_in_the_future(actor_a, device, resident_a):
    with pytest.raises(DomainError, match="cannot start in the future"):
        lend(actor_a, device, resident_a, started_on=date.today() + timedelta(days=2))
    assert not Loan.objects.exists()


def test_overlong_closing_notes_are_refused_and_the_loan_stays_open(actor_a, device, resident_a):
    loan = lend(actor_a, device, resident_a)
    with pytest.raises(DomainError) as error:
        services.loan_return(actor=actor_a, loan=loan, condition="good", notes="x" * 2001)
    assert error.value.field == "closing_notes"
    assert Loan.objects.get(pk=loan.pk).is_open


def test_database_keeps_asset_tags_upper_case(org_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        DeviceFactory(owning_organisation=org_a, asset_tag="lower-1")


def test_a_lost_device_that_turns_up_waits_to_be_checked(actor_a, device, resident_a):
    loan = lend(actor_a, device, resident_a)
    services.loan_report_lost(actor=actor_a, loan=loan)
    services.device_transition(actor=actor_a, device=device, to_status=S.AWAITING_CHECK, note="Handed in at reception")
    device.refresh_from_db()
    assert device.status == S.AWAITING_CHECK


def test_a_device_on_loan_cannot_be_moved_to_awaiting_check_without_a_return(actor_a, device, resident_a):
    lend(actor_a, device, resident_a)
    with pytest.raises(DomainError, match="cannot record a return"):
        services.device_transition(actor=actor_a, device=device, to_status=S.AWAITING_CHECK)


# The wipe rule: a device that has been out on loan is wiped before it can be ready again.


def _wipe(actor, device):
    return services.device_wipe_record(actor=actor, device=device, method="factory_reset", wiped_on=date.today(),
                                       operator="R. Patel")  # fmt: skip


def _refused_for_a_wipe(actor, device):
    with pytest.raises(DomainError) as error:
        services.device_transition(actor=actor, device=device, to_status=S.READY)
    assert error.value.code == "wipe_required"
    assert error.value.message == (
        f"{device.asset_tag} has been out on loan since it was last wiped, so it cannot be made ready to lend: "
        "record a wipe first, so that no data of the last borrower reaches the next resident."
    )


def test_a_returned_device_cannot_be_made_ready_without_a_wipe(actor_a, device, resident_a):
    services.loan_return(actor=actor_a, loan=lend(actor_a, device, resident_a), condition="good")
    _refused_for_a_wipe(actor_a, device)
    device.refresh_from_db()
    assert device.status == S.AWAITING_CHECK and device.needs_wipe
    assert not device.events.filter(to_status=S.READY, from_status=S.AWAITING_CHECK).exists()
    _wipe(actor_a, device)
    services.device_transition(actor=actor_a, device=device, to_status=S.READY)
    device.refresh_from_db()
    assert device.status == S.READY and not device.needs_wipe


def test_a_device_found_again_must_be_wiped_before_it_is_ready(actor_a, device, resident_a):
    services.loan_report_lost(actor=actor_a, loan=lend(actor_a, device, resident_a))
    services.device_transition(actor=actor_a, device=device, to_status=S.AWAITING_CHECK)
    _refused_for_a_wipe(actor_a, device)


def test_a_device_back_from_repair_after_a_loan_must_be_wiped_before_it_is_ready(actor_a, device, resident_a):
    services.loan_return(actor=actor_a, loan=lend(actor_a, device, resident_a), condition="poor")
    services.device_transition(actor=actor_a, device=device, to_status=S.IN_REPAIR)
    _refused_for_a_wipe(actor_a, device)
    assert services.device_moves(Device.objects.get(pk=device.pk)) == {S.WIPED: "record a wipe", S.RETIRED: "retire"}
    _wipe(actor_a, device)
    services.device_transition(actor=actor_a, device=device, to_status=S.READY)


def test_a_device_repaired_before_it_was_ever_lent_can_be_made_ready_again(actor_a, device):
    services.device_transition(actor=actor_a, device=device, to_status=S.IN_REPAIR)
    services.device_transition(actor=actor_a, device=device, to_status=S.READY)
    device.refresh_from_db()
    assert device.status == S.READY


def test_the_database_refuses_a_ready_device_that_needs_a_wipe(actor_a, device, resident_a):
    services.loan_return(actor=actor_a, loan=lend(actor_a, device, resident_a), condition="good")
    with pytest.raises(IntegrityError), transaction.atomic():
        Device.objects.filter(pk=device.pk).update(status=S.READY)


def test_the_migration_flags_devices_lent_since_their_last_wipe(actor_a, org_a, resident_a):
    import importlib

    migration = importlib.import_module("devices.migrations.0006_device_wiped_before_ready")
    returned = DeviceFactory(owning_organisation=org_a, asset_tag="RET-1")
    services.loan_return(actor=actor_a, loan=lend(actor_a, returned, resident_a), condition="good")
    rewiped = DeviceFactory(owning_organisation=org_a, asset_tag="WIP-1")
    services.loan_return(actor=actor_a, loan=lend(actor_a, rewiped, resident_a), condition="good")
    _wipe(actor_a, rewiped)
    services.device_transition(actor=actor_a, device=rewiped, to_status=S.IN_REPAIR)
    never_lent = DeviceFactory(owning_organisation=org_a, asset_tag="NEW-1", status=S.IN_REPAIR)
    Device.objects.update(needs_wipe=False)  # as before the migration
    with connection.cursor() as cursor:
        cursor.execute(migration.FLAG_LENT_SINCE_LAST_WIPE)
    flagged = set(Device.objects.filter(needs_wipe=True).values_list("asset_tag", flat=True))
    assert flagged == {returned.asset_tag}
    assert not never_lent.needs_wipe


def test_generated_tags_carry_the_organisations_prefix(org_a, org_b):
    from inclusion.models import Organisation

    assert services.asset_tag_prefix(org_a) == "AC"  # Alpha Council
    assert services.asset_tag_prefix(Organisation(name="City of Wolverhampton College")) == "CWC"
    assert services.asset_tag_prefix(Organisation(name="Black Country Works")) == "BCW"
    assert services.asset_tag_prefix(Organisation(name="Wolverhampton Central Library")) == "WCL"
    assert services.asset_tag_prefix(Organisation(name="Partner Organisation 12")) == "PO12"
    assert services.asset_tag_prefix(Organisation(name="Oxfam")) == "OXF"
    assert services.asset_tag_prefix(Organisation(name="St. Mary's & the Hub")) == "SMH"
    a_tags, b_tags = services.asset_tags_next(org_a, 2), services.asset_tags_next(org_b, 1)
    assert [tag[:3] for tag in a_tags] == ["AC-", "AC-"] and b_tags[0].startswith("BL-")
    assert len({tag[-6:] for tag in a_tags + b_tags}) == 3  # one sequence: unique across the scheme as well


def test_the_same_tag_in_two_organisations_is_two_devices(actor_a, actor_b, device):
    theirs = services.device_create(actor=actor_b, kind="laptop", asset_tag="lap-001")
    assert theirs.asset_tag == device.asset_tag and theirs.owning_organisation == actor_b.organisation


def test_the_extension_preview_is_what_extending_does(actor_a, device, resident_a):
    loan = lend(actor_a, device, resident_a)
    services.loan_policy_update(actor=actor_a, max_extensions=1, extension_days=10)
    policy = services.loan_policy_for(actor_a.organisation)
    preview = services.loan_extension_preview(loan=loan, policy=policy)
    assert preview.allowed and preview.refusal == ""
    assert preview.new_due_on == services.loan_due_date(policy, loan.due_on, 10)
    assert services.loan_extend(actor=actor_a, loan=loan).due_on == preview.new_due_on
    loan.refresh_from_db()
    after = services.loan_extension_preview(loan=loan, policy=policy)
    assert not after.allowed and after.refusal == "This loan has been extended 1 time, the most your policy allows."
    with pytest.raises(DomainError, match=after.refusal):
        services.loan_extend(actor=actor_a, loan=loan)


def test_an_overdue_loan_is_extended_from_today(actor_a, device, resident_a):
    started = timezone.localdate() - timedelta(days=20)
    loan = lend(actor_a, device, resident_a, started_on=started, due_on=started + timedelta(days=3))
    policy = services.loan_policy_for(actor_a.organisation)
    preview = services.loan_extension_preview(loan=loan, policy=policy)
    assert preview.new_due_on == services.loan_due_date(policy, timezone.localdate(), policy.extension_days)
