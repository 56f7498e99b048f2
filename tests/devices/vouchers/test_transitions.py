"""The vouchers' TRANSITIONS table, held by the services and by the database trigger alike, and the history every
change writes: the import (once, for the batch), issue, activation, failure, withdrawal (from stock too), expiry."""

import itertools
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from devices.models import Voucher, VoucherEvent, VoucherImportRecord, VoucherStatus
from devices.vouchers.selectors import voucher_history
from devices.vouchers.services import (
    TRANSITIONS,
    ImportRow,
    voucher_activate,
    voucher_batch_import,
    voucher_expire_unissued,
    voucher_fail,
    voucher_issue,
    voucher_reveal,
    voucher_withdraw,
)
from inclusion.errors import DomainError

from ...factories import ResidentFactory
from .factories import ProviderFactory, VoucherBatchFactory, VoucherFactory

V = VoucherStatus
pytestmark = pytest.mark.django_db
HOLDS_A_RESIDENT = {V.ISSUED, V.ACTIVATED, V.FAILED}  # the voucher_resident_matches_status check constraint


def voucher_in(status, organisation, resident=None):
    """A voucher made straight in `status` (an INSERT: the trigger watches changes of status, not new rows)."""
    holder = (resident or ResidentFactory(owning_organisation=organisation)) if status in HOLDS_A_RESIDENT else None
    return VoucherFactory(batch__organisation=organisation, status=status, resident=holder)


def test_every_status_has_a_row_in_the_table():
    assert set(TRANSITIONS) == set(V.values)
    assert all(set(moves) <= set(V.values) for moves in TRANSITIONS.values())


@pytest.mark.parametrize("from_status,to_status", list(itertools.permutations(V.values, 2)))
def test_the_database_allows_exactly_the_moves_the_table_allows(org_a, from_status, to_status):
    voucher = voucher_in(from_status, org_a)
    resident = voucher.resident or ResidentFactory(owning_organisation=org_a)
    change = Voucher.objects.filter(pk=voucher.pk)
    fields = {"status": to_status, "resident": resident if to_status in HOLDS_A_RESIDENT else None}
    if to_status in TRANSITIONS[from_status]:
        change.update(**fields)
        assert Voucher.objects.get(pk=voucher.pk).status == to_status
    else:
        with pytest.raises(IntegrityError, match="voucher_status_follows_transitions|cannot move from"):
            with transaction.atomic():
                change.update(**fields)
        assert Voucher.objects.get(pk=voucher.pk).status == from_status


def test_saving_a_voucher_without_changing_its_status_is_not_a_move(org_a):
    voucher = voucher_in(V.WITHDRAWN, org_a)
    voucher.failure_reason = "Card snapped"
    voucher.save()  # the trigger fires only when the status changes
    assert Voucher.objects.get(pk=voucher.pk).failure_reason == "Card snapped"


SERVICES = {
    "activate": (lambda actor, voucher: voucher_activate(actor=actor, voucher=voucher), V.ACTIVATED),
    "fail": (lambda actor, voucher: voucher_fail(actor=actor, voucher=voucher, reason="No signal"), V.FAILED),
    "withdraw": (lambda actor, voucher: voucher_withdraw(actor=actor, voucher=voucher), V.WITHDRAWN),
}
ILLEGAL = [
    (name, status)
    for name, (_, to_status) in SERVICES.items()
    for status in V.values
    if to_status not in TRANSITIONS[status]
]


@pytest.mark.parametrize("service,from_status", ILLEGAL)
def test_every_illegal_move_through_a_service_is_refused_and_leaves_no_history(actor_a, service, from_status):
    voucher = voucher_in(from_status, actor_a.organisation)
    call, to_status = SERVICES[service]
    with pytest.raises(DomainError) as refused:
        call(actor_a, voucher)
    assert refused.value.code == "illegal_transition"
    assert str(refused.value).startswith(f"This voucher is {V(from_status).label.lower()}, so it cannot be")
    assert Voucher.objects.get(pk=voucher.pk).status == from_status
    assert not VoucherEvent.objects.filter(voucher=voucher).exists()


def test_a_refusal_says_what_is_still_possible(actor_a):
    issued = voucher_in(V.ISSUED, actor_a.organisation)
    voucher_activate(actor=actor_a, voucher=issued)
    with pytest.raises(DomainError, match=r"activated, so it cannot be withdrawn\. Nothing more can be done"):
        voucher_withdraw(actor=actor_a, voucher=issued)
    available = voucher_in(V.AVAILABLE, actor_a.organisation)
    with pytest.raises(DomainError, match=r"cannot be marked activated\. It can be issued or withdrawn or expired"):
        voucher_activate(actor=actor_a, voucher=available)


def history(voucher):
    return [
        (event.action, event.from_status, event.to_status, event.note, event.actor_label)
        for event in VoucherEvent.objects.filter(voucher=voucher).order_by("id")
    ]


def test_import_issue_activate_each_write_a_history_row(actor_a, resident_a):
    provider = ProviderFactory()
    report = voucher_batch_import(
        actor=actor_a, rows=[ImportRow(line=2, code="HIST-0001"), ImportRow(line=3, code="HIST-0002")], dry_run=False,
        provider=provider, kind="data_code", expires_on=timezone.localdate() + timedelta(days=30),
    )  # fmt: skip
    # The import is recorded once, for the batch, not once per voucher (a row per code would double its time).
    record = VoucherImportRecord.objects.get(batch=report.batch, dry_run=False)
    assert (record.user, record.rows) == (actor_a.user, 2) and not VoucherEvent.objects.exists()
    voucher = voucher_issue(actor=actor_a, resident=resident_a, kind="data_code")
    voucher_reveal(actor=actor_a, voucher=voucher)  # not a change of the voucher: no history row
    voucher_activate(actor=actor_a, voucher=voucher)
    who = str(actor_a.user)
    assert history(voucher) == [("issue", V.AVAILABLE, V.ISSUED, "", who), ("activate", V.ISSUED, V.ACTIVATED, "", who)]
    shown = [(entry.action, entry.from_status, entry.to_status, entry.actor_label, entry.title)
             for entry in voucher_history(voucher=voucher)]  # fmt: skip
    assert shown == [
        ("activate", V.ISSUED, V.ACTIVATED, who, "Marked activated"),
        ("issue", V.AVAILABLE, V.ISSUED, who, "Issued"),
        ("import", "", V.AVAILABLE, who, "Imported with its batch"),
    ]


def test_a_dry_run_or_a_refused_import_writes_no_history(actor_a):
    """Dry runs are recorded (they count against the hourly limit) but are not a voucher's history."""
    provider = ProviderFactory()
    details = {"provider": provider, "kind": "data_code", "expires_on": timezone.localdate() + timedelta(days=30)}
    voucher_batch_import(actor=actor_a, rows=[ImportRow(line=2, code="DRY-0001")], dry_run=True, **details)
    voucher_batch_import(actor=actor_a, rows=[ImportRow(line=2, code="bad code")], dry_run=False, **details)
    assert not VoucherEvent.objects.exists() and not VoucherImportRecord.objects.filter(batch__isnull=False).exists()


def test_failure_and_withdrawal_record_why(actor_a, resident_a):
    failed = voucher_in(V.ISSUED, actor_a.organisation, resident=resident_a)
    voucher_fail(actor=actor_a, voucher=failed, reason="Says the code is used", replace=False)
    spare = voucher_in(V.AVAILABLE, actor_a.organisation)
    voucher_withdraw(actor=actor_a, voucher=spare, reason="Card damaged")  # withdrawn from stock: no resident
    who = str(actor_a.user)
    assert history(failed) == [("fail", V.ISSUED, V.FAILED, "Says the code is used", who)]
    assert history(spare) == [("withdraw", V.AVAILABLE, V.WITHDRAWN, "Card damaged", who)]


def test_expiry_writes_a_system_history_row_for_the_batch_organisation_and_only_once(org_a, org_b):
    old = VoucherBatchFactory(organisation=org_a, expires_on=timezone.localdate() - timedelta(days=1))
    expiring = [VoucherFactory(batch=old), VoucherFactory(batch=old)]
    issued = voucher_in(V.ISSUED, org_a)
    Voucher.objects.filter(pk=issued.pk).update(batch=old)  # issued before the batch expired: it stays issued
    current = VoucherFactory(batch__organisation=org_b)
    assert voucher_expire_unissued() == 2
    assert voucher_expire_unissued() == 0
    for voucher in expiring:
        assert history(voucher) == [("expire", V.AVAILABLE, V.EXPIRED, "", "System")]
        event = VoucherEvent.objects.get(voucher=voucher)
        assert event.organisation == org_a and event.data == {"batch_expired_on": old.expires_on.isoformat()}
    assert Voucher.objects.get(pk=issued.pk).status == V.ISSUED
    assert not VoucherEvent.objects.filter(voucher__in=[issued, current]).exists()
