"""Registering a resident on the staff web: the possible-duplicate warning's confirmation, and the form itself."""

import re

import pytest
from django.urls import reverse

from inclusion.models import Resident

from ..factories import ResidentFactory

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


def _hidden_inputs(content: str) -> dict[str, str]:
    """What the page sends back without anyone typing it (the CSRF token aside)."""
    found = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', content))
    found.pop("csrfmiddlewaretoken", None)
    return found


def _controls(content: str) -> list[str]:
    """The form controls in page order, as 'name' (or 'button:<text>')."""
    controls = []
    for tag, attrs, text in re.findall(r"<(input|select|textarea|button)\b([^>]*)>(?:([^<]*)</button>)?", content):
        if 'type="hidden"' in attrs:
            continue
        name = re.search(r'name="([^"]+)"', attrs)
        controls.append(f"button:{text.strip()}" if tag == "button" else name.group(1) if name else tag)
    return controls


@pytest.fixture
def existing(org_a):
    return ResidentFactory(owning_organisation=org_a, first_name="Grace", last_name="Adeyemi",
                           date_of_birth="1957-07-14")  # fmt: skip


def test_the_different_person_box_sits_just_before_the_register_button(client_a, existing):
    content = client_a.post(reverse("resident-register"), VALID_REGISTRATION).content.decode()
    assert "Possible existing record" in content
    controls = [control for control in _controls(content) if control != "q"]  # the header's search aside
    at = controls.index("confirm_new")
    assert controls[at + 1] == "button:Register resident", controls[at - 2 : at + 2]


def test_pressing_register_again_without_ticking_the_box_shows_an_error_linking_to_it(client_a, existing):
    first = client_a.post(reverse("resident-register"), VALID_REGISTRATION).content.decode()
    assert "There is a problem" not in first  # the first time, the warning says what to check

    again = client_a.post(reverse("resident-register"), {**VALID_REGISTRATION, **_hidden_inputs(first)})
    content = again.content.decode()
    message = "Tick the box if this is a different person, or open the existing record instead"
    assert re.search(r"<title>\s*Error: ", content)
    assert f'<a href="#id_confirm_new">{message}</a>' in content  # in the error summary
    assert 'id="id_confirm_new-error"' in content and 'aria-describedby="id_confirm_new-error"' in content
    assert "govuk-form-group--error" in content.split('id="id_confirm_new"')[0].rsplit("<div", 3)[-3]
    assert Resident.objects.count() == 1

    ticked = client_a.post(reverse("resident-register"), {**VALID_REGISTRATION, **_hidden_inputs(first),
                                                          "confirm_new": "on"})  # fmt: skip
    assert ticked.status_code == 302 and Resident.objects.count() == 2


def _tag(content: str, name: str) -> str:
    return re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', content).group(0)


def test_every_field_in_error_is_marked_in_govuk_style(client_a):
    content = client_a.post(reverse("resident-register"), {**VALID_REGISTRATION, "email": "not-an-email",
                                                           "date_of_birth_0": "", "date_of_birth_1": "",
                                                           "date_of_birth_2": "", "age_band": "soon"}).content.decode()  # fmt: skip
    email, age_band = _tag(content, "email"), _tag(content, "age_band")
    assert 'aria-invalid="true"' in email and "govuk-input--error" in email
    assert "govuk-select--error" in age_band and "govuk-input--error" not in age_band
    assert 'class="govuk-select ' in age_band or 'class="govuk-select"' in age_band


def test_sign_in_fields_in_error_are_marked_in_govuk_style(client, staff_a):
    content = client.post(reverse("login"), {"username": "not-an-email", "password": ""}).content.decode()
    assert "govuk-input--error" in _tag(content, "username") and "govuk-input--error" in _tag(content, "password")


# The form: what is needed to help today first, the rest optional and marked so; equality monitoring and the
# skills baseline later, from the resident's page.

EQUALITY = ["gender", "ethnicity", "disability", "employment_status", "low_income", "carer"]
SKILLS = ["eds_foundation", "eds_communicating", "eds_handling_information", "eds_transacting",
          "eds_problem_solving", "eds_being_safe"]  # fmt: skip


def test_register_form_asks_what_is_needed_today_first(client_a):
    content = client_a.get(reverse("resident-register")).content.decode()
    controls = [name for name in _controls(content) if not name.startswith("button:") and name != "q"]
    first = ["first_name", "last_name", "preferred_name", "date_of_birth_0", "date_of_birth_1", "date_of_birth_2",
             "age_band", "phone", "email", "preferred_contact_method", "postcode", "needs_device",
             "needs_connectivity", "needs_skills"]  # fmt: skip
    assert controls[: len(first)] == first
    for name in EQUALITY + SKILLS:
        assert f'name="{name}"' not in content, name


def test_every_optional_question_on_the_register_form_says_so(client_a):
    form = client_a.get(reverse("resident-register")).context["form"]
    required = {"first_name", "last_name", "date_of_birth", "age_band", "preferred_language", "confirm_new",
                "needs_device", "needs_connectivity", "needs_skills", "duplicates_seen"}  # fmt: skip
    for name, field in form.fields.items():
        if name not in required:
            assert str(field.label).endswith("(optional)"), (name, field.label)


def test_a_resident_registered_with_the_essentials_shows_what_is_still_to_ask(client_a, actor_a):
    response = client_a.post(reverse("resident-register"), {
        "first_name": "Grace", "last_name": "Adeyemi", "age_band": "65_74", "preferred_language": "English",
        "needs_connectivity": "on",
    }, follow=True)  # fmt: skip
    resident = Resident.objects.get()
    content = response.content.decode()
    block = content.split('id="still-to-ask"', 1)[1].split("</div>", 1)[0]
    assert reverse("resident-equality", args=[resident.pk]) in block and "Equality monitoring" in block
    assert reverse("resident-skills", args=[resident.pk]) in block and "skills baseline" in block

    answers = {name: "prefer_not_to_say" for name in EQUALITY}
    answers.update(ethnicity="prefer_not_to_say")
    page = client_a.get(reverse("resident-equality", args=[resident.pk]))
    assert [f for f in page.context["form"].fields] == EQUALITY
    response = client_a.post(reverse("resident-equality", args=[resident.pk]), answers, follow=True)
    assert "Equality monitoring answers are saved." in response.content.decode()
    resident.refresh_from_db()
    assert resident.gender == "prefer_not_to_say"
    block = response.content.decode().split('id="still-to-ask"', 1)[1].split("</div>", 1)[0]
    assert reverse("resident-equality", args=[resident.pk]) not in block

    levels = dict.fromkeys(SKILLS, "with_help")
    response = client_a.post(reverse("resident-skills", args=[resident.pk]), levels, follow=True)
    assert 'id="still-to-ask"' not in response.content.decode()
    resident.refresh_from_db()
    assert resident.eds_being_safe == "with_help"


def test_an_equality_answer_out_of_the_list_is_an_error_and_saves_nothing(client_a, resident_a):
    response = client_a.post(reverse("resident-equality", args=[resident_a.pk]), {"gender": "martian"})
    assert "There is a problem" in response.content.decode()
    resident_a.refresh_from_db()
    assert resident_a.gender == ""


def test_equality_and_skills_pages_are_404_to_another_organisation(client_b, resident_a):
    for name in ("resident-equality", "resident-skills"):
        assert client_b.get(reverse(name, args=[resident_a.pk])).status_code == 404
        assert client_b.post(reverse(name, args=[resident_a.pk]), {"gender": "female"}).status_code == 404
    resident_a.refresh_from_db()
    assert resident_a.gender == ""


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("3", "April", "1961", "1961-04-03"),
        ("3", "apr", "61", "1961-04-03"),
        ("30", "Sept", "1948", "1948-09-30"),
        ("1", "12", "05", "2005-12-01"),  # two-digit years of birth are in the past
        ("14", "7", "57", "1957-07-14"),
    ],
)
def test_date_of_birth_accepts_month_names_and_two_digit_years(client_a, day, month, year, expected):
    data = {**VALID_REGISTRATION, "date_of_birth_0": day, "date_of_birth_1": month, "date_of_birth_2": year}
    assert client_a.post(reverse("resident-register"), data).status_code == 302
    assert str(Resident.objects.get().date_of_birth) == expected


@pytest.mark.parametrize(
    ("month", "year", "message", "pinned"),
    [("Smarch", "1961", "Date of birth must be a real date", 1), ("4", "196", "Date of birth must be a real date", 2)],
)
def test_a_month_or_year_that_is_not_one_is_an_error_on_that_input(client_a, month, year, message, pinned):
    data = {**VALID_REGISTRATION, "date_of_birth_1": month, "date_of_birth_2": year}
    content = client_a.post(reverse("resident-register"), data).content.decode()
    assert f'<a href="#id_date_of_birth_{pinned}">{message}</a>' in content
    assert Resident.objects.count() == 0
