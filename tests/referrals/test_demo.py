"""The demo has referrals in every status, made through the services, and loading it again adds none."""

from io import StringIO

from django.core.management import call_command

from referrals.models import Outcome, Referral, ReferralEvent, ReferralStatus


def test_the_demo_has_referrals_in_every_status_and_loads_again_without_duplicates(db):
    call_command("load_demo", stdout=StringIO())
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == set(ReferralStatus.values)
    assert Referral.objects.count() == 9
    assert (
        Referral.objects.filter(
            status="sent", response_due_on__lt=Referral.objects.latest("sent_at").sent_at.date()
        ).count()
        == 1
    )
    assert Outcome.objects.filter(referral__status="completed").count() == 1
    assert ReferralEvent.objects.count() == 9 + 1 + 1 + 2 + 3 + 3 + 1 + 1  # each send, then each answer
    call_command("load_demo", stdout=StringIO())
    assert Referral.objects.count() == 9
