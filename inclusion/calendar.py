"""Bank holidays in England and Wales, and open or working days: for due dates, reminders and deadlines.

Computed from the rules in the Banking and Financial Dealings Act 1971 and the standing proclamations
(New Year's Day, Good Friday, Easter Monday, the first and last Mondays of May, the last Monday of August,
Christmas Day and Boxing Day, each moved to the next weekday when it falls at a weekend), plus the one-off
changes proclaimed for particular years (ONE_OFF below: the data to update when a new one is announced).
Nothing is fetched: it works offline and in tests. Scotland and Northern Ireland have other holidays.
"""

from datetime import date, timedelta
from functools import cache

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
WEEKDAYS = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)  # working days
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# One-off changes by year: regular holidays moved ({usual date: new date}) and extra holidays ({date: name}).
ONE_OFF: dict[int, dict[str, dict]] = {
    2011: {"moved": {}, "extra": {date(2011, 4, 29): "Royal wedding"}},
    2012: {"moved": {date(2012, 5, 28): date(2012, 6, 4)}, "extra": {date(2012, 6, 5): "Diamond Jubilee"}},
    2020: {"moved": {date(2020, 5, 4): date(2020, 5, 8)}, "extra": {}},  # early May, moved for VE Day
    2022: {
        "moved": {date(2022, 5, 30): date(2022, 6, 2)},  # spring, moved for the Platinum Jubilee
        "extra": {date(2022, 6, 3): "Platinum Jubilee", date(2022, 9, 19): "State Funeral of Queen Elizabeth II"},
    },
    2023: {"moved": {}, "extra": {date(2023, 5, 8): "Coronation of King Charles III"}},
}


def easter_sunday(year: int) -> date:
    """Easter Day in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    lx = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * lx) // 451
    month = (h + lx - 7 * m + 114) // 31
    day = (h + lx - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(MONDAY - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - MONDAY) % 7)


def _next_weekday(day: date, taken: set[date]) -> date:
    while day.weekday() >= SATURDAY or day in taken:
        day += timedelta(days=1)
    return day


@cache
def bank_holidays(year: int) -> dict[date, str]:
    """{date: name} of the bank holidays in England and Wales in `year`."""
    easter = easter_sunday(year)
    holidays = {
        _next_weekday(date(year, 1, 1), set()): "New Year's Day",
        easter - timedelta(days=2): "Good Friday",
        easter + timedelta(days=1): "Easter Monday",
        _first_monday(year, 5): "Early May bank holiday",
        _last_monday(year, 5): "Spring bank holiday",
        _last_monday(year, 8): "Summer bank holiday",
    }
    # Christmas first, then Boxing Day on the next weekday not already taken.
    christmas = _next_weekday(date(year, 12, 25), set())
    boxing = _next_weekday(date(year, 12, 26), {christmas})
    holidays[christmas] = "Christmas Day"
    holidays[boxing] = "Boxing Day"
    changes = ONE_OFF.get(year, {})
    for usual, new in changes.get("moved", {}).items():
        holidays[new] = holidays.pop(usual)
    holidays.update(changes.get("extra", {}))
    return dict(sorted(holidays.items()))


def is_bank_holiday(day: date) -> bool:
    return day in bank_holidays(day.year)


def is_open(day: date, *, open_days=WEEKDAYS, closed_on_bank_holidays: bool = True) -> bool:
    """Whether a place open on `open_days` (0 = Monday) is open on `day`."""
    return day.weekday() in open_days and not (closed_on_bank_holidays and is_bank_holiday(day))


def next_open_day(day: date, *, open_days=WEEKDAYS, closed_on_bank_holidays: bool = True) -> date:
    """`day` if open, else the first open day after it. At least one of `open_days` must be given."""
    if not set(open_days) & set(range(7)):
        raise ValueError("open_days names no day of the week")
    while not is_open(day, open_days=open_days, closed_on_bank_holidays=closed_on_bank_holidays):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """The date `count` working days (Monday to Friday, not bank holidays) after `day`."""
    while count > 0:
        day += timedelta(days=1)
        count -= is_open(day)
    return day
