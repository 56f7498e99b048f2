"""The one date field the staff forms share (inclusion.forms.base.DateField): month names and two-digit years."""

from datetime import date

import pytest
from django import forms
from django.utils import timezone

from inclusion.forms.base import DateField, month_number


@pytest.mark.parametrize(
    ("typed", "month"),
    [("4", 4), ("04", 4), ("April", 4), ("apr", 4), ("APR.", 4), ("Sept", 9), ("sep", 9), ("jun", 6), ("jul", 7),
     ("ju", None), ("Smarch", None), ("", None)],
)  # fmt: skip
def test_months_by_number_or_name(typed, month):
    assert month_number(typed) == month


def _yy(year: int) -> str:
    return f"{year % 100:02d}"


def test_a_two_digit_year_of_birth_is_in_the_past():
    field = DateField(noun="Date of birth", two_digit_years="past", required=False)
    today = timezone.localdate()
    assert field.clean(["1", "1", _yy(today.year - 40)]) == date(today.year - 40, 1, 1)
    # The same two digits as this year, later in the year than today: a century ago.
    later = date(today.year, 12, 31)
    expected = later.year if later <= today else later.year - 100
    assert field.clean(["31", "12", _yy(today.year)]) == date(expected, 12, 31)


def test_a_two_digit_year_otherwise_is_the_nearest():
    today = timezone.localdate()
    due = DateField(noun="Due date", required=False)
    assert due.clean(["1", "March", _yy(today.year + 1)]) == date(today.year + 1, 3, 1)
    expiry = DateField(noun="Expiry date", when="future", required=False)
    with pytest.raises(forms.ValidationError, match="Expiry date must be today or in the future"):
        expiry.clean(["1", "1", _yy(today.year - 1)])  # last year, refused: not a century from now


def test_four_digit_years_are_as_typed():
    field = DateField(noun="Date", required=False)
    assert field.clean(["3", "apr", "1961"]) == date(1961, 4, 3)
