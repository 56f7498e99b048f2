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
