"""manage.py build_region: the small size, checked for its counts, its skew and its integrity."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max
from django.utils import timezone

from devices.models import Device, Loan, Voucher
from inclusion import access
from inclusion.messaging.models import Message, MessageItem
from inclusion.models import CaseEvent, Membership, Organisation, Resident
from inclusion.region import SIZES, shares
from inclusion.selectors import resident_search
from inclusion.validators import name_part_key, name_search_key
from referrals.models import OPEN_STATUSES, Outcome, Referral, ReferralEvent, ReferralMessage, ReferralStatus
from referrals.region import PATHS, STATUS_SHARES

SMALL = SIZES["small"]


@pytest.fixture
def region(db):
    call_command("build_region", size="small", stdout=open("/dev/null", "w"))
    return Organisation.objects.filter(slug__startswith="region-").order_by("slug")


def test_small_region_has_the_sizes_it_promises(region):
    assert region.count() == SMALL.organisations
    assert Membership.objects.filter(organisation__in=region).count() == SMALL.organisations
    assert Resident.objects.count() == SMALL.residents
    assert CaseEvent.objects.count() == SMALL.timeline_entries
    assert CaseEvent.objects.filter(kind="registered").count() == SMALL.residents
    assert Device.objects.count() == SMALL.devices
    assert Loan.objects.count() == SMALL.loans
    assert Loan.objects.filter(closed_at__isnull=True).count() == SMALL.open_loans
    overdue = Loan.objects.filter(closed_at__isnull=True, due_on__lt=timezone.localdate())
    assert overdue.count() == SMALL.overdue_loans
    assert Voucher.objects.count() == SMALL.vouchers
    assert Referral.objects.count() == SMALL.referrals
    assert Message.objects.count() == MessageItem.objects.count() == SMALL.messages


def test_small_region_is_skewed_like_the_real_one(region):
    counts = [Resident.objects.filter(owning_organisation=org).count() for org in region]
    assert counts == shares(SMALL.residents, SMALL.organisations, SMALL.largest_share)
    assert counts[0] == max(counts)
    smiths = Resident.objects.filter(last_name="Smith").count()
    assert smiths > 3 * Resident.objects.filter(last_name="Ward").count()
    # Some open loans go to another organisation's residents: that is what shares a resident.
    shared = Loan.objects.filter(closed_at__isnull=True).exclude(resident__owning_organisation=F("organisation"))
    assert shared.exists()


def test_small_region_holds_the_databases_rules(region):
    # A device is on loan exactly when it has an open loan, and a loan's device belongs to the lender.
    on_loan = set(Device.objects.filter(status="on_loan").values_list("pk", flat=True))
    assert on_loan == set(Loan.objects.filter(closed_at__isnull=True).values_list("device_id", flat=True))
    assert not Loan.objects.exclude(device__owning_organisation=F("organisation")).exists()
    assert not Loan.objects.filter(due_on__lt=F("started_on")).exists()
    # Issued vouchers go to the batch organisation's own residents.
    issued = Voucher.objects.filter(status="issued")
    assert issued.count() == SMALL.vouchers // 3
    assert not issued.exclude(resident__owning_organisation=F("batch__organisation")).exists()
    # Timeline entries are written by the resident's own organisation.
    assert not CaseEvent.objects.exclude(organisation=F("resident__owning_organisation")).exists()


def test_small_region_residents_are_found_as_the_services_would_store_them(region):
    for resident in Resident.objects.order_by("id")[:200]:
        assert resident.last_name_key == name_search_key(resident.last_name)
        assert resident.first_name_key == name_search_key(resident.first_name)
        assert resident.last_name_part_key == name_part_key(resident.last_name)
        assert resident.postcode_key == resident.postcode.upper()
        resident.full_clean(exclude=["registered_by"])
    largest = region.first()
    found = list(resident_search(organisation=largest, query="smi"))
    assert found and all(r.last_name_key.startswith("smi") or r.first_name_key.startswith("smi") for r in found)
    shared = Loan.objects.filter(closed_at__isnull=True, organisation=largest).exclude(
        resident__owning_organisation=largest
    )
    # Shared with it: by its open loans to others' residents, and by open referrals to it (with consent).
    referred = Referral.objects.filter(to_organisation=largest, status__in=OPEN_STATUSES)
    linked = set(shared.values_list("resident_id", flat=True)) | set(referred.values_list("resident_id", flat=True))
    visible = access.VisibleResidents(largest)
    assert referred.exists() and visible.count(cap=SMALL.residents)[0] == (
        Resident.objects.filter(owning_organisation=largest).count() + len(linked)
    )


def test_a_second_region_in_the_same_database_is_refused(region):
    with pytest.raises(CommandError, match="already has a region"):
        call_command("build_region", size="small")


def test_small_region_has_referrals_in_every_status_with_their_history_and_outcomes(region):
    by_status = dict(Referral.objects.values_list("status").annotate(n=Count("id")))
    assert set(by_status) == set(ReferralStatus.values)
    for status, share in STATUS_SHARES:  # the shares promised, out of every 200
        assert abs(by_status[status] - SMALL.referrals * share / 200) <= 1, status
    # Each referral's history is its path from "sent", numbered 1..last_sequence, ending in its status.
    assert ReferralEvent.objects.count() == sum(by_status[s] * (len(PATHS[s]) + 1) for s in by_status)
    assert not Referral.objects.annotate(last=Max("events__sequence")).exclude(last=F("last_sequence")).exists()
    for referral in Referral.objects.order_by("id")[:50]:
        moves = list(referral.events.order_by("sequence").values_list("sequence", "to_status"))
        assert [n for n, _ in moves] == list(range(1, referral.last_sequence + 1))
        assert moves[-1][1] == referral.status
    completed = by_status[ReferralStatus.COMPLETED]
    assert Outcome.objects.filter(stage="completion").count() == completed
    assert 0 < Outcome.objects.filter(stage="follow_up").count() < completed
    assert not Outcome.objects.exclude(referral__status=ReferralStatus.COMPLETED).exists()
    assert not Outcome.objects.exclude(organisation=F("referral__to_organisation")).exists()
    assert ReferralMessage.objects.count() == SMALL.referrals // 4


def test_small_region_referrals_hold_the_databases_rules_and_share_residents(region):
    referrals = Referral.objects.all()
    # From the resident's own organisation, to another, with the resident's current consent to sharing.
    assert not referrals.exclude(from_organisation=F("resident__owning_organisation")).exists()
    assert not referrals.filter(to_organisation=F("from_organisation")).exists()
    assert not referrals.exclude(sharing_consent__resident=F("resident")).exists()
    assert not referrals.exclude(sharing_consent__purpose="sharing").exists()
    assert not referrals.filter(sharing_consent__withdrawn_at__isnull=False).exists()
    assert referrals.values("resident").distinct().count() == SMALL.referrals
    # Every field each status needs (the check constraints held them as the rows were moved on).
    assert not referrals.filter(status=ReferralStatus.DECLINED, decline_reason="").exists()
    assert not referrals.exclude(status__in=[*OPEN_STATUSES, "declined"]).filter(finished_at__isnull=True).exists()
    assert not referrals.filter(status="completed", follow_up_due_on__isnull=True).exists()
    # The open ones share their resident with the receiving partner, through the access rule.
    open_one = referrals.filter(status__in=OPEN_STATUSES).first()
    visible = access.VisibleResidents(open_one.to_organisation)
    assert (
        visible.count(cap=SMALL.residents)[0]
        > Resident.objects.filter(owning_organisation=open_one.to_organisation).count()
    )
    access.resident_check_visible(open_one.to_organisation, open_one.resident_id)


def test_small_region_messages_are_history_never_sent_again(region):
    assert not Message.objects.filter(status__in=["pending", "sending"]).exists()
    assert set(Message.objects.values_list("status", flat=True)) == {"delivered", "sent", "failed", "skipped"}
    assert not Message.objects.exclude(organisation=F("resident__owning_organisation")).exists()
    assert not MessageItem.objects.exclude(message__resident=F("resident")).exists()
    assert not Message.objects.filter(status="skipped").exclude(status_reason__gt="").exists()
    assert not Message.objects.filter(status="delivered", delivered_at__isnull=True).exists()


def test_a_region_read_back_from_its_database_is_the_one_built(region):
    """bench/region_extend.py adds an app's part to a region built earlier: it must see the same organisations,
    staff and resident numbering as the builders did (resident number 1 belongs to the first organisation)."""
    from django.db import connection

    from inclusion.region import Region

    with connection.cursor() as cursor:
        read = Region.of_database(SMALL, cursor)
        assert read.organisation_ids == list(region.order_by("pk").values_list("pk", flat=True))
        assert [Membership.objects.get(user_id=u).organisation_id for u in read.user_ids] == read.organisation_ids
        last_of_first = read.resident_counts[0]
        cursor.execute(
            f"SELECT {read.resident_id_sql(str(last_of_first))}, {read.resident_id_sql(str(last_of_first + 1))}"
        )
        last_first, first_second = cursor.fetchone()
    assert Resident.objects.get(pk=last_first).owning_organisation_id == read.organisation_ids[0]
    assert Resident.objects.get(pk=first_second).owning_organisation_id == read.organisation_ids[1]
