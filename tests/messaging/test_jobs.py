"""The jobs beside loan reminders: returns left unchecked, lost devices to write off, voucher batches expiring or
running low (once per crossing), referrals without a response or due a follow-up, the schedule itself."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from devices.reminders import resident_blocked_from_lending, vouchers_expire_unissued
from devices.services import loan_report_lost, loan_return
from inclusion import choices
from inclusion.messaging import schedule, sweeps
from inclusion.messaging.models import Message, MessageItem
from referrals.models import Referral
from referrals.reminders import working_days_cutoff
from tests.devices.vouchers.factories import VoucherBatchFactory, VoucherFactory
from tests.factories import ConsentFactory, OrganisationFactory

from .conftest import texting_resident, uk

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def kinds(**filters) -> list[str]:
    return sorted(MessageItem.objects.filter(**filters).values_list("kind", flat=True))


def test_a_return_left_unchecked_for_more_than_a_week_is_flagged_once(org_a, lend, actor_a, settings):
    settings.RETURN_CHECK_FLAG_DAYS = 7
    loan = lend(texting_resident(org_a), TODAY() + timedelta(days=5))
    loan_return(actor=actor_a, loan=loan, condition="good")
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=6)))
    assert kinds(audience="staff") == []
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=7)))
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=9)))
    assert kinds(audience="staff") == ["return_unchecked"]
    assert loan.device.asset_tag in MessageItem.objects.get(kind="return_unchecked").data["summary"]


def test_a_device_lost_a_month_ago_is_proposed_for_write_off(org_a, lend, actor_a, settings):
    settings.LOST_WRITE_OFF_DAYS = 30
    loan = lend(texting_resident(org_a), TODAY() + timedelta(days=5))
    loan_report_lost(actor=actor_a, loan=loan)
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=29)))
    assert kinds(kind="lost_write_off") == []
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=30)))
    assert kinds(kind="lost_write_off") == ["lost_write_off"]


def test_a_batch_expiring_in_14_days_with_codes_left_warns_once(org_a):
    batch = VoucherBatchFactory(organisation=org_a, expires_on=TODAY() + timedelta(days=20), low_stock_threshold=0)
    VoucherFactory.create_batch(3, batch=batch)
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=5)))
    assert kinds() == []
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=6)))
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=10)))
    assert kinds() == ["voucher_batch_expiring"]
    assert "with 3 codes not issued" in MessageItem.objects.get().data["summary"]


def test_low_stock_alerts_once_per_crossing(org_a):
    batch = VoucherBatchFactory(organisation=org_a, low_stock_threshold=3, expires_on=TODAY() + timedelta(days=100))
    vouchers = VoucherFactory.create_batch(4, batch=batch)
    sweeps.sweep_run(now=uk(TODAY()))
    assert kinds() == []
    vouchers[0].status = "withdrawn"
    vouchers[0].save()
    vouchers[1].status = "withdrawn"
    vouchers[1].save()
    sweeps.sweep_run(now=uk(TODAY()))
    sweeps.sweep_run(now=uk(TODAY(), 11))
    assert kinds() == ["voucher_low_stock"]
    VoucherFactory.create_batch(5, batch=batch)  # topped up: above the threshold again
    sweeps.sweep_run(now=uk(TODAY(), 12))
    assert kinds() == ["voucher_low_stock"]
    for voucher in batch.vouchers.filter(status="available")[:5]:
        voucher.status = "withdrawn"
        voucher.save()
    sweeps.sweep_run(now=uk(TODAY(), 13))  # below it again: a second crossing, a second alert
    assert kinds() == ["voucher_low_stock", "voucher_low_stock"]


def test_the_daily_task_expires_unissued_codes_of_expired_batches(org_a):
    expired = VoucherFactory(batch__organisation=org_a, batch__expires_on=TODAY() - timedelta(days=1))
    current = VoucherFactory(batch__organisation=org_a)
    assert vouchers_expire_unissued() == 1
    expired.refresh_from_db()
    current.refresh_from_db()
    assert (expired.status, current.status) == ("expired", "available")


def _referral(resident, to, *, status="sent", sent_on: date, response_due_on: date, finished_on: date | None = None):
    sharing = ConsentFactory(resident=resident, purpose=choices.ConsentPurpose.SHARING)
    sent_at = uk(sent_on)
    referral = Referral.objects.create(
        resident=resident, from_organisation=resident.owning_organisation, to_organisation=to, need="skills",
        reason="Wants to learn email", sharing_consent=sharing, sent_at=sent_at, response_due_on=response_due_on,
    )  # fmt: skip
    # A referral starts as sent (the database's transition trigger holds it): walk it to `status` move by move.
    path = {"sent": [], "accepted": ["accepted"], "started": ["accepted", "started"],
            "completed": ["accepted", "started", "completed"]}[status]  # fmt: skip
    for step in path:
        finished = uk(finished_on) if step == "completed" and finished_on else None
        Referral.objects.filter(pk=referral.pk).update(status=step, finished_at=finished)
    referral.refresh_from_db()
    return referral


def test_a_referral_without_a_response_reminds_the_receiver_then_tells_the_referrer(org_a, settings):
    settings.REFERRAL_CHASE_REFERRER_WORKING_DAYS = 3
    college = OrganisationFactory(name="Wolverhampton College")
    # Sent Monday 1 March 2027, answer due Friday 5 March.
    _referral(texting_resident(org_a), college, sent_on=date(2027, 3, 1), response_due_on=date(2027, 3, 5))
    sweeps.sweep_run(now=uk(date(2027, 3, 5)))
    assert kinds() == []
    sweeps.sweep_run(now=uk(date(2027, 3, 6)))
    assert kinds(organisation=college) == ["referral_no_response"]
    sweeps.sweep_run(now=uk(date(2027, 3, 10)))  # Wed: three working days after Fri 5th is Wed 10th
    assert kinds(organisation=org_a) == []
    sweeps.sweep_run(now=uk(date(2027, 3, 11)))
    assert kinds(organisation=org_a) == ["referral_no_response_referrer"]
    summary = MessageItem.objects.get(organisation=org_a).data["summary"]
    assert "Wolverhampton College" in summary


def test_working_days_skip_weekends_and_bank_holidays():
    # By Thursday 11 March 2027, three whole working days (Mon 8 to Wed 10) have passed since Sunday 7th.
    assert working_days_cutoff(date(2027, 3, 11), 3) == date(2027, 3, 7)
    # Easter 2027: Good Friday 26 March and Easter Monday 29 March are not working days, so by Wednesday
    # 31st three have passed only since Tuesday 23rd (Wed 24, Thu 25, Tue 30), not since Thursday 25th.
    assert working_days_cutoff(date(2027, 3, 31), 3) == date(2027, 3, 23)


def test_a_completed_referral_gets_its_follow_up_check_between_6_and_12_weeks(org_a, settings):
    college = OrganisationFactory(name="Wolverhampton College")
    finished = date(2027, 1, 4)
    _referral(texting_resident(org_a), college, status="completed", sent_on=date(2026, 12, 1),
              response_due_on=date(2026, 12, 4), finished_on=finished)  # fmt: skip
    _referral(texting_resident(org_a), college, status="completed", sent_on=date(2026, 6, 1),
              response_due_on=date(2026, 6, 4), finished_on=finished - timedelta(weeks=13))  # fmt: skip
    sweeps.sweep_run(now=uk(finished + timedelta(weeks=6) - timedelta(days=1)))
    assert kinds() == []
    sweeps.sweep_run(now=uk(finished + timedelta(weeks=6)))
    assert kinds() == ["referral_follow_up"]  # the one finished 13 weeks ago is past the window


def test_staff_items_never_name_the_resident(org_a, lend):
    resident = texting_resident(org_a, first_name="Philomena", last_name="Okonkwo")
    lend(resident, TODAY())
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=14)))
    staff = Message.objects.filter(audience="staff")
    for item in MessageItem.objects.filter(audience="staff"):
        assert "Okonkwo" not in item.data["summary"] and "Philomena" not in item.data["summary"]
    assert staff.exists()


def test_the_final_stage_blocks_new_loans_from_the_same_organisation(org_a, org_b, lend, actor_a):
    from devices.services import loan_create
    from inclusion.errors import DomainError
    from tests.devices.factories import DeviceFactory

    today = TODAY()
    loan = lend(texting_resident(org_a), today - timedelta(days=14), started_on=today - timedelta(days=30))
    assert not resident_blocked_from_lending(
        loan.resident_id, organisation_id=org_a.pk, today=today - timedelta(days=1)
    )
    assert resident_blocked_from_lending(loan.resident_id, organisation_id=org_a.pk, today=today)
    assert not resident_blocked_from_lending(loan.resident_id, organisation_id=org_b.pk, today=today)
    with pytest.raises(DomainError) as refused:
        loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=loan.resident,
                    agreement_method="signed_paper")  # fmt: skip
    assert refused.value.code == "too_many_loans" and "long overdue" in refused.value.message


def test_the_schedule_is_in_the_database_with_one_row_per_job():
    from django_celery_beat.models import PeriodicTask

    names = schedule.schedule_install()
    schedule.schedule_install()
    tasks = dict(PeriodicTask.objects.filter(name__in=names).values_list("name", "task"))
    assert tasks["Reminders sweep"] == "messaging.reminders_sweep"
    assert tasks["Expire unissued voucher codes of expired batches"] == "devices.vouchers_expire_unissued"
    assert PeriodicTask.objects.filter(name="Reminders sweep").count() == 1
    assert PeriodicTask.objects.get(name="Reminders sweep").interval.every == schedule.SWEEP_MINUTES
    assert tasks["Monthly impact reports"] == "inclusion.reports.tasks.monthly_reports"
    assert tasks["Webhook deliveries due"] == "referrals.tasks.webhook_deliveries_due"


def test_every_scheduled_task_is_registered_with_celery():
    from inclusion.celery import app

    app.loader.import_default_modules()
    for task, _ in schedule.jobs().values():
        assert task in app.tasks, task


def test_a_long_loan_gets_a_still_using_it_check_every_90_days(org_a, lend, settings):
    from inclusion.messaging import render

    settings.LOAN_CHECK_IN_DAYS = 90
    loan = lend(texting_resident(org_a), TODAY() + timedelta(days=20))
    loan.due_on = TODAY() + timedelta(days=400)  # extended many times
    loan.save(update_fields=["due_on"])
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=89)))
    assert kinds() == []
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=90)))
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=91)))
    assert kinds() == ["loan_still_using"]
    assert "Are you still using the laptop" in render.item_line(MessageItem.objects.get())
    sweeps.sweep_run(now=uk(TODAY() + timedelta(days=180)))
    assert kinds() == ["loan_still_using", "loan_still_using"]


def _open_ended(actor, resident, **dates):
    from devices.models import Loan
    from devices.services import loan_create
    from tests.devices.factories import DeviceFactory

    loan = loan_create(actor=actor, device=DeviceFactory(owning_organisation=actor.organisation), resident=resident,
                       agreement_method="signed_paper", open_ended=True)  # fmt: skip
    if dates:
        Loan.objects.filter(pk=loan.pk).update(**dates)
        loan.refresh_from_db()
    return loan


def test_an_open_ended_loan_is_asked_to_renew_instead_of_told_it_is_due_back_and_unrenewed_is_overdue(org_a, actor_a):
    from inclusion.messaging import render

    loan = _open_ended(actor_a, texting_resident(org_a))
    sweeps.sweep_run(now=uk(loan.due_on - timedelta(days=8)))
    assert kinds() == []
    for before in (7, 6, 1, 0):  # the loans' renewal-due selector lists it from 7 days before
        sweeps.sweep_run(now=uk(loan.due_on - timedelta(days=before)))
    assert kinds() == ["loan_renewal"]  # once per renewal date, and no "due back on" reminders
    line = render.item_line(MessageItem.objects.get())
    assert line.startswith("Are you still using the laptop") and f"Please tell us by {loan.due_on.day} " in line
    sweeps.sweep_run(now=uk(loan.due_on + timedelta(days=1)))
    assert kinds(audience="resident") == ["loan_reminder", "loan_renewal"]  # unanswered: overdue
    assert MessageItem.objects.get(kind="loan_reminder").template == "loan_overdue"


def test_a_renewal_drops_the_pending_ask_and_the_next_renewal_date_is_asked_again(org_a, actor_a):
    from devices.services import loan_renew
    from inclusion.messaging.sources import items_still_due

    loan = _open_ended(actor_a, texting_resident(org_a), due_on=TODAY() + timedelta(days=3),
                       started_on=TODAY() - timedelta(days=25))  # fmt: skip
    sweeps.sweep_run(now=uk(TODAY()), dispatch=False)
    ask = MessageItem.objects.get()
    assert ask.kind == "loan_renewal" and ask.due_on == loan.due_on
    renewed = loan_renew(actor=actor_a, loan=loan, note="Still on the course")
    assert items_still_due([ask]) == []  # renewed before the message went: it is not sent
    sweeps.sweep_run(now=uk(renewed.due_on - timedelta(days=7)), dispatch=False)
    assert sorted(MessageItem.objects.values_list("due_on", flat=True)) == [loan.due_on, renewed.due_on]


def test_a_long_overdue_renewal_is_not_asked_again_and_open_ended_loans_get_no_90_day_check(org_a, actor_a, settings):
    settings.LOAN_CHECK_IN_DAYS = 90
    settings.LOAN_RENEWAL_LONG_OVERDUE_DAYS = 28
    _open_ended(actor_a, texting_resident(org_a), due_on=TODAY() - timedelta(days=29),
                started_on=TODAY() - timedelta(days=90))  # fmt: skip
    sweeps.sweep_run(now=uk(TODAY()), dispatch=False)
    assert kinds(kind__in=["loan_renewal", "loan_still_using"]) == []
