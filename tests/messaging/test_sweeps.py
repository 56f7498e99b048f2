"""The sweep: due things become items once, one digest per resident, channels by preference and consent,
quiet hours and working days in UK time. Frozen clock: the sweep is given the moment it runs at."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from inclusion import choices
from inclusion.actors import Actor
from inclusion.messaging import stages, sweeps
from inclusion.messaging.models import Message, MessageItem
from inclusion.models import CaseEvent
from tests.factories import ConsentFactory, ResidentFactory

from .conftest import texting_resident, uk

pytestmark = pytest.mark.django_db


def due_in(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def items(**filters):
    return list(MessageItem.objects.filter(**filters).order_by("id").values_list("template", flat=True))


def test_loan_due_today_gets_the_on_the_day_reminder(org_a, lend):
    loan = lend(texting_resident(org_a), due_in(10))
    counts = sweeps.sweep_run(now=uk(loan.due_on, 10))
    assert items(audience="resident") == ["loan_due_today"]
    assert counts["loan reminders"] == 1 and counts["messages"] == 1
    message = Message.objects.get()
    assert message.channel == "sms" and message.recipient == loan.resident.phone and message.status == "pending"


def test_overdue_by_one_day_and_the_day_before_due(org_a, lend):
    loan = lend(texting_resident(org_a), due_in(10))
    sweeps.sweep_run(now=uk(loan.due_on - timedelta(days=1), 12))
    assert items() == ["loan_due_tomorrow"]
    sweeps.sweep_run(now=uk(loan.due_on + timedelta(days=1), 12))
    assert items() == ["loan_due_tomorrow", "loan_overdue"]


def test_just_after_midnight_uk_time_is_already_the_next_day(org_a, lend):
    loan = lend(texting_resident(org_a), due_in(10))
    # 00:30 BST or GMT on the due date is still the day before in UTC half the year: the UK date decides.
    sweeps.sweep_run(now=uk(loan.due_on, 0, 30))
    assert items() == ["loan_due_today"]


def test_sweeping_twice_adds_nothing(org_a, lend):
    loan = lend(texting_resident(org_a), due_in(10))
    now = uk(loan.due_on + timedelta(days=7), 11)
    first = sweeps.sweep_run(now=now)
    second = sweeps.sweep_run(now=now + timedelta(minutes=5))
    assert first["loan reminders"] == 1 and first["loan escalations"] == 1 and first["messages"] == 2
    assert second["loan reminders"] == 0 and second["loan escalations"] == 0 and second["messages"] == 0
    assert Message.objects.count() == 2


def test_three_loans_due_for_one_resident_make_one_digest_naming_all_three(org_a, lend):
    from inclusion.messaging import render

    resident = texting_resident(org_a)
    loans = [lend(resident, due_in(10), asset_tag=tag) for tag in ("LAP-001", "TAB-002", "PHN-003")]
    sweeps.sweep_run(now=uk(loans[0].due_on, 10))
    message = Message.objects.get(audience="resident")
    assert message.items.count() == 3
    body = render.message_body(message)
    assert all(tag in body for tag in ("LAP-001", "TAB-002", "PHN-003"))


def test_an_extension_starts_the_stages_again(org_a, lend):
    loan = lend(texting_resident(org_a), due_in(10))
    sweeps.sweep_run(now=uk(loan.due_on - timedelta(days=1)))
    loan.due_on += timedelta(days=14)
    loan.save(update_fields=["due_on"])
    sweeps.sweep_run(now=uk(loan.due_on - timedelta(days=1)))
    assert items() == ["loan_due_tomorrow", "loan_due_tomorrow"]


def test_a_loan_lent_late_gets_no_stale_week_before_reminder(org_a, lend):
    loan = lend(texting_resident(org_a), due_in(10))
    sweeps.sweep_run(now=uk(loan.due_on - timedelta(days=3)))  # 7 days before was 4 days ago: past the catch-up
    assert items() == []


def test_a_missed_sweep_is_made_up_the_next_day(org_a, lend):
    loan = lend(texting_resident(org_a), due_in(10))
    sweeps.sweep_run(now=uk(loan.due_on - timedelta(days=6)))  # beat was down on the 7-days-before day
    assert items() == ["loan_due_soon"]


def test_preferred_email_consent_and_opt_out_decide_the_channel(org_a, lend):
    email_person = texting_resident(org_a, preferred_contact_method=choices.ContactMethod.EMAIL)
    ConsentFactory(resident=email_person, purpose=choices.ConsentPurpose.CONTACT_EMAIL)
    no_consent = ResidentFactory(owning_organisation=org_a)
    in_person = texting_resident(org_a, preferred_contact_method=choices.ContactMethod.IN_PERSON)
    no_phone_or_email = ResidentFactory(owning_organisation=org_a, phone="", email="")
    due = due_in(10)
    for resident in (email_person, no_consent, in_person, no_phone_or_email):
        lend(resident, due)
    sweeps.sweep_run(now=uk(due, 10))
    by_resident = {m.resident_id: m for m in Message.objects.filter(audience="resident")}
    assert by_resident[email_person.pk].channel == "email"
    assert by_resident[email_person.pk].recipient == email_person.email
    assert by_resident[no_consent.pk].status == "skipped"
    assert by_resident[no_consent.pk].status_reason == "No current consent to contact them by text or email"
    assert by_resident[in_person.pk].status_reason == "They prefer to be contacted in person only"
    letter = by_resident[no_phone_or_email.pk]
    assert letter.channel == "letter" and letter.status == "pending"
    # Each appears on the resident's timeline.
    assert CaseEvent.objects.filter(resident=no_consent, kind="message_skipped").exists()
    assert CaseEvent.objects.filter(resident=no_phone_or_email, kind="message_queued").exists()


def test_a_withdrawn_sms_consent_is_an_opt_out(org_a, lend, actor_a):
    from inclusion.services import consent_withdraw

    resident = texting_resident(org_a)
    consent = resident.consents.get(purpose="contact_sms")
    consent_withdraw(actor=actor_a, consent=consent, channel="phone", note="Asked us to stop texting")
    loan = lend(resident, due_in(10))
    sweeps.sweep_run(now=uk(loan.due_on))
    assert Message.objects.get().status == "skipped"


def test_an_organisations_stage_turned_off_is_not_sent(org_a, lend, coordinator_a):
    stages.stage_save(actor=Actor.for_membership(coordinator_a), offset_days=0, channel="preferred",
                      template="loan_due_today", active=False)  # fmt: skip
    loan = lend(texting_resident(org_a), due_in(10))
    sweeps.sweep_run(now=uk(loan.due_on))
    assert items() == []


def test_escalation_tells_the_coordinators_in_one_email_per_organisation(org_a, lend, coordinator_a):
    due = due_in(3)
    for _ in range(2):
        lend(texting_resident(org_a), due)
    sweeps.sweep_run(now=uk(due + timedelta(days=7), 10))
    staff = Message.objects.get(audience="staff")
    assert staff.channel == "staff_email" and staff.recipient == "coord@alpha.example"
    assert staff.items.count() == 2 and staff.resident_id is None


# Quiet hours and working days


def test_at_night_messages_wait_until_nine_uk_time(org_a, lend):
    loan = lend(texting_resident(org_a), due_in(10))
    sweeps.sweep_run(now=uk(loan.due_on, 6, 0))
    message = Message.objects.get()
    assert message.send_after == uk(loan.due_on, 9, 0)
    assert sweeps.messages_dispatch(now=uk(loan.due_on, 8, 59)) == []


@pytest.mark.parametrize(
    ("now", "released"),
    [
        (uk(date(2026, 6, 1), 21, 0), uk(date(2026, 6, 2), 9, 0)),  # 9pm: tomorrow morning
        (uk(date(2026, 6, 1), 8, 59), uk(date(2026, 6, 1), 9, 0)),
        (uk(date(2026, 6, 1), 9, 0), uk(date(2026, 6, 1), 9, 0)),
        # Clocks go forward at 01:00 UTC on 29 March 2026: 09:00 BST that morning is 08:00 UTC.
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),
        # Clocks go back at 01:00 UTC on 25 October 2026: 09:00 GMT is 09:00 UTC.
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),
        # 8:30 on the evening before the clocks go forward is still daytime (19:30 UTC).
        (datetime(2026, 3, 28, 19, 30, tzinfo=UTC), datetime(2026, 3, 28, 19, 30, tzinfo=UTC)),
    ],
)
def test_release_time_in_uk_time_across_clock_changes(now, released):
    assert sweeps.release_time(now) == released


@pytest.mark.parametrize(
    ("now", "released"),
    [
        (uk(date(2027, 3, 26), 10), uk(date(2027, 3, 30), 9)),  # Good Friday → Tuesday after Easter Monday
        (uk(date(2026, 12, 24), 22), uk(date(2026, 12, 29), 9)),  # Christmas Eve night → after Boxing Day (Mon 28th)
        (uk(date(2026, 6, 5), 10), uk(date(2026, 6, 5), 10)),  # a Friday morning: now
        (uk(date(2026, 6, 6), 10), uk(date(2026, 6, 8), 9)),  # Saturday → Monday
    ],
)
def test_staff_alerts_wait_for_a_working_day(now, released):
    assert sweeps.release_time(now, working_days_only=True) == released


def test_staff_alerts_swept_on_a_bank_holiday_are_held_to_the_next_working_day(org_a, lend, coordinator_a):
    loan = lend(texting_resident(org_a), due_in(10))
    # The sweep on 7 days overdue, pretending that day is Good Friday 2027: the message waits for Tuesday.
    good_friday = uk(date(2027, 3, 26), 10)
    loan.due_on = date(2027, 3, 19)
    loan.save(update_fields=["due_on"])
    sweeps.sweep_run(now=good_friday)
    assert Message.objects.get(audience="staff").send_after == uk(date(2027, 3, 30), 9)
    assert Message.objects.get(audience="resident").send_after == good_friday


def test_a_restricted_record_gets_no_message_and_its_timeline_says_why(org_a, lend):
    from inclusion.models import Resident

    restricted, free = texting_resident(org_a), texting_resident(org_a)
    due = due_in(10)
    lend(restricted, due)
    lend(free, due)
    Resident.objects.filter(pk=restricted.pk).update(restricted_at=timezone.now())  # as resident_restriction_set
    sweeps.sweep_run(now=uk(due, 10))
    by_resident = {m.resident_id: m for m in Message.objects.filter(audience="resident")}
    assert by_resident[free.pk].status == "pending"
    assert by_resident[restricted.pk].status == "skipped" and by_resident[restricted.pk].recipient == ""
    assert by_resident[restricted.pk].status_reason.startswith("Their record is restricted")
    assert CaseEvent.objects.filter(resident=restricted, kind="message_skipped").exists()
