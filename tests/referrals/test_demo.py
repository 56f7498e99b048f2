"""The demo has referrals in every status, made through the services, and loading it again adds none."""

from io import StringIO

from django.core.management import call_command

from inclusion.reports.demo import HISTORY_DOMAIN
from referrals.models import Outcome, Referral, ReferralEvent, ReferralStatus


def test_the_demo_has_referrals_in_every_status_and_loads_again_without_duplicates(db):
    call_command("load_demo", stdout=StringIO())
    # Not the impact report's year of referrals, written as they stand (inclusion/reports/demo.py's residents;
    # tests/reports/test_demo.py): these nine are made through the services.
    referrals = Referral.objects.exclude(resident__email__endswith="@" + HISTORY_DOMAIN)
    statuses = set(referrals.values_list("status", flat=True))
    assert statuses == set(ReferralStatus.values)
    assert referrals.count() == 9
    assert referrals.filter(status="sent", response_due_on__lt=referrals.latest("sent_at").sent_at.date()).count() == 1
    assert Outcome.objects.filter(referral__in=referrals, referral__status="completed").count() == 1
    assert ReferralEvent.objects.count() == 9 + 1 + 1 + 2 + 3 + 3 + 1 + 1  # each send, then each answer
    call_command("load_demo", stdout=StringIO())
    assert referrals.count() == 9
