"""Referral services: the workflow, every illegal move (in Python and in the database), consent, history and the
resident's timeline, the response deadline, and the access rule's link."""

import threading
from datetime import date, timedelta
from itertools import product

import pytest
from django.db import IntegrityError, connection, transaction
from django.http import Http404

from devices.services import loan_create
from inclusion.access import resident_get_visible
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import CaseEvent, Consent
from inclusion.services import consent_withdraw
from referrals import services
from referrals.models import Outcome, Referral, ReferralStatus, ServiceKind
from referrals.selectors import referral_list, referrals_overdue_for_response
from referrals.services import TRANSITIONS

from ..devices.factories import DeviceFactory
from ..factories import ConsentFactory, MembershipFactory, OrganisationFactory, ResidentFactory
from .factories import ServiceFactory, refer, sharing_consent

pytestmark = pytest.mark.django_db
S = ReferralStatus


def can_see(organisation, resident) -> bool:
    try:
        resident_get_visible(organisation, resident.pk)
    except Http404:
        return False
    return True


def test_the_whole_workflow_records_each_change_in_order_on_the_referral_and_the_timeline(
    actor_a, actor_b, shared_resident, course_b
):
    referral = refer(actor_a, shared_resident, course_b, urgency="soon", confidence_before=2)
    services.referral_accept(actor=actor_b, referral=referral, note="We will call on Monday")
    services.referral_start(actor=actor_b, referral=referral)
    services.referral_complete(actor=actor_b, referral=referral, note="Came to all six sessions", outcome={
        "eds_foundation": "independent", "eds_communicating": "with_help", "confidence": 4,
        "got_online_independently": True, "uses_online_public_services": True,
    })  # fmt: skip
    referral.refresh_from_db()
    assert referral.status == S.COMPLETED
    assert referral.finished_at and referral.accepted_at and referral.started_at and referral.responded_at
    assert referral.follow_up_due_on == date.today() + timedelta(weeks=8)
    history = list(referral.events.values_list("sequence", "action", "from_status", "to_status", "organisation"))
    assert history == [
        (1, "send", "", "sent", actor_a.organisation.pk),
        (2, "accept", "sent", "accepted", actor_b.organisation.pk),
        (3, "start", "accepted", "started", actor_b.organisation.pk),
        (4, "complete", "started", "completed", actor_b.organisation.pk),
    ]
    assert referral.last_sequence == 4
    outcome = Outcome.objects.get(referral=referral)
    assert (outcome.stage, outcome.confidence, outcome.eds_foundation) == ("completion", 4, "independent")
    assert outcome.got_online_independently and not outcome.found_work
    kinds = list(CaseEvent.objects.filter(resident=shared_resident, kind__startswith="referral_")
                 .order_by("occurred_at").values_list("kind", "summary"))  # fmt: skip
    assert kinds == [
        ("referral_sent", "Referred to Beta's Get Online course"),
        ("referral_accepted", "Referral to Beta's Get Online course accepted by Beta Library"),
        ("referral_started", "Started at Beta's Get Online course"),
        ("referral_completed", "Completed at Beta's Get Online course"),
    ]


def test_decline_needs_a_reason_from_the_list_and_a_note_for_other(actor_a, actor_b, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    with pytest.raises(DomainError) as error:
        services.referral_decline(actor=actor_b, referral=referral, reason="bored")
    assert (error.value.field, error.value.code) == ("reason", "invalid_choice")
    with pytest.raises(DomainError) as error:
        services.referral_decline(actor=actor_b, referral=referral, reason="other", note="  ")
    assert (error.value.field, error.value.message) == ("note", "Enter the reason")
    services.referral_decline(actor=actor_b, referral=referral, reason="no_capacity", note="Full until March")
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason, referral.finished_at is not None) == (
        "declined",
        "no_capacity",
        True,
    )
    assert referral.events.last().reason == "no_capacity"


def test_not_completed_records_its_reason(actor_a, actor_b, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    services.referral_accept(actor=actor_b, referral=referral)
    services.referral_start(actor=actor_b, referral=referral)
    services.referral_not_complete(actor=actor_b, referral=referral, reason="moved_away")
    referral.refresh_from_db()
    assert (referral.status, referral.not_completed_reason) == ("not_completed", "moved_away")


@pytest.mark.parametrize("stage", ["sent", "accepted", "started"])
def test_the_referrer_withdraws_at_any_open_stage_and_the_receiver_cannot(stage, actor_a, actor_b, shared_resident,
                                                                          course_b):  # fmt: skip
    referral = refer(actor_a, shared_resident, course_b)
    if stage != "sent":
        services.referral_accept(actor=actor_b, referral=referral)
    if stage == "started":
        services.referral_start(actor=actor_b, referral=referral)
    with pytest.raises(DomainError, match="Only the organisation that sent it can withdraw it"):
        services.referral_withdraw(actor=actor_b, referral=referral)
    services.referral_withdraw(actor=actor_a, referral=referral, note="They found a course nearer home")
    referral.refresh_from_db()
    assert referral.status == S.WITHDRAWN and referral.withdrawn_at and referral.finished_at


def test_the_referrer_cannot_answer_its_own_referral(actor_a, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    with pytest.raises(DomainError, match="Only the organisation it was sent to can accept it"):
        services.referral_accept(actor=actor_a, referral=referral)


MOVES = {
    S.ACCEPTED: lambda actor, r: services.referral_accept(actor=actor, referral=r),
    S.DECLINED: lambda actor, r: services.referral_decline(actor=actor, referral=r, reason="no_capacity"),
    S.STARTED: lambda actor, r: services.referral_start(actor=actor, referral=r),
    S.COMPLETED: lambda actor, r: services.referral_complete(actor=actor, referral=r),
    S.NOT_COMPLETED: lambda actor, r: services.referral_not_complete(actor=actor, referral=r, reason="health"),
}
PATH_TO = {  # how to bring a referral to each status (from sent)
    S.SENT: [], S.ACCEPTED: [S.ACCEPTED], S.DECLINED: [S.DECLINED], S.STARTED: [S.ACCEPTED, S.STARTED],
    S.COMPLETED: [S.ACCEPTED, S.STARTED, S.COMPLETED], S.NOT_COMPLETED: [S.ACCEPTED, S.STARTED, S.NOT_COMPLETED],
    S.WITHDRAWN: ["withdraw"],
}  # fmt: skip


def _bring_to(status, actor_a, actor_b, resident, service):
    referral = refer(actor_a, resident, service)
    for step in PATH_TO[status]:
        if step == "withdraw":
            services.referral_withdraw(actor=actor_a, referral=referral)
        else:
            MOVES[step](actor_b, referral)
    referral.refresh_from_db()
    return referral


@pytest.mark.parametrize("from_status", list(PATH_TO))
def test_every_move_not_in_the_table_is_refused_with_what_is_possible(from_status, actor_a, actor_b, shared_resident,
                                                                      course_b):  # fmt: skip
    referral = _bring_to(from_status, actor_a, actor_b, shared_resident, course_b)
    for to_status, move in MOVES.items():
        if to_status in TRANSITIONS[from_status]:
            continue
        with pytest.raises(DomainError) as error:
            move(actor_b, referral)
        assert error.value.code == "illegal_transition"
        label = S(from_status).label.lower()
        assert error.value.message.startswith(f"This referral is {label}, so you cannot"), error.value.message
        if not TRANSITIONS[from_status]:
            assert error.value.message.endswith("Nothing more can happen to it.")
    if S.WITHDRAWN not in TRANSITIONS[from_status]:
        with pytest.raises(DomainError, match="so you cannot withdraw it"):
            services.referral_withdraw(actor=actor_a, referral=referral)
    referral.refresh_from_db()
    assert referral.status == from_status


def test_the_database_refuses_every_move_the_table_does_not_allow(actor_a, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    refused, allowed = [], []
    for from_status, to_status in product(S.values, S.values):
        if from_status == to_status:
            continue
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Put the row in `from_status` with triggers off (replica mode), then try the move with them on.
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(
                    "UPDATE referrals_referral SET status = %s, decline_reason = %s, finished_at = sent_at "
                    "WHERE id = %s",
                    [from_status, "other" if from_status == "declined" else "", referral.pk],
                )
                cursor.execute("SET LOCAL session_replication_role = origin")
            try:
                with transaction.atomic():
                    # Only the trigger is under test: the check constraints ask for dates the moves would set.
                    Referral.objects.filter(pk=referral.pk).update(status=to_status, finished_at=referral.sent_at,
                                                                   decline_reason="other" if to_status == "declined" else "")  # fmt: skip
                allowed.append((from_status, to_status))
            except IntegrityError as error:
                assert "referral_status_transition" in str(error) or "cannot go from" in str(error)
                refused.append((from_status, to_status))
    table = {(f, t) for f, moves in TRANSITIONS.items() for t in moves}
    assert set(allowed) == table
    assert len(refused) == 7 * 6 - len(table)


def test_a_referral_cannot_be_inserted_in_any_status_but_sent(actor_a, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    with pytest.raises(IntegrityError, match="starts as sent"), transaction.atomic():
        Referral.objects.create(
            resident=shared_resident, from_organisation=referral.from_organisation, to_organisation=referral.to_organisation,
            need="skills", reason="x", sharing_consent=referral.sharing_consent, status="accepted",
            response_due_on=date.today(), accepted_at=referral.sent_at,
        )  # fmt: skip


# Consent


def test_referring_needs_a_current_consent_to_sharing(actor_a, resident_a, course_b):
    with pytest.raises(DomainError) as error:
        refer(actor_a, resident_a, course_b)
    assert (error.value.field, error.value.code) == ("resident", "consent_missing")
    assert "consent to sharing their details with partner organisations" in error.value.message
    ConsentFactory(resident=resident_a, purpose="sharing", refused=True)
    with pytest.raises(DomainError) as error:
        refer(actor_a, resident_a, course_b)
    assert error.value.code == "consent_refused" and "refused consent" in error.value.message
    assert not Referral.objects.exists()


def test_a_withdrawn_sharing_consent_refuses_a_new_referral(actor_a, shared_resident, course_b):
    consent_withdraw(actor=actor_a, consent=Consent.objects.get(purpose="sharing"), channel="verbal")
    with pytest.raises(DomainError, match="withdrew their consent") as error:
        refer(actor_a, shared_resident, course_b)
    assert error.value.code == "consent_refused"


# Where it may go


def test_a_closed_or_ended_service_takes_no_referral(actor_a, shared_resident, org_b):
    for closed in (ServiceFactory(organisation=org_b, referrals_open=False),
                   ServiceFactory(organisation=org_b, status="inactive"),
                   ServiceFactory(organisation=org_b, active_until=date.today() - timedelta(days=1))):  # fmt: skip
        with pytest.raises(DomainError, match="is not taking referrals now") as error:
            refer(actor_a, shared_resident, closed)
        assert error.value.code == "referrals_closed"


def test_a_referral_to_the_organisation_itself_is_refused(actor_a, shared_resident, org_a):
    with pytest.raises(DomainError, match="this one is yours"):
        refer(actor_a, shared_resident, ServiceFactory(organisation=org_a))


def test_a_referral_to_an_organisation_with_no_particular_service(actor_a, actor_b, shared_resident, org_b):
    referral = services.referral_create(actor=actor_a, resident=shared_resident, to_organisation=org_b,
                                        need="support", reason="Needs help setting up a phone")  # fmt: skip
    assert referral.service is None and referral.to_organisation == org_b
    with pytest.raises(DomainError, match="already has an open referral to Beta Library") as error:
        services.referral_create(actor=actor_a, resident=shared_resident, to_organisation=org_b, need="support",
                                 reason="Again")  # fmt: skip
    assert error.value.code == "duplicate"


def test_a_second_open_referral_to_the_same_service_is_refused_but_a_later_one_is_not(
    actor_a, actor_b, shared_resident, course_b
):
    first = refer(actor_a, shared_resident, course_b)
    with pytest.raises(DomainError, match="already has an open referral") as error:
        refer(actor_a, shared_resident, course_b)
    assert error.value.code == "duplicate"
    services.referral_decline(actor=actor_b, referral=first, reason="no_capacity")
    assert refer(actor_a, shared_resident, course_b).status == "sent"


def test_an_organisation_that_cannot_see_the_resident_cannot_refer_them(actor_b, shared_resident, org_a):
    third = Actor.for_membership(MembershipFactory(organisation=OrganisationFactory(name="Gamma")))
    with pytest.raises(Http404):
        refer(third, shared_resident, ServiceFactory(organisation=org_a))


def test_an_organisation_neither_side_of_a_referral_cannot_act_on_it_even_seeing_the_resident(
    actor_a, shared_resident, course_b, sharing
):
    referral = refer(actor_a, shared_resident, course_b)
    gamma = OrganisationFactory(name="Gamma")
    sharing.share(shared_resident, gamma)
    third = Actor.for_membership(MembershipFactory(organisation=gamma))
    for act in (lambda: services.referral_accept(actor=third, referral=referral),
                lambda: services.referral_withdraw(actor=third, referral=referral),
                lambda: services.referral_message_add(actor=third, referral=referral, body="hello")):  # fmt: skip
        with pytest.raises(Http404):
            act()


# The response deadline


def test_the_response_is_due_n_working_days_later_skipping_weekends_and_bank_holidays(settings):
    settings.REFERRAL_RESPONSE_WORKING_DAYS = 5
    # Sent on Tuesday 22 December 2026: Christmas (Fri 25) and Boxing Day (moved to Mon 28) are not working days.
    assert services.response_due_on(date(2026, 12, 22)) == date(2026, 12, 31)
    settings.REFERRAL_RESPONSE_WORKING_DAYS = 2
    assert services.response_due_on(date(2026, 12, 4)) == date(2026, 12, 8)  # Friday → Tuesday


def test_a_referral_with_no_response_by_its_date_is_flagged_and_listed_first(actor_a, actor_b, shared_resident,
                                                                             course_b, org_b):  # fmt: skip
    late = refer(actor_a, shared_resident, course_b)
    Referral.objects.filter(pk=late.pk).update(response_due_on=date.today() - timedelta(days=1))
    other = ResidentFactory(owning_organisation=actor_a.organisation)
    sharing_consent(other)
    on_time = refer(actor_a, other, course_b)
    Referral.objects.filter(pk=on_time.pk).update(sent_at=late.sent_at - timedelta(days=1))  # older, but not late
    inbox = list(referral_list(organisation=org_b, direction="received"))
    assert [r.pk for r in inbox] == [late.pk, on_time.pk]
    assert [r.overdue for r in inbox] == [True, False]
    assert list(referrals_overdue_for_response()) == [Referral.objects.get(pk=late.pk)]
    services.referral_accept(actor=actor_b, referral=late)
    assert not referrals_overdue_for_response().exists()


# The access rule


def test_the_receiver_sees_the_resident_only_while_the_referral_is_open(actor_a, actor_b, shared_resident, course_b,
                                                                        org_b):  # fmt: skip
    assert not can_see(org_b, shared_resident)
    for finish in (
        lambda r: services.referral_decline(actor=actor_b, referral=r, reason="no_capacity"),
        lambda r: services.referral_withdraw(actor=actor_a, referral=r),
        lambda r: (services.referral_accept(actor=actor_b, referral=r), services.referral_start(actor=actor_b, referral=r),
                   services.referral_complete(actor=actor_b, referral=r)),
        lambda r: (services.referral_accept(actor=actor_b, referral=r), services.referral_start(actor=actor_b, referral=r),
                   services.referral_not_complete(actor=actor_b, referral=r, reason="health")),
    ):  # fmt: skip
        referral = refer(actor_a, shared_resident, course_b)
        assert can_see(org_b, shared_resident)
        finish(referral)
        assert not can_see(org_b, shared_resident)
        assert can_see(actor_a.organisation, shared_resident)  # the referrer keeps its resident


def test_withdrawing_sharing_consent_ends_the_receivers_access_at_once(actor_a, actor_b, shared_resident, course_b,
                                                                       org_b):  # fmt: skip
    referral = refer(actor_a, shared_resident, course_b)
    services.referral_accept(actor=actor_b, referral=referral)
    assert can_see(org_b, shared_resident)
    consent_withdraw(actor=actor_a, consent=Consent.objects.get(purpose="sharing"), channel="verbal")
    assert not can_see(org_b, shared_resident)
    with pytest.raises(Http404):
        services.referral_start(actor=actor_b, referral=referral)
    # The receiver keeps the referral itself, without the resident.
    seen = referral_list(organisation=org_b).get()
    assert seen.pk == referral.pk and seen.resident_shared is False


def test_an_accepted_referral_to_a_lending_point_lets_the_receiver_lend(actor_a, actor_b, shared_resident, org_b):
    point = ServiceFactory(organisation=org_b, kind=ServiceKind.LENDING_POINT, name="Laptop loans", skill_areas=[])
    device = DeviceFactory(owning_organisation=org_b)
    with pytest.raises(Http404):
        loan_create(actor=actor_b, device=device, resident=shared_resident, agreement_method="signed_paper")
    referral = refer(actor_a, shared_resident, point, need="device", reason="Needs a laptop for job search")
    services.referral_accept(actor=actor_b, referral=referral)
    loan = loan_create(actor=actor_b, device=device, resident=shared_resident, agreement_method="signed_paper")
    assert loan.organisation == org_b and loan.resident == shared_resident


# Messages and bulk answers


def test_messages_go_on_the_referral_and_the_timeline(actor_a, actor_b, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    services.referral_message_add(actor=actor_b, referral=referral, body="Is Tuesday morning any good?")
    with pytest.raises(DomainError, match="Enter the message"):
        services.referral_message_add(actor=actor_a, referral=referral, body="   ")
    assert list(referral.messages.values_list("organisation__slug", "body")) == [
        ("beta", "Is Tuesday morning any good?")
    ]
    event = CaseEvent.objects.get(kind="referral_message")
    assert event.summary == "Message to Alpha Council about the referral to Beta's Get Online course"


def test_a_coordinator_accepts_several_at_once_and_one_refused_leaves_the_others_done(actor_a, coordinator_b,
                                                                                      shared_resident, org_b):  # fmt: skip
    referrals = [refer(actor_a, shared_resident, ServiceFactory(organisation=org_b)) for _ in range(3)]
    services.referral_withdraw(actor=actor_a, referral=referrals[1])
    done, refused = services.referrals_respond_in_bulk(actor=coordinator_b, referrals=referrals, action="accept")
    assert {r.pk for r in done} == {referrals[0].pk, referrals[2].pk}
    assert [r.pk for r, _ in refused] == [referrals[1].pk]
    assert "withdrawn" in refused[0][1].message


# Concurrency


@pytest.mark.django_db(transaction=True)
def test_two_staff_accepting_and_declining_the_same_referral_at_once_exactly_one_wins(org_a, org_b):
    referrer = Actor.for_membership(MembershipFactory(organisation=org_a))
    resident = ResidentFactory(owning_organisation=org_a)
    sharing_consent(resident)
    service = ServiceFactory(organisation=org_b)
    for _ in range(5):
        referral = refer(referrer, resident, service)
        staff = [Actor.for_membership(MembershipFactory(organisation=org_b)) for _ in range(2)]
        barrier = threading.Barrier(2)
        results = []

        def attempt(actor, accept, referral=referral, barrier=barrier, results=results):
            try:
                barrier.wait()
                if accept:
                    services.referral_accept(actor=actor, referral=referral)
                else:
                    services.referral_decline(actor=actor, referral=referral, reason="no_capacity")
                results.append("done")
            except DomainError as error:
                results.append(error.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=attempt, args=(staff[0], True)),
                   threading.Thread(target=attempt, args=(staff[1], False))]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == ["done", "illegal_transition"]
        referral.refresh_from_db()
        assert referral.status in ("accepted", "declined")
        assert list(referral.events.values_list("sequence", flat=True)) == [1, 2]
        if referral.status == "accepted":
            services.referral_withdraw(actor=referrer, referral=referral)


@pytest.mark.django_db(transaction=True)
def test_five_staff_referring_one_resident_to_one_service_at_once_make_one_referral(org_a, org_b):
    resident = ResidentFactory(owning_organisation=org_a)
    sharing_consent(resident)
    service = ServiceFactory(organisation=org_b)
    staff = [Actor.for_membership(MembershipFactory(organisation=org_a)) for _ in range(5)]
    barrier = threading.Barrier(5)
    results = []

    def attempt(actor):
        try:
            barrier.wait()
            refer(actor, resident, service)
            results.append("referred")
        except DomainError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(actor,)) for actor in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate"] * 4 + ["referred"]
    assert Referral.objects.filter(resident=resident).count() == 1


def test_subject_access_has_the_referrals_and_erasure_removes_their_free_text_only(actor_a, actor_b, shared_resident,
                                                                                   course_b):  # fmt: skip
    from inclusion import registry

    referral = refer(actor_a, shared_resident, course_b, reason="Lives with her son Tobias, who is unwell")
    services.referral_decline(actor=actor_b, referral=referral, reason="other", note="Tobias rang to cancel")
    services.referral_message_add(actor=actor_a, referral=referral, body="Tobias is on 07700 900123")
    [part] = [data for data in registry.resident_data_providers() if data.name == "referrals"]
    exported = part.export(shared_resident)
    assert exported[0]["reason"] == "Lives with her son Tobias, who is unwell" and exported[0]["status"] == "declined"
    assert [m["body"] for m in exported[0]["messages"]] == ["Tobias is on 07700 900123"]
    part.erase(shared_resident, actor_a)
    referral.refresh_from_db()
    text = str(part.export(shared_resident))
    assert "Tobias" not in text and "07700" not in text and referral.reason == "[erased]"
    assert (referral.status, referral.decline_reason, referral.to_organisation_id) == (
        "declined",
        "other",
        course_b.organisation_id,
    )
