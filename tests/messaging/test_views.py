"""The outbox, the letter to print and the home page's reminder figures."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inclusion.messaging import services, sweeps
from inclusion.messaging.models import Message
from tests.factories import ResidentFactory

from .conftest import texting_resident, uk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def daytime(settings):
    """These tests send at the machine's time of day, whatever it is: quiet hours have their own tests."""
    settings.MESSAGE_QUIET_HOURS = False


@pytest.fixture
def swept(org_a, lend, settings):
    settings.NOTIFY_API_KEY = ""
    texter = texting_resident(org_a, first_name="Tomasz")
    by_post = ResidentFactory(owning_organisation=org_a, first_name="Winifred", phone="", email="")
    for resident in (texter, by_post):
        lend(resident, timezone.localdate(), asset_tag=f"OUT-{resident.first_name[:3].upper()}")
    sweeps.sweep_run(now=uk(timezone.localdate() - timedelta(days=1), 12), dispatch=False)
    services.message_send(Message.objects.get(resident=texter).pk)
    return texter, by_post


def test_the_outbox_lists_what_would_have_been_sent_without_a_notify_key(client_a, swept):
    page = client_a.get(reverse("messaging:outbox")).content.decode()
    assert "No GOV.UK Notify key is set" in page
    assert "Tomasz" in page and "Winifred" in page and "Print the letter" in page
    assert "due back tomorrow" in page  # the text recorded for the outbox
    letters = client_a.get(reverse("messaging:outbox"), {"channel": "letter"}).content.decode()
    assert "Winifred" in letters and "Tomasz" not in letters


def test_a_letter_is_printed_then_marked_posted(client_a, swept):
    _, by_post = swept
    message = Message.objects.get(resident=by_post)
    url = reverse("messaging:letter", args=[message.pk])
    page = client_a.get(url).content.decode()
    assert by_post.postcode in page and "OUT-WIN" in page
    assert client_a.post(url).status_code == 302
    message.refresh_from_db()
    assert message.status == "sent" and "OUT-WIN" in message.body
    assert by_post.events.filter(kind="message_sent", summary="Reminder letter posted").exists()


def test_the_home_page_counts_letters_to_print(client_a, swept):
    page = client_a.get(reverse("home")).content.decode()
    assert "letters to print" in page and "When residents are reminded" in page


def test_another_organisation_sees_none_of_it(client_b, swept):
    _, by_post = swept
    assert "Winifred" not in client_b.get(reverse("messaging:outbox")).content.decode()
    message = Message.objects.get(resident=by_post)
    assert client_b.get(reverse("messaging:letter", args=[message.pk])).status_code == 404


def test_subject_access_includes_the_messages(swept):
    from inclusion.selectors import resident_subject_access

    texter, _ = swept
    exported = resident_subject_access(resident=texter)["messages"]
    assert len(exported) == 1 and "due back tomorrow" in exported[0]["text"] and exported[0]["to"] == str(texter.phone)


def test_the_home_figures_count_what_is_to_send_and_the_last_30_days_only(org_a, org_b, staff_a):
    from inclusion.messaging.templatetags.messaging import message_figures

    resident = ResidentFactory(owning_organisation=org_a)
    old = timezone.now() - timedelta(days=31)
    rows = [("letter", "pending", None), ("letter", "pending", old), ("sms", "pending", None), ("email", "sending", old),
            ("letter", "sent", None), ("sms", "failed", None), ("sms", "failed", old), ("email", "skipped", None),
            ("sms", "delivered", None)]  # fmt: skip
    for n, (channel, status, created) in enumerate(rows):
        Message.objects.create(natural_key=f"a{n}", kind="digest", audience="resident", organisation=org_a,
                               resident=resident, channel=channel, status=status,
                               created_at=created or timezone.now())  # fmt: skip
    Message.objects.create(natural_key="b", kind="digest", audience="resident", organisation=org_b,
                           resident=ResidentFactory(owning_organisation=org_b), channel="letter", status="pending")  # fmt: skip
    figures = message_figures(staff_a)["figures"]
    assert figures == {"letters": 2, "waiting": 2, "failed": 1, "not_sent": 1}
