"""Lending policy: no new loan while one is overdue (a coordinator may override, with a reason kept on the loan
and the timeline); open-ended loans renewed periodically, overdue when unrenewed, refused renewal when long
overdue; the selector the reminders work asks for loans whose renewal is due."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from devices import selectors, services
from devices.events import LoanEventKind
from devices.models import Loan, LoanPolicy
from inclusion import choices
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import CaseEvent
from inclusion.services import api_key_create

from ..factories import MembershipFactory, ResidentFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def coord_actor(org_a):
    return Actor.for_membership(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))


@pytest.fixture
def two_allowed(org_a):
    return LoanPolicy.objects.create(organisation=org_a, max_open_loans_per_resident=3)


def _overdue_loan(actor, resident):
    loan = services.loan_create(actor=actor, device=DeviceFactory(owning_organisation=actor.organisation),
                                resident=resident, agreement_method="signed_paper",
                                started_on=TODAY() - timedelta(days=20), due_on=TODAY() - timedelta(days=2))  # fmt: skip
    return loan


def test_no_new_loan_while_one_is_overdue(actor_a, org_a, resident_a, two_allowed):
    _overdue_loan(actor_a, resident_a)
    with pytest.raises(DomainError) as refused:
        services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                             agreement_method="signed_paper")  # fmt: skip
    assert refused.value.code == "overdue_loan" and "overdue since" in refused.value.message
    # Frontline staff cannot override it, even with a reason.
    with pytest.raises(DomainError) as refused:
        services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                             agreement_method="signed_paper", overdue_override_reason="Needs it for an interview")  # fmt: skip
    assert refused.value.code == "coordinator_only"
    assert Loan.objects.count() == 1


def test_a_coordinator_overrides_with_a_reason_kept_on_the_loan_and_timeline(
    actor_a, coord_actor, org_a, resident_a, two_allowed
):
    overdue = _overdue_loan(actor_a, resident_a)
    loan = services.loan_create(actor=coord_actor, device=DeviceFactory(owning_organisation=org_a),
                                resident=resident_a, agreement_method="signed_paper",
                                overdue_override_reason="  Job interview   on Monday ")  # fmt: skip
    assert loan.overdue_override_reason == "Job interview on Monday"
    event = CaseEvent.objects.get(resident=resident_a, kind=LoanEventKind.LOAN_OVERDUE_OVERRIDDEN)
    assert event.body == "Job interview on Monday" and overdue.device.asset_tag in event.summary


def test_a_reason_without_an_overdue_loan_is_not_kept(coord_actor, org_a, resident_a):
    loan = services.loan_create(actor=coord_actor, device=DeviceFactory(owning_organisation=org_a),
                                resident=resident_a, agreement_method="signed_paper", overdue_override_reason="x")  # fmt: skip
    assert loan.overdue_override_reason == ""


def test_an_api_key_cannot_override(org_a, resident_a, actor_a, two_allowed):
    _overdue_loan(actor_a, resident_a)
    key, _ = api_key_create(organisation=org_a, name="CRM")
    key_actor = Actor.for_api_key(key)
    with pytest.raises(DomainError) as refused:
        services.loan_create(actor=key_actor, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                             agreement_method="signed_paper", overdue_override_reason="Because")  # fmt: skip
    assert refused.value.code == "coordinator_only"


def test_open_ended_loan_is_renewed_and_becomes_overdue_unrenewed(actor_a, org_a, resident_a):
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="signed_paper", open_ended=True,
                                started_on=TODAY() - timedelta(days=30))  # fmt: skip
    assert loan.open_ended and loan.due_on < TODAY()  # 28 days from 30 days ago: the renewal went unanswered
    assert selectors.loan_get(organisation=org_a, pk=loan.pk).overdue
    renewed = services.loan_renew(actor=actor_a, loan=loan, note="Still on the course")
    assert renewed.due_on >= TODAY() + timedelta(days=28) and renewed.renewals == 1
    assert not selectors.loan_get(organisation=org_a, pk=loan.pk).overdue
    assert renewed.extension_history.get().renewal
    assert CaseEvent.objects.filter(resident=resident_a, kind=LoanEventKind.LOAN_RENEWED).count() == 1


def test_open_ended_loan_takes_no_due_date(actor_a, org_a, resident_a):
    with pytest.raises(DomainError) as refused:
        services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                             agreement_method="signed_paper", open_ended=True, due_on=TODAY() + timedelta(days=3))  # fmt: skip
    assert refused.value.code == "open_ended"


def test_renewal_is_refused_when_long_overdue(actor_a, org_a, resident_a, settings):
    settings.LOAN_RENEWAL_LONG_OVERDUE_DAYS = 5
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="signed_paper", open_ended=True)  # fmt: skip
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - timedelta(days=6), started_on=TODAY() - timedelta(days=40))
    with pytest.raises(DomainError) as refused:
        services.loan_renew(actor=actor_a, loan=loan)
    assert refused.value.code == "long_overdue"
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - timedelta(days=5))
    assert services.loan_renew(actor=actor_a, loan=loan).renewals == 1


def test_renewing_a_fixed_term_loan_is_refused(actor_a, org_a, resident_a):
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="signed_paper")  # fmt: skip
    with pytest.raises(DomainError) as refused:
        services.loan_renew(actor=actor_a, loan=loan)
    assert refused.value.code == "not_open_ended"


def test_renewal_due_selector_lists_open_ended_loans_due_soon_or_late_but_not_long_late(
    actor_a, actor_b, org_a, org_b, resident_a, settings
):
    settings.LOAN_RENEWAL_LONG_OVERDUE_DAYS = 10
    loans = {}
    for name, due in (("soon", 3), ("late", -4), ("long_late", -11), ("far", 20)):
        resident = ResidentFactory(owning_organisation=org_a)
        loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident,
                                    agreement_method="signed_paper", open_ended=True)  # fmt: skip
        Loan.objects.filter(pk=loan.pk).update(
            due_on=TODAY() + timedelta(days=due), started_on=TODAY() - timedelta(days=30)
        )
        loans[name] = loan.pk
    services.loan_create(
        actor=actor_a,
        device=DeviceFactory(owning_organisation=org_a),
        resident=resident_a,
        agreement_method="signed_paper",
        due_on=TODAY() + timedelta(days=2),
    )  # fixed term: not listed
    other = ResidentFactory(owning_organisation=org_b)
    services.loan_create(actor=actor_b, device=DeviceFactory(owning_organisation=org_b), resident=other,
                         agreement_method="signed_paper", open_ended=True)  # fmt: skip
    Loan.objects.filter(organisation=org_b).update(due_on=TODAY() + timedelta(days=1))
    due = list(selectors.loans_renewal_due(organisation=org_a).values_list("pk", flat=True))
    assert due == [loans["late"], loans["soon"]]
    assert selectors.loans_renewal_due(organisation=None).count() == 3


def test_renew_page_and_lend_form_override_field(client, org_a, actor_a, resident_a, two_allowed):
    coordinator = MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)
    _overdue_loan(actor_a, resident_a)
    client.force_login(coordinator.user)
    lend = reverse("devices:loan-create", args=[resident_a.pk])
    assert "lend although another loan is overdue" in client.get(lend).content.decode()
    device = DeviceFactory(owning_organisation=org_a, asset_tag="OPEN-1")
    data = {"asset_tag": "OPEN-1", "agreement_method": "signed_paper", "agreement_accepted": "on", "open_ended": "on"}
    response = client.post(lend, data)
    assert "has a loan overdue since" in response.content.decode()
    response = client.post(lend, {**data, "overdue_override_reason": "Interview"})
    assert response.status_code == 302
    loan = Loan.objects.get(device=device)
    assert loan.open_ended and loan.overdue_override_reason == "Interview"
    page = client.get(reverse("devices:loan-detail", args=[loan.pk])).content.decode()
    assert "Renew the loan" in page and "Lent despite an overdue loan" in page
    response = client.post(reverse("devices:loan-renew", args=[loan.pk]), {"note": "Still using it"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.renewals == 1


def test_the_loan_page_says_a_long_overdue_renewal_cannot_be_renewed(client_a, actor_a, org_a, resident_a, settings):
    settings.LOAN_RENEWAL_LONG_OVERDUE_DAYS = 28
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="signed_paper", open_ended=True)  # fmt: skip
    url = reverse("devices:loan-detail", args=[loan.pk])
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - timedelta(days=28), started_on=TODAY() - timedelta(days=56))
    page = client_a.get(url).content.decode()
    assert "Renew the loan" in page and "can no longer be renewed" not in page  # 28 days late: still renewable
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - timedelta(days=29))
    page = client_a.get(url).content.decode()
    assert "Renew the loan" not in page
    assert "The renewal is 29 days late, more than the 28 allowed: it can no longer be renewed." in page
    response = client_a.post(reverse("devices:loan-renew", args=[loan.pk]), {"note": "Still using it"})
    assert "more than the 28 allowed: the device must come back" in response.content.decode()
    assert Loan.objects.get(pk=loan.pk).renewals == 0
