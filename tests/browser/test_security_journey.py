"""In a real browser: a coordinator sets up two-step sign-in, signs out and signs in with a code; and the
Content Security Policy really refuses what it should (so the journeys' "no console errors" check would
catch a page that breaks it). Screenshots in artifacts/screenshots/security-*.png; axe-core on each page. (Issue 14: SECURITY.md.)"""

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from inclusion import choices

from ..factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # what UserFactory sets


def code(secret: str, steps_ahead: int = 0) -> str:
    import time

    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)), step=30, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def sign_in_with_password(page, user):
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_coordinator_sets_up_two_step_sign_in_then_signs_in_with_a_code(page, checks, settings):
    settings.MFA_ENFORCED = True
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    coordinator = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cora Ordin")

    sign_in_with_password(page, coordinator.user)
    expect(page).to_have_title(re.compile("^Set up two-step sign-in"))
    expect(page.get_by_role("img", name="QR code to set up your authenticator app")).to_be_visible()
    checks("security-01-set-up")
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator(".app-secret-key").inner_text().replace(" ", "")
    page.get_by_label("Enter the 6 numbers your app shows").fill("000000" if code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page).to_have_title(re.compile("^Error: Set up two-step sign-in"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    checks("security-02-set-up-wrong-code")
    page.wait_for_timeout(1100)  # django-otp makes the next try wait a second after a wrong code
    page.get_by_label("Enter the 6 numbers your app shows").fill(code(secret))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page).to_have_title(re.compile("^Your recovery codes"))
    codes = page.locator(".app-recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    checks("security-03-recovery-codes")
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page).to_have_title(re.compile("^Home"))
    page.reload()  # shown once: not again
    page.goto("/account/two-step/recovery-codes/")
    expect(page).to_have_title(re.compile("^Home"))
    expect(page.locator("body")).not_to_contain_text(codes[0])

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_title(re.compile("^Sign in"))
    sign_in_with_password(page, coordinator.user)
    expect(page).to_have_title(re.compile("^Enter your security code"))
    checks("security-04-enter-code")
    page.get_by_label("Security code").fill(code(secret, steps_ahead=1))  # this step's code was used already
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile("^Home"))
    expect(page.locator(".app-header")).to_contain_text("Cora Ordin")
    checks("security-05-signed-in")
    checks.assert_all_clean()


def test_forgotten_password_pages(page, checks):
    page.goto("/sign-in/")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page).to_have_title(re.compile("^Reset your password"))
    checks("security-06-reset-password")
    page.get_by_role("button", name="Send the link").click()
    expect(page).to_have_title(re.compile("^Error: Reset your password"))
    checks("security-07-reset-password-error")
    page.get_by_label("Email address").fill("someone@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page).to_have_title(re.compile("^Check your email"))
    checks("security-08-reset-sent")
    checks.assert_all_clean()


def test_the_content_security_policy_refuses_a_script_without_the_nonce(page):
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.goto("/sign-in/")
    assert page.evaluate("() => document.body.classList.contains('js-enabled')"), "our nonced script ran"
    page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';
                   document.body.appendChild(s); }"""
    )
    assert page.evaluate("() => window.injected") is None
    page.wait_for_timeout(200)
    assert violations and "script-src" in violations[0]


def test_access_log_pages(page, checks):
    from inclusion.actors import Actor
    from inclusion.privacy.models import AccessAction
    from inclusion.privacy.services import access_log_record

    from ..factories import ResidentFactory

    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    beta = OrganisationFactory(name="Beta Library", slug="beta", kind=choices.OrganisationKind.LIBRARY)
    coordinator = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cora Ordin")
    administrator = MembershipFactory(organisation=beta, role=choices.Role.ADMINISTRATOR, user__full_name="Ada Min")
    resident = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya")
    access_log_record(actor=Actor.for_membership(administrator), action=AccessAction.DUPLICATE_MATCHED,
                      resident=resident)  # fmt: skip

    sign_in_with_password(page, coordinator.user)
    page.goto(f"/residents/{resident.pk}/")
    page.get_by_role("link", name="Access log").click()
    expect(page).to_have_title(re.compile("^Who has looked at your residents"))
    expect(page.locator("table")).to_contain_text("Opened their record")
    expect(page.locator("table")).to_contain_text("Found them in a duplicate check")
    checks("security-09-access-log")
    page.get_by_role("button", name="Sign out").click()

    sign_in_with_password(page, administrator.user)
    page.goto("/privacy/access-log/all/")
    expect(page).to_have_title(re.compile("^Search the access log"))
    page.get_by_label("Resident's reference").fill("not a reference")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_title(re.compile("^Error: Search the access log"))
    checks("security-10-access-log-search-error")
    page.get_by_label("Resident's reference").fill(str(resident.pk))
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table caption")).to_contain_text("2 entries found")
    checks("security-11-access-log-search")
    checks.assert_all_clean()


def test_a_coordinator_restricts_a_record(page, checks):
    from ..factories import ResidentFactory

    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    coordinator = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cora Ordin")
    resident = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya")
    sign_in_with_password(page, coordinator.user)
    page.goto(f"/residents/{resident.pk}/")
    page.get_by_role("button", name="Restrict").click()
    expect(page).to_have_title(re.compile("^Restrict Margaret Oduya's record"))
    checks("security-12-restrict")
    page.get_by_label("Why").fill("She disputes her address and asked us to stop using her details until it is fixed.")
    page.get_by_role("button", name="Restrict their record").click()
    expect(page).to_have_title(re.compile("^Margaret Oduya"))
    expect(page.locator("#restricted-title").locator("..").locator("..")).to_contain_text("Their record is restricted")
    checks("security-13-restricted-record")
    checks.assert_all_clean()


def test_the_api_documentation_runs_under_the_policy(page):
    refused = []
    page.on("console", lambda message: message.type == "error" and refused.append(message.text))
    page.goto("/api/docs/")
    # The page then fetches the whole schema, which drf-spectacular generates per request (8 s of CPU here with
    # every app's endpoints; longer while the rest of the suite shares the two cores).
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Digital inclusion partner API", timeout=90_000)
    assert refused == []
