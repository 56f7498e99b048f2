"""Voucher stock, import, issuing (fair and concurrent), reveal, activation, failure, expiry."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import Voucher, VoucherKind, VoucherStatus
from devices.vouchers.selectors import voucher_stock
from devices.vouchers.services import (
    ImportRow,
    luhn_valid,
    voucher_activate,
    voucher_batch_import,
    voucher_expire_unissued,
    voucher_fail,
    voucher_issue,
    voucher_reveal,
    voucher_withdraw,
)
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import CaseEvent

from ...factories import MembershipFactory, ResidentFactory
from .factories import ProviderFactory, VoucherBatchFactory, VoucherFactory, iccid

V = VoucherStatus
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def batch_details(provider, **overrides):
    return {"provider": provider, "kind": VoucherKind.DATA_CODE, "data_allowance_gb": 20, "validity_days": 30,
            "expires_on": TODAY() + timedelta(days=90), **overrides}  # fmt: skip


def test_luhn():
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")  # the textbook example
    assert luhn_valid(iccid(42))
    assert not luhn_valid(iccid(42)[:-1] + str((int(iccid(42)[-1]) + 1) % 10))


def test_import_good_rows_creates_batch_and_vouchers(actor_a):
    provider = ProviderFactory(name="Vodafone", slug="vodafone")
    rows = [ImportRow(line=i + 2, code=f"VF-{i:06d}") for i in range(100)]
    dry = voucher_batch_import(actor=actor_a, rows=rows, dry_run=True, **batch_details(provider))
    assert dry.ok and dry.imported == 0 and not Voucher.objects.exists()
    report = voucher_batch_import(actor=actor_a, rows=rows, dry_run=False, **batch_details(provider))
    assert report.ok and report.imported == 100
    assert report.batch.organisation == actor_a.organisation
    assert Voucher.objects.filter(batch=report.batch, status=V.AVAILABLE, provider=provider).count() == 100


def test_import_reports_every_bad_row_with_its_line_and_imports_nothing(actor_a):
    provider = ProviderFactory()
    VoucherFactory(batch__organisation=actor_a.organisation, batch__provider=provider, provider=provider,
                   code="HELD-0001")  # fmt: skip
    bad_iccid = iccid(7)[:-1] + str((int(iccid(7)[-1]) + 1) % 10)
    rows = [
        ImportRow(line=2, code="GOOD-0001"),
        ImportRow(line=3, code="GOOD-0001"),
        ImportRow(line=4, code="no spaces allowed"),
        ImportRow(line=5, code="HELD-0001"),
        ImportRow(line=6, iccid=bad_iccid),
        ImportRow(line=7, iccid="12345"),
        ImportRow(line=8),
        ImportRow(line=9, code="GOOD-0002"),
    ]
    report = voucher_batch_import(actor=actor_a, rows=rows, dry_run=False, **batch_details(provider))
    assert not report.ok and report.imported == 0
    lines = {line: reason for line, reason in report.errors}
    assert set(lines) == {3, 4, 5, 6, 7, 8}
    assert "repeated (first on line 2)" in lines[3]
    assert "malformed" in lines[4]
    assert lines[5] == "Code ending 0001 is already in your stock"
    assert "Luhn" in lines[6]
    assert "18 to 20 digits" in lines[7]
    assert "No code" in lines[8]
    assert Voucher.objects.count() == 1


def test_import_refuses_an_expired_batch(actor_a):
    report = voucher_batch_import(actor=actor_a, rows=[ImportRow(line=2, code="ABCD-1")], dry_run=False,
                                  **batch_details(ProviderFactory(), expires_on=TODAY() - timedelta(days=1)))  # fmt: skip
    assert (0, f"The batch expired on {TODAY() - timedelta(days=1):%-d %B %Y}") in report.errors
    assert not Voucher.objects.exists()


def test_sim_cards_need_an_iccid_or_serial(actor_a):
    report = voucher_batch_import(actor=actor_a, rows=[ImportRow(line=2, code="ABCD-1"), ImportRow(line=3, iccid=iccid(3))],
                                  dry_run=True, **batch_details(ProviderFactory(), kind=VoucherKind.SIM_CARD))  # fmt: skip
    assert report.errors == [(2, "A SIM card needs its ICCID or serial number")]


def test_issue_takes_the_voucher_that_expires_soonest(actor_a, org_a, resident_a):
    provider = ProviderFactory()
    later = VoucherBatchFactory(organisation=org_a, provider=provider, expires_on=TODAY() + timedelta(days=200))
    sooner = VoucherBatchFactory(organisation=org_a, provider=provider, expires_on=TODAY() + timedelta(days=20))
    VoucherFactory(batch=later)
    first_sooner = VoucherFactory(batch=sooner)
    VoucherFactory(batch=sooner)
    voucher = voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    assert voucher == first_sooner and voucher.status == V.ISSUED and voucher.resident == resident_a
    event = CaseEvent.objects.get(resident=resident_a, kind="voucher_issued")
    assert voucher.code not in event.summary and voucher.code[-4:] in event.summary


def _voucher_takes(queries) -> list[str]:
    return [q["sql"] for q in queries if "SKIP LOCKED" in q["sql"] and 'FROM "devices_voucher"' in q["sql"]]


def test_issue_picks_the_batch_first_then_takes_one_voucher_of_it(actor_a, org_a, resident_a):
    """Issue 12: the queue reads one batch at a time, soonest-expiring first, never sorting every available
    voucher of the eligible batches by their batch's expiry; an exhausted batch is passed over."""
    provider = ProviderFactory()
    exhausted = VoucherBatchFactory(organisation=org_a, provider=provider, expires_on=TODAY() + timedelta(days=10))
    sooner = VoucherBatchFactory(organisation=org_a, provider=provider, expires_on=TODAY() + timedelta(days=20))
    later = VoucherBatchFactory(organisation=org_a, provider=provider, expires_on=TODAY() + timedelta(days=200))
    VoucherFactory(batch=later)
    wanted = VoucherFactory(batch=sooner)
    VoucherFactory(batch=sooner)
    VoucherFactory(batch=exhausted, status=V.WITHDRAWN)
    with CaptureQueriesContext(connection) as queries:
        voucher = voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    assert voucher == wanted
    takes = _voucher_takes(queries)
    assert len(takes) == 2  # the exhausted batch, then the one that served; the later batch is never read
    for sql, batch in zip(takes, (exhausted, sooner), strict=True):
        assert f'"devices_voucher"."batch_id" = {batch.pk}' in sql
        assert " IN (" not in sql and "expires_on" not in sql.split("ORDER BY")[1]
        assert sql.split("ORDER BY")[1].split("LIMIT")[0].strip() == '"devices_voucher"."id" ASC'


def test_the_take_reads_the_voucher_available_index_without_sorting(actor_a, org_a):
    """At scale the planner must find the first free voucher of a batch on `voucher_available`, not sort."""
    earlier, batch = VoucherBatchFactory(organisation=org_a), VoucherBatchFactory(organisation=org_a)
    Voucher.objects.bulk_create(
        [Voucher(batch=earlier, provider=earlier.provider, code=f"BULK-{i:06d}") for i in range(20_000)]
        + [Voucher(batch=batch, provider=batch.provider, code=f"LATE-{i:06d}") for i in range(100)]
    )
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "devices_voucher"')
    take = Voucher.objects.filter(batch_id=batch.pk, status=V.AVAILABLE).order_by("id")[:1]
    plan = take.explain()
    assert "voucher_available" in plan and "Sort" not in plan


@pytest.mark.django_db(transaction=True)
def test_a_voucher_being_issued_elsewhere_is_skipped_for_the_next_batch(org_a):
    """The soonest batch's only voucher is locked by another issue in progress: this one takes the next
    batch's voucher at once, without waiting."""
    provider = ProviderFactory()
    sooner = VoucherFactory(batch=VoucherBatchFactory(organisation=org_a, provider=provider,
                                                      expires_on=TODAY() + timedelta(days=20)))  # fmt: skip
    later = VoucherFactory(batch=VoucherBatchFactory(organisation=org_a, provider=provider,
                                                     expires_on=TODAY() + timedelta(days=200)))  # fmt: skip
    resident = ResidentFactory(owning_organisation=org_a)
    staff = MembershipFactory(organisation=org_a)
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                list(Voucher.objects.filter(pk=sooner.pk).select_for_update())
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting for the held row would fail the test, not hang it
        voucher = voucher_issue(actor=Actor.for_membership(staff), resident=resident, kind=VoucherKind.DATA_CODE)
    finally:
        release.set()
        holder.join()
    assert voucher.pk == later.pk
    sooner.refresh_from_db()
    assert sooner.status == V.AVAILABLE


def test_eligibility_one_per_resident_per_six_months(actor_a, org_a, resident_a):
    batch = VoucherBatchFactory(organisation=org_a)
    VoucherFactory.create_batch(3, batch=batch)
    voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    with pytest.raises(
        DomainError, match=r"had a .* Data voucher code on .*; this batch allows 1 per resident every 183 days"
    ):
        voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    Voucher.objects.filter(resident=resident_a).update(issued_at=timezone.now() - timedelta(days=200))
    assert voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE).status == V.ISSUED


def test_out_of_stock_and_wrong_kind_are_refused_clearly(actor_a, org_a, resident_a):
    VoucherBatchFactory(organisation=org_a)
    with pytest.raises(DomainError, match="None left"):
        voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    with pytest.raises(DomainError, match="no current batches of that kind"):
        voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.SIM_CARD)


def test_another_organisations_stock_is_never_issued(actor_b, org_a, org_b):
    VoucherFactory(batch__organisation=org_a)
    with pytest.raises(DomainError, match="no current batches"):
        voucher_issue(actor=actor_b, resident=ResidentFactory(owning_organisation=org_b), kind=VoucherKind.DATA_CODE)


def test_reveal_is_recorded_and_only_for_the_owning_organisation(actor_a, actor_b, org_a, org_b, resident_a, sharing):
    VoucherFactory(batch__organisation=org_a, code="SECRET-123456")
    voucher = voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    assert voucher_reveal(actor=actor_a, voucher=voucher) == "SECRET-123456"
    assert CaseEvent.objects.filter(resident=resident_a, kind="voucher_revealed").count() == 1
    sharing.share(resident_a, org_b)  # even one who may see the resident
    with pytest.raises(DomainError, match="another organisation"):
        voucher_reveal(actor=actor_b, voucher=voucher)


def test_masking(org_a):
    voucher = VoucherFactory(batch__organisation=org_a, code="ABCDEFGH1234")
    assert voucher.masked == "••••1234" and "ABCDEFGH" not in str(voucher)


def test_activate_fail_with_replacement_and_withdraw(actor_a, org_a, resident_a):
    batch = VoucherBatchFactory(organisation=org_a)
    VoucherFactory.create_batch(3, batch=batch)
    first = voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    replacement = voucher_fail(actor=actor_a, voucher=first, reason="Code rejected by the network")
    first.refresh_from_db()
    assert first.status == V.FAILED and replacement.replacement_for == first and replacement.status == V.ISSUED
    voucher_activate(actor=actor_a, voucher=replacement)
    replacement.refresh_from_db()
    assert replacement.status == V.ACTIVATED
    with pytest.raises(DomainError, match="activated, so it cannot be withdrawn"):
        voucher_withdraw(actor=actor_a, voucher=replacement)
    spare = Voucher.objects.get(batch=batch, status=V.AVAILABLE)
    voucher_withdraw(actor=actor_a, voucher=spare, reason="Card damaged")
    spare.refresh_from_db()
    assert spare.status == V.WITHDRAWN


def test_failed_voucher_without_stock_stays_failed_with_no_replacement(actor_a, org_a, resident_a):
    VoucherFactory(batch__organisation=org_a)
    voucher = voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    assert voucher_fail(actor=actor_a, voucher=voucher, reason="Not working") is None
    voucher.refresh_from_db()
    assert voucher.status == V.FAILED


def test_expiry_of_unissued_vouchers(actor_a, org_a, resident_a):
    old = VoucherBatchFactory(organisation=org_a, expires_on=TODAY() - timedelta(days=1))
    current = VoucherBatchFactory(organisation=org_a)
    VoucherFactory.create_batch(2, batch=old)
    VoucherFactory(batch=current)
    assert voucher_expire_unissued() == 2
    assert voucher_expire_unissued() == 0
    assert Voucher.objects.filter(status=V.EXPIRED).count() == 2
    assert Voucher.objects.filter(batch=current, status=V.AVAILABLE).count() == 1


def test_stock_flags_low_levels(org_a):
    batch = VoucherBatchFactory(
        organisation=org_a, low_stock_threshold=3, provider__name="Three", provider__slug="three"
    )
    VoucherFactory.create_batch(3, batch=batch)
    assert voucher_stock(organisation=org_a) == [
        {"provider": "Three", "kind": "data_code", "available": 3, "threshold": 3, "low": True}
    ]
    VoucherFactory(batch=batch)
    assert voucher_stock(organisation=org_a)[0]["low"] is False


def test_codes_never_reach_the_logs(actor_a, org_a, resident_a, caplog):
    VoucherFactory(batch__organisation=org_a, code="NEVERLOG-98765")
    with caplog.at_level(logging.DEBUG):
        voucher = voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
        voucher_activate(actor=actor_a, voucher=voucher)
    assert "NEVERLOG" not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_issues_get_fifty_distinct_codes(org_a):
    batch = VoucherBatchFactory(organisation=org_a)
    VoucherFactory.create_batch(60, batch=batch)
    staff = MembershipFactory(organisation=org_a)
    residents = [ResidentFactory(owning_organisation=org_a) for _ in range(50)]
    barrier = threading.Barrier(50)
    issued, errors = [], []

    def attempt(resident):
        try:
            barrier.wait()
            issued.append(
                voucher_issue(actor=Actor.for_membership(staff), resident=resident, kind=VoucherKind.DATA_CODE).pk
            )
        except Exception as error:  # noqa: BLE001 - any failure is a test failure, reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(resident,)) for resident in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(issued) == 50 and len(set(issued)) == 50
    assert Voucher.objects.filter(status=V.ISSUED).count() == 50
    assert Voucher.objects.filter(status=V.AVAILABLE).count() == 10
    assert Voucher.objects.filter(status=V.ISSUED).values("resident").distinct().count() == 50


def test_two_batches_of_one_offer_do_not_give_a_resident_two_vouchers(actor_a, org_a, resident_a):
    provider = ProviderFactory()
    for days in (30, 90):
        VoucherFactory(batch=VoucherBatchFactory(organisation=org_a, provider=provider,
                                                 expires_on=TODAY() + timedelta(days=days)))  # fmt: skip
    voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    with pytest.raises(DomainError, match="this batch allows 1 per resident"):
        voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)


# Codes are bearer secrets: an import must not confirm that another organisation holds one.


def test_a_code_held_by_another_organisation_is_refused_without_saying_so(actor_a, actor_b, org_b):
    provider = ProviderFactory()
    VoucherFactory(batch__organisation=org_b, batch__provider=provider, provider=provider, code="THEIRS-796B")
    theirs_iccid = iccid(796)
    VoucherFactory(batch__organisation=org_b, batch__provider=provider, provider=provider, code="", iccid=theirs_iccid)
    VoucherFactory(batch__organisation=actor_a.organisation, batch__provider=provider, provider=provider,
                   code="MINE-0001")  # fmt: skip
    rows = [ImportRow(line=2, code="THEIRS-796B"), ImportRow(line=3, iccid=theirs_iccid),
            ImportRow(line=4, code="MINE-0001"), ImportRow(line=5, code="NEW-0001")]  # fmt: skip
    report = voucher_batch_import(actor=actor_a, rows=rows, dry_run=True, **batch_details(provider))
    assert report.errors == [
        (2, "Code ending 796B cannot be imported: check it with the provider"),
        (3, f"ICCID ending {theirs_iccid[-4:]} cannot be imported: check it with the provider"),
        (4, "Code ending 0001 is already in your stock"),
    ]


def test_every_import_is_recorded_with_the_clashes_it_met(actor_a, org_b, org_a):
    from devices.models import VoucherImportRecord

    provider = ProviderFactory()
    VoucherFactory(batch__organisation=org_b, batch__provider=provider, provider=provider, code="THEIRS-796B")
    probe = [ImportRow(line=2, code="THEIRS-796B"), ImportRow(line=3, code="GUESS-0002")]
    voucher_batch_import(actor=actor_a, rows=probe, dry_run=True, **batch_details(provider))
    good = voucher_batch_import(actor=actor_a, rows=[ImportRow(line=2, code="NEW-0001")], dry_run=False,
                                **batch_details(provider))  # fmt: skip
    records = list(VoucherImportRecord.objects.order_by("pk").values_list(
        "organisation", "user", "provider", "dry_run", "rows", "problems", "held_elsewhere", "batch"))  # fmt: skip
    assert records == [
        (org_a.pk, actor_a.user.pk, provider.pk, True, 2, 1, 1, None),
        (org_a.pk, actor_a.user.pk, provider.pk, False, 1, 0, 0, good.batch.pk),
    ]


def test_imports_are_limited_per_person_per_hour(actor_a, org_a, settings):
    from devices.models import VoucherImportRecord
    from inclusion.ratelimit import RateLimited

    settings.VOUCHER_IMPORTS_PER_HOUR = 2
    provider = ProviderFactory()
    for _ in range(2):
        voucher_batch_import(actor=actor_a, rows=[ImportRow(line=2, code="GUESS-0001")], dry_run=True,
                             **batch_details(provider))  # fmt: skip
    with pytest.raises(RateLimited) as refused:
        voucher_batch_import(actor=actor_a, rows=[ImportRow(line=2, code="GUESS-0002")], dry_run=True,
                             **batch_details(provider))  # fmt: skip
    assert refused.value.code == "throttled"
    assert refused.value.message.startswith("You have made 2 voucher imports or checks this hour, the most allowed. "
                                            "Try again after ")  # fmt: skip
    assert 0 < refused.value.retry_after <= 3600
    assert VoucherImportRecord.objects.count() == 2
    # Another member of staff of the same organisation has their own allowance.
    other = Actor.for_membership(MembershipFactory(organisation=org_a))
    assert voucher_batch_import(actor=other, rows=[ImportRow(line=2, code="GUESS-0003")], dry_run=True,
                                **batch_details(provider)).ok  # fmt: skip
