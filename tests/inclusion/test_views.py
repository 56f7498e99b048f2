"""Staff web pages: every form with valid and invalid input, sign-in, roles and deactivation."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from inclusion import choices
from inclusion.models import CaseEvent, Consent, Resident
from inclusion.services import consent_record, membership_deactivate

from ..factories import ConsentFactory, MembershipFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

VALID_REGISTRATION = {
    "first_name": "Grace",
    "last_name": "Adeyemi",
    "date_of_birth_0": "14",
    "date_of_birth_1": "7",
    "date_of_birth_2": "1957",
    "phone": "07911 123456",
    "postcode": "wv6 0qq",
    "preferred_language": "English",
    "needs_device": "on",
}


def test_home_needs_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_sign_in_with_email_and_password(client, staff_a):
    response = client.post(reverse("login"), {"username": staff_a.user.email, "password": "correct-horse-battery"})
    assert response.status_code == 302 and response.url == reverse("home")
    home = client.get(reverse("home"))
    assert staff_a.organisation.name in home.content.decode()


def test_sign_in_with_wrong_password_shows_an_error(client, staff_a):
    response = client.post(reverse("login"), {"username": staff_a.user.email, "password": "wrong"})
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()


def test_repeated_failed_sign_ins_lock_the_account_out(client, staff_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": staff_a.user.email, "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    response = client.post(
        reverse("login"), {"username": staff_a.user.email, "password": "correct-horse-battery"}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    assert "too many times" in response.content.decode()


def test_sign_out(client_a):
    response = client_a.post(reverse("logout"))
    assert response.status_code == 302
    assert client_a.get(reverse("home")).status_code == 302


def test_deactivated_membership_loses_access_at_once(client_a, staff_a, resident_a):
    assert client_a.get(reverse("resident-detail", args=[resident_a.pk])).status_code == 200
    membership_deactivate(membership=staff_a)
    response = client_a.get(reverse("resident-detail", args=[resident_a.pk]), follow=True)
    assert response.redirect_chain[0][0] == reverse("login")  # the session ends (inclusion.security)
    assert "your access to an organisation changed" in response.content.decode()


def test_viewer_sees_figures_but_no_residents(client, org_a, resident_a):
    viewer = MembershipFactory(organisation=org_a, role=choices.Role.VIEWER)
    client.force_login(viewer.user)
    home = client.get(reverse("home"))
    assert home.status_code == 200 and "reports only" in home.content.decode()
    assert client.get(reverse("resident-search") + "?q=oduya").status_code == 403
    assert client.get(reverse("resident-detail", args=[resident_a.pk])).status_code == 403


def test_switching_organisation_changes_what_is_seen(client, org_a, org_b, resident_a):
    user = UserFactory()
    MembershipFactory(user=user, organisation=org_a)
    in_b = MembershipFactory(user=user, organisation=org_b)
    client.force_login(user)
    assert client.get(reverse("resident-detail", args=[resident_a.pk])).status_code == 200
    client.post(reverse("switch-organisation"), {"membership": in_b.pk})
    assert client.get(reverse("resident-detail", args=[resident_a.pk])).status_code == 404


def test_search_finds_residents_by_name(client_a, resident_a):
    response = client_a.get(reverse("resident-search"), {"q": "odu"})
    assert response.status_code == 200 and "Margaret Oduya" in response.content.decode()


def test_search_with_one_character_asks_for_more(client_a, resident_a):
    response = client_a.get(reverse("resident-search"), {"q": "o"})
    assert "Enter at least 2 characters" in response.content.decode()
    assert "Margaret Oduya" not in response.content.decode()


def test_search_too_long_is_an_error(client_a):
    response = client_a.get(reverse("resident-search"), {"q": "x" * 101})
    assert "govuk-error-summary" in response.content.decode()


def test_register_a_resident(client_a, org_a):
    response = client_a.post(reverse("resident-register"), VALID_REGISTRATION, follow=True)
    resident = Resident.objects.get()
    assert response.redirect_chain[-1][0] == reverse("resident-detail", args=[resident.pk])
    assert "Grace Adeyemi is registered." in response.content.decode()
    assert resident.owning_organisation == org_a
    assert resident.postcode == "WV6 0QQ" and str(resident.phone) == "+447911123456"
    assert str(resident.date_of_birth) == "1957-07-14" and resident.needs_device


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Enter their first name"),
        ({"last_name": ""}, "last_name", "Enter their last name"),
        ({"postcode": "W1 ZZZZ"}, "postcode", "Enter a real UK postcode, like WV1 1AA"),
        ({"phone": "12"}, "phone", "Enter a phone number like"),
        ({"email": "not-an-email"}, "email", "Enter an email address like name@example.com"),
        ({"date_of_birth_2": "2999"}, "date_of_birth", "Date of birth must be in the past"),
        ({"date_of_birth_0": "", "date_of_birth_1": "", "date_of_birth_2": ""}, "age_band", "Enter a date of birth"),
        ({"local_authority": "atlantis"}, "local_authority", "Select a valid choice"),  # gender: on its own page
        ({"first_name": "x" * 101}, "first_name", "First name must be 100 characters or fewer"),
        ({"first_name": "a\x00b"}, "first_name", "Null characters are not allowed"),
    ],
)
def test_register_with_bad_input_shows_field_errors_and_saves_nothing(client_a, changes, field, message):
    response = client_a.post(reverse("resident-register"), {**VALID_REGISTRATION, **changes})
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content  # the error summary
    assert message in content
    assert message in " ".join(str(e) for e in response.context["form"].errors[field])
    assert Resident.objects.count() == 0


def test_register_with_age_band_instead_of_date_of_birth(client_a):
    data = {**VALID_REGISTRATION, "date_of_birth_0": "", "date_of_birth_1": "", "date_of_birth_2": "",
            "age_band": "65_74"}  # fmt: skip
    client_a.post(reverse("resident-register"), data)
    assert Resident.objects.get().age_band == "65_74"


def test_register_warns_of_a_possible_duplicate_and_needs_confirmation(client_a, org_a):
    existing = ResidentFactory(owning_organisation=org_a, first_name="Grace", last_name="Adeyemi",
                               date_of_birth="1957-07-14")  # fmt: skip
    response = client_a.post(reverse("resident-register"), VALID_REGISTRATION)
    content = response.content.decode()
    assert "Possible existing record" in content
    assert reverse("resident-detail", args=[existing.pk]) in content
    assert Resident.objects.count() == 1
    client_a.post(reverse("resident-register"), {**VALID_REGISTRATION, "confirm_new": "on"})
    assert Resident.objects.count() == 2


def test_a_made_up_name_with_another_partners_clients_phone_does_not_name_the_partner(client_a, org_b):
    """The case the issue found: it said "a possible existing record at <organisation>" to anyone."""
    other = ResidentFactory(owning_organisation=org_b, phone="+447911123456")
    data = {**VALID_REGISTRATION, "first_name": "Made", "last_name": "Up"}
    content = client_a.post(reverse("resident-register"), data).content.decode()
    assert "This person may already be known to another partner: ask them." in content
    assert "Beta Library" not in content and str(other.pk) not in content and "same phone" not in content
    assert Resident.objects.count() == 1


def test_duplicate_at_another_organisation_names_it_only_with_consent_to_sharing(client_a, org_b):
    other = ResidentFactory(owning_organisation=org_b, first_name="Grace", last_name="Adeyemi",
                            date_of_birth="1957-07-14", postcode="WV6 0QQ")  # fmt: skip
    ConsentFactory(resident=other, purpose="sharing")
    content = client_a.post(reverse("resident-register"), VALID_REGISTRATION).content.decode()
    assert "A possible existing record at Beta Library" in content
    assert str(other.pk) not in content and "same date of birth" not in content


def test_registering_over_the_hourly_limit_of_checks_says_so_and_registers_nobody(client_a, settings):
    settings.DUPLICATE_CHECKS_PER_HOUR = 1
    client_a.post(reverse("resident-register"), VALID_REGISTRATION)
    response = client_a.post(reverse("resident-register"), {**VALID_REGISTRATION, "last_name": "Other"})
    content = response.content.decode()
    assert "You have made 1 check for an existing record this hour, the most allowed." in content
    assert "There is a problem" in content
    assert list(Resident.objects.values_list("last_name", flat=True)) == ["Adeyemi"]


def test_coordinators_see_which_other_partners_matched_their_residents(client, org_a, org_b, actor_b):
    from inclusion.services import resident_duplicate_check

    ours = ResidentFactory(owning_organisation=org_a, first_name="Zebedee", last_name="Quartermaine",
                           phone="+447911123456")  # fmt: skip
    resident_duplicate_check(actor=actor_b, first_name="Made", last_name="Up", phone="+447911123456")
    coordinator = MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)
    client.force_login(coordinator.user)
    response = client.get(reverse("duplicate-matches"))
    content = response.content.decode()
    assert response.status_code == 200
    assert reverse("resident-detail", args=[ours.pk]) in content and "Zebedee Quartermaine" in content
    assert "Beta Library" in content and escape(actor_b.user.full_name) in content and "Same phone number" in content
    assert "Made" not in content  # what they typed is theirs, not ours
    # The other organisation's coordinator sees nothing of it; frontline staff do not see the page.
    other = MembershipFactory(organisation=org_b, role=choices.Role.COORDINATOR)
    client.force_login(other.user)
    assert "Zebedee" not in client.get(reverse("duplicate-matches")).content.decode()
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.FRONTLINE).user)
    assert client.get(reverse("duplicate-matches")).status_code == 403


def test_resident_page_shows_details_consent_and_timeline(client_a, actor_a, resident_a):
    consent_record(actor=actor_a, resident=resident_a, purpose="sharing", channel="paper")
    content = client_a.get(reverse("resident-detail", args=[resident_a.pk])).content.decode()
    assert "Margaret Oduya" in content and "WV1 1AA" in content
    assert "Sharing their details with partner organisations" in content
    assert "Consent recorded" in content


def test_edit_a_resident(client_a, resident_a):
    data = {**VALID_REGISTRATION, "first_name": "Margaret", "last_name": "Oduya", "town": "Tettenhall"}
    response = client_a.post(reverse("resident-edit", args=[resident_a.pk]), data, follow=True)
    assert "Their details are saved." in response.content.decode()
    resident_a.refresh_from_db()
    assert resident_a.town == "Tettenhall"
    assert CaseEvent.objects.filter(resident=resident_a, kind="details_updated").exists()


def test_edit_with_bad_input_changes_nothing(client_a, resident_a):
    data = {**VALID_REGISTRATION, "first_name": "Changed", "postcode": "nonsense"}
    response = client_a.post(reverse("resident-edit", args=[resident_a.pk]), data)
    assert "Enter a real UK postcode" in response.content.decode()
    resident_a.refresh_from_db()
    assert resident_a.first_name == "Margaret"


def test_add_a_note(client_a, resident_a):
    response = client_a.post(reverse("note-add", args=[resident_a.pk]), {"body": "Lent a charger."}, follow=True)
    assert "Note added." in response.content.decode() and "Lent a charger." in response.content.decode()


@pytest.mark.parametrize(("body", "message"), [("", "Enter the note"), ("x" * 5001, "5000 characters or fewer")])
def test_bad_note_shows_the_error_and_saves_nothing(client_a, resident_a, body, message):
    response = client_a.post(reverse("note-add", args=[resident_a.pk]), {"body": body})
    assert response.status_code == 200 and message in response.content.decode()
    assert not CaseEvent.objects.filter(kind="note").exists()


def test_record_consent(client_a, resident_a):
    response = client_a.post(
        reverse("consent-record", args=[resident_a.pk]), {"sharing": "given", "channel": "verbal"}, follow=True
    )
    assert "Consent recorded: Sharing their details with partner organisations." in response.content.decode()
    assert Consent.objects.get(resident=resident_a, purpose="sharing").channel == "verbal"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"channel": "verbal"}, "Choose their answer for at least one purpose"),
        ({"sharing": "given"}, "Choose how they gave their answers"),
        ({"sharing": "maybe", "channel": "verbal"}, "Select a valid choice"),
    ],
)
def test_bad_consent_shows_the_error_and_saves_nothing(client_a, resident_a, data, message):
    response = client_a.post(reverse("consent-record", args=[resident_a.pk]), data)
    assert message in response.content.decode()
    assert Consent.objects.count() == 1  # the resident's processing consent, from before


def test_a_purpose_with_a_current_consent_is_not_offered_or_recorded_again(client_a, resident_a):
    response = client_a.post(
        reverse("consent-record", args=[resident_a.pk]), {"processing": "given", "channel": "paper"}
    )
    assert "Choose their answer for at least one purpose" in response.content.decode()
    assert "They have already agreed to" in response.content.decode()
    assert Consent.objects.count() == 1


def test_withdraw_consent(client_a, actor_a, resident_a):
    consent = consent_record(actor=actor_a, resident=resident_a, purpose="contact_sms", channel="paper")
    url = reverse("consent-withdraw", args=[resident_a.pk, consent.pk])
    bad = client_a.post(url, {})
    assert "Choose how they withdrew their consent" in bad.content.decode()
    consent.refresh_from_db()
    assert consent.is_current
    response = client_a.post(url, {"channel": "phone", "note": "Asked us to stop texting"}, follow=True)
    assert "Consent withdrawn: Contact by text message." in response.content.decode()
    consent.refresh_from_db()
    assert not consent.is_current and consent.withdrawal_note == "Asked us to stop texting"


def test_error_summary_links_go_to_inputs_that_exist(client_a, resident_a):
    content = client_a.post(reverse("consent-record", args=[resident_a.pk]), {}).content.decode()
    assert 'href="#id_sharing_1"' in content and 'id="id_sharing_1"' in content
    assert 'href="#id_channel_1"' in content and 'id="id_channel_1"' in content
