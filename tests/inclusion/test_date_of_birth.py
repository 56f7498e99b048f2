"""The date-of-birth rule has one home (inclusion.validators.date_of_birth_validate): the staff web's form and the
partner API both apply it, with the same codes."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.exceptions import ValidationError as APIValidationError

from inclusion.api.serializers import ResidentInputSerializer
from inclusion.forms.residents import ResidentForm
from inclusion.validators import date_of_birth_validate


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [(timezone.localdate() + timedelta(days=1), "in_the_future", "Date of birth must be in the past"),
     (date(1899, 12, 31), "out_of_range", "Date of birth must be after 1900")],
)  # fmt: skip
def test_a_date_of_birth_is_in_the_past_and_from_1900(value, code, message):
    with pytest.raises(ValidationError) as refused:
        date_of_birth_validate(value)
    assert (refused.value.code, refused.value.messages) == (code, [message])


def test_today_1900_and_none_pass():
    for value in (timezone.localdate(), date(1900, 1, 1), None):
        date_of_birth_validate(value)


def test_the_form_and_the_api_give_the_same_answer():
    tomorrow = timezone.localdate() + timedelta(days=1)
    form = ResidentForm({"date_of_birth_0": tomorrow.day, "date_of_birth_1": tomorrow.month,
                         "date_of_birth_2": tomorrow.year})  # fmt: skip
    form.is_valid()
    assert form.errors["date_of_birth"] == ["Date of birth must be in the past"]
    serializer = ResidentInputSerializer()
    with pytest.raises(APIValidationError) as refused:
        serializer.validate_date_of_birth(tomorrow)
    assert (
        refused.value.detail[0] == "Date of birth must be in the past."
        and refused.value.detail[0].code == "in_the_future"
    )
