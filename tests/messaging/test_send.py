"""Sending once through the real GOV.UK Notify client, against a local server that checks requests as Notify
does: the claim, the reference, retries of 5xx and timeouts, 4xx failures, recovery from a worker lost mid-send."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inclusion.messaging import services, sweeps
from inclusion.messaging.models import Message
from inclusion.models import CaseEvent

from .conftest import texting_resident, uk
from .notify_server import API_KEY, SMS_TEMPLATE, TEMPLATES, FakeNotify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def daytime(settings):
    """These tests send at the machine's time of day, whatever it is: quiet hours have their own tests."""
    settings.MESSAGE_QUIET_HOURS = False


@pytest.fixture
def notify(settings):
    with FakeNotify() as server:
        settings.NOTIFY_API_KEY = API_KEY
        settings.NOTIFY_BASE_URL = server.url
        settings.NOTIFY_TEMPLATES = TEMPLATES
        settings.NOTIFY_TIMEOUT = 1
        yield server


@pytest.fixture
def due_message(org_a, lend):
    """A resident's reminder, due to go now: their loan is due today, swept at noon yesterday."""

    def make(**resident) -> Message:
        loan = lend(texting_resident(org_a, **resident), timezone.localdate())
        sweeps.sweep_run(now=uk(loan.due_on - timedelta(days=1), 12))
        return Message.objects.get(resident=loan.resident)

    return make


def test_a_reminder_is_sent_through_notify_with_its_id_as_reference(notify, due_message):
    message = due_message()
    assert services.message_send(message.pk) == "sent"
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1 and message.sent_at
    (request,) = notify.sent
    assert request["kind"] == "sms" and str(message.notify_id) == request["answer"]["id"]
    assert request["body"]["phone_number"] == message.resident.phone
    assert request["body"]["template_id"] == SMS_TEMPLATE and request["body"]["reference"] == str(message.pk)
    assert "due back tomorrow" in request["body"]["personalisation"]["items"][0]
    assert message.body == request["body"]["personalisation"]["body"]
    assert CaseEvent.objects.filter(resident=message.resident, kind="message_sent").count() == 1


def test_a_message_claimed_once_is_not_claimed_again(due_message):
    message = due_message()
    assert services.message_claim(message.pk) is not None
    assert services.message_claim(message.pk) is None


def test_notify_5xx_is_retried_then_sent_once(notify, due_message):
    message = due_message()
    notify.fail_next = [500]
    with pytest.raises(services.TransientFailure):
        services.message_send(message.pk)
    message.refresh_from_db()
    assert message.status == "pending" and message.status_reason.startswith("GOV.UK Notify answered 500")
    assert services.message_send(message.pk) == "sent"
    assert notify.references() == [str(message.pk)]
    assert notify.lookups == [str(message.pk)]  # the second try asked first


def test_notify_400_is_marked_failed_with_the_reason_and_not_retried(notify, due_message):
    message = due_message()
    notify.fail_next = [400]
    assert services.message_send(message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == "failed" and "team-only API key" in message.status_reason
    assert CaseEvent.objects.filter(resident=message.resident, kind="message_failed").exists()
    assert services.message_send(message.pk) == "not pending"


def test_a_timeout_after_notify_accepted_is_not_sent_twice(notify, due_message):
    message = due_message()
    notify.delay_next = [2.5]  # accepted, but answered after the client's 1 s timeout
    with pytest.raises(services.TransientFailure):
        services.message_send(message.pk)
    assert services.message_send(message.pk) == "sent"
    message.refresh_from_db()
    assert len(notify.sent) == 1 and str(message.notify_id) == notify.sent[0]["answer"]["id"]


def test_the_last_try_of_a_transient_failure_marks_it_failed(notify, due_message):
    message = due_message()
    notify.fail_next = [503]
    assert services.message_send(message.pk, final_attempt=True) == "failed"


def test_a_message_stuck_in_sending_is_returned_to_the_queue_and_sent_once(notify, due_message):
    message = due_message()
    services.message_claim(message.pk, now=timezone.now() - timedelta(hours=1))  # its worker died
    assert sweeps.messages_reconcile(stuck_after=600) == 1
    assert sweeps.messages_reconcile(stuck_after=600) == 0
    assert services.message_send(message.pk) == "sent"
    assert len(notify.sent) == 1


def test_quiet_hours_hold_the_message(notify, org_a, lend, settings):
    settings.MESSAGE_QUIET_HOURS = True
    loan = lend(texting_resident(org_a), timezone.localdate() + timedelta(days=2))
    sweeps.sweep_run(now=uk(loan.due_on - timedelta(days=1), 22))  # held until 09:00 on the due date
    message = Message.objects.get()
    assert services.message_send(message.pk) == "not pending" and notify.sent == []


def test_without_a_notify_key_the_message_is_recorded_for_the_outbox(settings, due_message):
    settings.NOTIFY_API_KEY = ""
    message = due_message()
    assert services.message_send(message.pk) == "skipped"
    message.refresh_from_db()
    assert message.status == "skipped" and "no GOV.UK Notify key" in message.status_reason
    assert "due back tomorrow" in message.body


def test_staff_alerts_go_by_email_to_the_coordinators(mailoutbox, org_a, lend, coordinator_a):
    loan = lend(texting_resident(org_a), timezone.localdate())
    sweeps.sweep_run(now=uk(loan.due_on + timedelta(days=7), 10))  # a week overdue: the stage that escalates
    message = Message.objects.get(audience="staff")
    Message.objects.filter(pk=message.pk).update(send_after=timezone.now())
    assert services.message_send(message.pk) == "sent"
    (email,) = mailoutbox
    assert email.to == ["coord@alpha.example"] and loan.device.asset_tag in email.body
    assert loan.resident.last_name not in email.body  # staff emails name devices, not people


def test_a_delivery_receipt_marks_it_delivered(notify, due_message):
    message = due_message()
    services.message_send(message.pk)
    message.refresh_from_db()
    services.message_receipt_record(notify_id=message.notify_id, reference=str(message.pk), status="delivered")
    message.refresh_from_db()
    assert message.status == "delivered" and message.delivered_at


def test_polling_notify_records_delivered_and_failed(notify, due_message):
    delivered, bounced, waiting = due_message(), due_message(), due_message()
    for message in (delivered, bounced, waiting):
        services.message_send(message.pk)
        message.refresh_from_db()
    notify.set_status(str(delivered.notify_id), "delivered")
    notify.set_status(str(bounced.notify_id), "permanent-failure")
    assert services.delivery_statuses_poll() == {"delivered": 1, "failed": 1}
    for message in (delivered, bounced, waiting):
        message.refresh_from_db()
    assert (delivered.status, bounced.status, waiting.status) == ("delivered", "failed", "sent")
    assert bounced.status_reason == "The number or address does not exist or is not in use"
    assert CaseEvent.objects.filter(resident=bounced.resident, kind="message_failed").exists()
    assert services.delivery_statuses_poll() == {"delivered": 0, "failed": 0}


def test_a_message_retried_at_night_waits_for_the_morning(notify, due_message, settings):
    message = due_message()
    settings.MESSAGE_QUIET_HOURS = True  # due since yesterday noon, but its send comes round at 22:30
    night = uk(timezone.localdate(), 22, 30)
    assert services.message_claim(message.pk, now=night) is None
    message.refresh_from_db()
    assert message.status == "pending" and message.send_after == uk(timezone.localdate() + timedelta(days=1), 9)
    assert services.message_claim(message.pk, now=uk(timezone.localdate() + timedelta(days=1), 9)) is not None


def test_a_loan_returned_before_its_reminder_goes_is_left_out(notify, org_a, lend, actor_a):
    from devices.services import loan_return

    resident = texting_resident(org_a)
    kept = lend(resident, timezone.localdate(), asset_tag="KEPT-1")
    returned = lend(resident, timezone.localdate(), asset_tag="BACK-2")
    sweeps.sweep_run(now=uk(timezone.localdate() - timedelta(days=1), 12))
    message = Message.objects.get()
    loan_return(actor=actor_a, loan=returned, condition="good")
    assert services.message_send(message.pk) == "sent"
    body = notify.sent[0]["body"]["personalisation"]["body"]
    assert kept.device.asset_tag in body and "BACK-2" not in body


def test_a_reminder_whose_loans_were_all_returned_is_not_sent(notify, due_message, actor_a):
    from devices.services import loan_return

    message = due_message()
    loan_return(actor=actor_a, loan=message.resident.loans.get(), condition="good")
    assert services.message_send(message.pk) == "skipped" and notify.sent == []
