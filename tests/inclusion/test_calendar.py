"""Bank holidays in England and Wales and open days (inclusion/calendar.py), checked against the dates
GOV.UK published for 2019 to 2027."""

from datetime import date

import pytest

from inclusion import calendar

# https://www.gov.uk/bank-holidays, England and Wales.
PUBLISHED = {
    2019: ["01-01", "04-19", "04-22", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2022: ["01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26", "12-27"],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}


@pytest.mark.parametrize("year", PUBLISHED)
def test_bank_holidays_are_those_gov_uk_published(year):
    expected = [date.fromisoformat(f"{year}-{day}") for day in PUBLISHED[year]]
    assert list(calendar.bank_holidays(year)) == expected


def test_holidays_have_names():
    assert calendar.bank_holidays(2022)[date(2022, 9, 19)] == "State Funeral of Queen Elizabeth II"
    assert calendar.bank_holidays(2026)[date(2026, 12, 28)] == "Boxing Day"


def test_next_open_day_skips_closed_weekdays_and_bank_holidays():
    monday_to_saturday = range(6)
    sunday = date(2026, 12, 6)
    assert calendar.next_open_day(sunday, open_days=monday_to_saturday) == date(2026, 12, 7)
    assert calendar.next_open_day(date(2026, 12, 5), open_days=monday_to_saturday) == date(2026, 12, 5)
    # Christmas Day (Friday), Saturday 26 open, Sunday closed, Monday 28 the Boxing Day holiday: Tuesday.
    assert calendar.next_open_day(date(2026, 12, 27), open_days=monday_to_saturday) == date(2026, 12, 29)
    assert calendar.next_open_day(date(2026, 12, 25), open_days=monday_to_saturday) == date(2026, 12, 26)
    assert calendar.next_open_day(date(2026, 12, 25), closed_on_bank_holidays=False, open_days=range(7)) == date(
        2026, 12, 25
    )
    with pytest.raises(ValueError):
        calendar.next_open_day(sunday, open_days=[])


def test_working_days_skip_weekends_and_bank_holidays():
    assert calendar.add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 29)  # Thu 24, then Tue 29
    assert calendar.add_working_days(date(2026, 12, 4), 1) == date(2026, 12, 7)
