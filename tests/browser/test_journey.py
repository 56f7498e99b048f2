"""A frontline worker's day in a real browser: sign in, find and register residents, consent, case notes.

Every page visited is screenshotted into artifacts/screenshots/ (named by step) and checked with axe-core
(WCAG 2.2 A and AA), for our house style (Arial, no GOV.UK logo) and for JavaScript errors.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from inclusion import choices
from inclusion.models import Resident

from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # what UserFactory sets


@pytest.fixture
def frontline():
    """A frontline worker at Alpha Council (who also volunteers at Beta Library), and three residents."""
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    beta = OrganisationFactory(name="Beta Library", slug="beta", kind=choices.OrganisationKind.LIBRARY)
    membership = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    MembershipFactory(organisation=beta, role=choices.Role.FRONTLINE, user=membership.user)
    ResidentFactory(
        owning_organisation=alpha,
        first_name="Margaret",
        last_name="Oduya",
        postcode="WV1 1AA",
        date_of_birth=datetime.date(1948, 5, 17),
    )
    ResidentFactory(owning_organisation=alpha, first_name="Peter", last_name="Okafor", postcode="WV2 4BT")
    ResidentFactory(owning_organisation=alpha, first_name="Aisha", last_name="Begum", postcode="WV3 9QQ")
    return membership


def sign_in(page, user, checks=None):
    page.goto("/sign-in/")
    expect(page).to_have_title(re.compile("^Sign in"))
    if checks:
        checks("01-sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile("^Home"))


def date_of_birth(page, day, month, year):
    group = page.get_by_role("group", name=re.compile("^Date of birth"))
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def test_frontline_journey(page, checks, frontline):
    sign_in(page, frontline.user, checks)
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Council")
    expect(page.get_by_role("banner")).to_contain_text("Signed in as Sam Worker, frontline at Alpha Council.")
    expect(page.get_by_role("navigation", name="Menu").get_by_role("link", name="Home")).to_have_attribute(
        "aria-current", "page"
    )
    checks("02-home")

    # Find an existing resident.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Find a resident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a resident")
    checks("03-search")
    page.get_by_label("Name, postcode or phone number").fill("oduya")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/residents/\?q=oduya$"))
    results = page.get_by_role("table")
    expect(results.get_by_role("caption")).to_have_text("1 resident found")
    expect(results.get_by_role("link", name="Margaret Oduya")).to_be_visible()
    expect(results).to_contain_text("17 May 1948")
    expect(results).to_contain_text("WV1 1AA")
    checks("04-search-results")

    # Register a new resident: the empty form first.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Register a resident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a resident")
    checks("05-register")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("05b-register-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Register resident").click()
    expect(page).to_have_title(re.compile("^Error: Register a resident"))
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary, so it is read out
    errors = {
        "First name": "Enter their first name",
        "Last name": "Enter their last name",
        "Age band, if they would rather not give their date of birth": "Enter a date of birth, or choose an age band",
    }
    expect(summary.get_by_role("listitem")).to_have_count(len(errors))
    for label, message in errors.items():
        expect(summary.get_by_role("link", name=re.compile("^" + re.escape(message)))).to_be_visible()
        # ...and again at the field: marked invalid, and read out with it.
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(re.compile(r"Error:\s+" + re.escape(message)))
    expect(page.locator(".govuk-form-group--error")).to_have_count(len(errors))
    summary.get_by_role("link", name="Enter their first name").click()
    expect(page.get_by_label("First name")).to_be_focused()
    checks("06-register-errors")

    page.get_by_label("First name").fill("Winston")
    page.get_by_label("Last name").fill("Adeyemi")
    date_of_birth(page, "3", "Nov", "52")  # a month by name and a two-digit year are understood
    page.get_by_label("Phone number").fill("07911 123456")
    page.get_by_label("How would they like us to contact them?").select_option(label="Phone call")
    page.get_by_label("Address line 1").fill("14 Lichfield Street")
    page.get_by_label("Town or city").fill("Wolverhampton")
    page.get_by_label("Postcode").fill("wv1 1dx")
    page.get_by_label("A device to borrow").check()
    page.get_by_label("Help with digital skills").check()
    page.get_by_role("button", name="Register resident").click()

    # Their page, with a success banner.
    expect(page.get_by_role("heading", level=1)).to_have_text("Winston Adeyemi")
    expect(page.get_by_role("alert")).to_contain_text("Success")
    expect(page.get_by_role("alert")).to_contain_text("Winston Adeyemi is registered.")
    details = page.locator(".govuk-summary-list").first
    expect(details).to_contain_text("3 November 1952")
    expect(details).to_contain_text("07911 123456")
    expect(details).to_contain_text("WV1 1DX")
    expect(details).to_contain_text("Device. Digital skills.")
    expect(page.get_by_text("No consent recorded yet.")).to_be_visible()
    # No consent yet: the page says what is missing before a loan or a voucher, with a link.
    prompt = page.locator(".govuk-notification-banner", has_text="Before you lend a device or issue a voucher")
    expect(prompt.get_by_role("link", name="Record their consent to keeping their details")).to_be_visible()
    expect(prompt).not_to_contain_text("Add a phone number")  # they gave a phone and an address
    resident = Resident.objects.get(first_name="Winston", last_name="Adeyemi")
    assert resident.owning_organisation == frontline.organisation
    assert resident.date_of_birth == datetime.date(1952, 11, 3)
    assert resident.needs_device and resident.needs_skills and not resident.needs_connectivity
    checks("07-resident-registered")

    # What was left for later: the page says what is still to ask, with links.
    still = page.locator("#still-to-ask")
    expect(still).to_contain_text("Equality monitoring")
    expect(still).to_contain_text("Essential digital skills baseline")
    still.get_by_role("link", name="Equality monitoring").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Equality monitoring")
    checks("07b-equality")
    page.get_by_label("Gender (optional)").select_option(label="Prefer not to say")
    page.get_by_label("Employment status (optional)").select_option(label="Retired")
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Equality monitoring answers are saved.")
    expect(page.locator("#still-to-ask")).to_contain_text("Equality monitoring: 4 of 6 questions not asked")
    resident.refresh_from_db()
    assert (resident.gender, resident.employment_status) == ("prefer_not_to_say", "retired")
    checks("07c-still-to-ask")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("07d-still-to-ask-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A case note, from the form on the timeline.
    page.get_by_label("Add a case note").fill("Came in to the library asking about a tablet.\nBooked a skills session.")
    page.get_by_role("button", name="Add note").click()
    expect(page).to_have_url(re.compile(rf"/residents/{resident.pk}/#timeline$"))
    expect(page.get_by_role("alert")).to_contain_text("Note added.")
    latest = page.locator(".app-timeline__item").first
    expect(latest.get_by_role("heading")).to_have_text("Note")
    expect(latest).to_contain_text("Came in to the library asking about a tablet.")
    expect(latest).to_contain_text("Booked a skills session.")
    expect(latest).to_contain_text("Sam Worker, Alpha Council")
    checks("08-note-added")

    # Consent, from the prompt: every purpose on one page; the empty form's errors first.
    prompt.get_by_role("link", name="Record their consent to keeping their details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record consent")
    checks("09-consent")
    page.get_by_role("button", name="Record their answers").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Choose their answer for at least one purpose")
    expect(summary).to_contain_text("Choose how they gave their answers")
    checks("10-consent-errors")
    answers = {"Keeping their details to support them": "Yes, they agree",
               "Sharing their details with partner organisations": "No, they do not agree",
               "Contact by text message": "Yes, they agree"}  # fmt: skip
    for purpose, answer in answers.items():
        page.get_by_role("group", name=purpose).get_by_label(answer).check()
    page.get_by_role("group", name=re.compile("^How did they answer")).get_by_label("Verbally, in person").check()
    page.get_by_role("button", name="Record their answers").click()
    expect(page).to_have_url(re.compile(rf"/residents/{resident.pk}/#consent$"))
    expect(page.get_by_role("alert")).to_contain_text(
        "Consent recorded: Keeping their details to support them, Contact by text message. "
        "Refused: Sharing their details with partner organisations."
    )
    consents = page.get_by_role("table", name="Consent records")
    expect(consents.get_by_role("row", name=re.compile("^Keeping their details"))).to_contain_text("Given")
    expect(consents.get_by_role("row", name=re.compile("^Sharing their details"))).to_contain_text("Refused")
    expect(page.locator(".govuk-notification-banner", has_text="Before you lend")).to_have_count(0)
    assert resident.consents.current().filter(purpose="processing").count() == 1
    assert resident.consents.get(purpose="sharing").refused
    checks("11-consent-recorded")

    # Home again: the note is among the latest.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Home").click()
    expect(page.get_by_role("link", name="Winston Adeyemi")).to_be_visible()
    checks("12-home-after")

    # On a phone: the navigation folds behind a Menu button.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"/residents/{resident.pk}/")
    navigation = page.get_by_role("navigation", name="Menu")
    expect(page.get_by_role("heading", level=1)).to_have_text("Winston Adeyemi")
    expect(navigation.get_by_role("link", name="Find a resident")).to_be_hidden()
    checks("13-phone-resident")
    navigation.get_by_role("button", name="Menu").click()
    expect(navigation.get_by_role("link", name="Find a resident")).to_be_visible()
    checks("14-phone-menu")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Switch to working as the other organisation, from the header.
    page.get_by_label("Work as").select_option(label="Beta Library (frontline)")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("alert")).to_contain_text("You are now working as Beta Library.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beta Library")
    checks("15-switched-organisation")

    page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()
    expect(page).to_have_title(re.compile("^Sign in"))

    checks.assert_all_clean()


def test_register_possible_duplicate_needs_confirmation(page, checks, frontline):
    sign_in(page, frontline.user)
    page.goto("/residents/register/")
    page.get_by_label("First name").fill("Margaret")
    page.get_by_label("Last name").fill("Oduya")
    date_of_birth(page, "17", "5", "1948")
    page.get_by_label("Postcode").fill("WV10 6QH")
    page.get_by_role("button", name="Register resident").click()

    expect(page).to_have_title(re.compile("^Check for an existing record: Register a resident"))
    warning = page.get_by_role("alert", name="Possible existing record")
    expect(warning).to_be_focused()  # GOV.UK Frontend focuses role="alert" banners, so it is read out
    expect(warning).to_contain_text("This person may already be registered.")
    expect(warning.get_by_role("link", name="Margaret Oduya")).to_be_visible()
    expect(warning).to_contain_text("born 17 May 1948, WV1 1AA, at Alpha Council")
    expect(warning).to_contain_text("same date of birth and a similar name")
    expect(page.get_by_label("First name")).to_have_value("Margaret")  # what they typed is kept
    assert Resident.objects.filter(last_name="Oduya").count() == 1
    checks("20-duplicate-warning")

    # The box sits beside the button it unlocks, not at the top of a long form.
    box = page.get_by_label("I have checked: this is a different person and needs a new record")
    register = page.get_by_role("button", name="Register resident")
    gap = register.bounding_box()["y"] - (box.bounding_box()["y"] + box.bounding_box()["height"])
    assert 0 <= gap < 80, gap

    # Submitting again without ticking the box does not register them, and says why, linking to the box.
    register.click()
    expect(page).to_have_title(re.compile("^Error: Register a resident"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    message = "Tick the box if this is a different person, or open the existing record instead"
    expect(box).to_have_accessible_description(re.compile(r"Error:\s+" + re.escape(message)))
    expect(page.get_by_role("region", name="Possible existing record")).to_contain_text("Margaret Oduya")
    assert Resident.objects.filter(last_name="Oduya").count() == 1
    summary.get_by_role("link", name=message).click()
    expect(box).to_be_focused()
    checks("20b-duplicate-not-ticked")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("20c-duplicate-not-ticked-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    box.check()
    page.get_by_role("button", name="Register resident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaret Oduya")
    expect(page.get_by_role("alert")).to_contain_text("Margaret Oduya is registered.")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("WV10 6QH")
    assert Resident.objects.filter(last_name="Oduya").count() == 2
    checks("21-duplicate-registered")

    checks.assert_all_clean()


def test_other_error_states(page, checks, frontline):
    """The error states the journey does not pass through: editing, withdrawing consent, searching, signing in."""
    resident = Resident.objects.get(last_name="Oduya")
    sign_in(page, frontline.user)

    page.goto(f"/residents/{resident.pk}/")
    page.get_by_role("button", name="Edit details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Margaret Oduya's details")
    date_of_birth(page, "31", "2", "1948")
    page.get_by_label("Phone number").fill("12")
    page.get_by_label("Postcode").fill("XX1")
    page.get_by_role("button", name="Save changes").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    messages = [
        "Date of birth must be a real date",
        "Enter a phone number like 07911 123456",
        "Enter a real UK postcode",
    ]
    for message in messages:
        expect(summary.get_by_role("link", name=re.compile("^" + re.escape(message)))).to_be_visible()
    expect(page.get_by_label("Phone number")).to_have_class(re.compile(r"\bgovuk-input--error\b"))
    summary.get_by_role("link", name="Date of birth must be a real date").click()
    expect(page.get_by_role("group", name=re.compile("^Date of birth")).get_by_label("Day")).to_be_focused()
    checks("30-edit-errors")
    page.get_by_role("link", name="Cancel").click()

    page.get_by_role("button", name="Record consent").click()
    page.get_by_role("group", name="Sharing their details with partner organisations").get_by_label(
        "Yes, they agree"
    ).check()
    page.get_by_label("Signed paper form").check()
    page.get_by_role("button", name="Record their answers").click()
    page.get_by_role("link", name="Withdraw consent for sharing their details with partner organisations").click()
    page.get_by_role("button", name="Withdraw consent").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose how they withdrew their consent")
    checks("31-withdraw-errors")
    page.get_by_label("Verbally, by phone").check()
    page.get_by_role("button", name="Withdraw consent").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Consent withdrawn: Sharing their details with partner organisations."
    )
    expect(page.get_by_role("table", name="Consent records")).to_contain_text("Withdrawn")
    checks("32-consent-withdrawn")

    page.goto("/residents/?q=o")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter at least 2 characters")
    checks("33-search-too-short")

    page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()
    page.get_by_label("Email address").fill(frontline.user.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a correct email address and password.")
    checks("34-sign-in-error")

    checks.assert_all_clean()


def test_the_resident_page_prompts_for_what_a_loan_needs(page, checks, frontline):
    """A resident registered with only an age band and a postcode: the page asks for consent and a way to reach
    them, with links; a refusal is then said, with its date, rather than asked for again."""
    resident = ResidentFactory(owning_organisation=frontline.organisation, first_name="Ada", last_name="Lovett",
                               date_of_birth=None, age_band="65_74", unconsented=True, unreachable=True,
                               postcode="WV1 1AA")  # fmt: skip
    sign_in(page, frontline.user)
    page.goto(f"/residents/{resident.pk}/")
    prompt = page.locator(".govuk-notification-banner", has_text="Before you lend a device or issue a voucher")
    expect(prompt.get_by_role("link", name="Record their consent to keeping their details")).to_be_visible()
    expect(prompt.get_by_role("link", name="Add a phone number, email address or postal address")).to_be_visible()
    checks("16-readiness-prompt")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("17-phone-readiness-prompt")
    page.set_viewport_size({"width": 1280, "height": 900})

    prompt.get_by_role("link", name="Add a phone number, email address or postal address").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Ada Lovett's details")
    page.get_by_label("Phone number").fill("07911 123456")
    page.get_by_role("button", name="Save changes").click()
    prompt = page.locator(".govuk-notification-banner", has_text="Before you lend a device or issue a voucher")
    expect(prompt).not_to_contain_text("Add a phone number")
    prompt.get_by_role("link", name="Record their consent to keeping their details").click()

    page.get_by_role("group", name="Keeping their details to support them").get_by_label(
        "No, they do not agree"
    ).check()
    page.get_by_label("Verbally, in person").check()
    page.get_by_role("button", name="Record their answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Refused: Keeping their details to support them.")
    refused = page.locator(".govuk-notification-banner", has_text="They cannot be lent a device or given a voucher")
    today = datetime.date.today()
    expect(refused).to_contain_text(f"They refused consent to keeping their details on {today:%-d %B %Y}.")
    expect(refused.get_by_role("link", name="record their consent again")).to_be_visible()
    expect(page.get_by_role("link", name="Record their consent to keeping their details")).to_have_count(0)
    checks("18-consent-refused")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("19-phone-consent-refused")

    checks.assert_all_clean()


def test_a_match_at_another_partner_is_not_named_and_goes_on_its_match_log(page, checks, frontline):
    """Working for Beta Library, a made-up name with Alpha's resident's phone: the warning does not name Alpha
    (no consent to sharing), and Alpha's coordinator sees the check on the match log."""
    margaret = Resident.objects.get(last_name="Oduya")
    sign_in(page, frontline.user)
    page.get_by_label("Work as").select_option(label="Beta Library (frontline)")
    page.get_by_role("button", name="Switch").click()
    page.goto("/residents/register/")
    page.get_by_label("First name").fill("Made")
    page.get_by_label("Last name").fill("Up")
    page.get_by_label("Age band, if they would rather not give their date of birth").select_option(label="25 to 34")
    page.get_by_label("Phone number").fill(margaret.phone.as_national)
    page.get_by_role("button", name="Register resident").click()
    warning = page.get_by_role("alert", name="Possible existing record")
    expect(warning).to_contain_text("This person may already be known to another partner: ask them.")
    expect(warning).not_to_contain_text("Alpha Council")
    expect(warning.get_by_role("link")).to_have_count(0)
    checks("22-duplicate-elsewhere-not-named")
    page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()

    coordinator = MembershipFactory(organisation=frontline.organisation, role=choices.Role.COORDINATOR,
                                    user__full_name="Cat Lead")  # fmt: skip
    sign_in(page, coordinator.user)
    page.get_by_role("link", name="Checks by other partners that matched your residents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checks by other partners that matched your residents")
    log = page.get_by_role("table", name="1 check")
    expect(log.get_by_role("link", name="Margaret Oduya")).to_be_visible()
    expect(log).to_contain_text("Sam Worker")
    expect(log).to_contain_text("Beta Library")
    expect(log).to_contain_text("Same phone number")
    expect(log).to_contain_text("They were not told your name")
    expect(log).not_to_contain_text("Made")
    checks("23-match-log")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("24-phone-match-log")

    checks.assert_all_clean()
