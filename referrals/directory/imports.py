"""Reading and checking a services import (CSV or Excel .xlsx): every bad row, with its line and reason. The page
flow around it (upload, preview, confirm) is inclusion/imports.py's, set up in referrals/directory/views.py.

service_import_check() only reads: it turns a file into the services it would add (one place per row, for
those that run in person), or the list of problems that stop it. It applies the same rules as adding one
service on its form (referrals/directory/services.py's checks). The write is services.service_import, which
runs the check again inside its transaction, so a file is imported whole or not at all. The file itself is
read by inclusion.spreadsheets.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from inclusion.imports import (
    ImportCheck,
    ImportRefused,
    Problem,
    choice_lookup,
    choice_names,
    row_values,
    sheet_read,
)
from inclusion.models import Organisation
from inclusion.uploads import upload_name

from .models import Delivery, ServiceKind, ServiceLevel, SkillArea, Weekday

SERVICE_COLUMNS = ("name", "description", "kind", "skill_areas", "level", "delivery", "days", "opens_at", "closes_at",
                   "schedule_description", "capacity", "free", "cost_description", "eligibility", "minimum_age",
                   "maximum_age", "languages", "accessibility", "contact_name", "contact_email", "contact_phone",
                   "url", "referrals_open", "active_from", "active_until")  # fmt: skip
PLACE_COLUMNS = ("place_name", "address_line_1", "address_line_2", "town", "postcode", "place_accessibility")
IMPORT_COLUMNS = SERVICE_COLUMNS + PLACE_COLUMNS
REQUIRED = ("name", "description", "kind")
MISSING_COLUMN = {column: f"There is no {column} column: every service needs one" for column in REQUIRED}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
MAX_COLUMNS = 100
SEPARATOR = ";"
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?::\d{2})?\s*(am|pm)?$")


def time_of_day(text: str) -> time | None:
    """A time as people type it (10, 10am, 10:30, 2.30pm, 14:30, 14:30:00); None for blank; ValueError if
    it is not one. The staff form and the import share it."""
    text = (text or "").strip().lower().replace(" ", "")
    if not text:
        return None
    match = TIME.match(text)
    if not match:
        raise ValueError(text)
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(text)
    return time(hour, minute)


@dataclass(frozen=True)
class ImportRow:
    line: int
    details: dict  # Service field → value, as services.service_create takes them
    locations: list  # [location details], none for an online service


class ServiceImportRefused(ImportRefused):
    """The file has problems, so nothing was imported. `check` lists them all."""


# What the import page says to put in each column, and the template's example row.
COLUMN_GUIDE = [
    ("name", "Required. What residents and partners call it"),
    ("description", "Required. What happens and who it suits"),
    ("kind", "Required. Digital skills course, Device lending point, Data and connectivity hub or One-to-one digital help"),
    ("skill_areas", "Any of Foundation skills, Communicating, Handling information and content, Transacting, "
                    "Problem solving, Being safe and legal online, separated by ;"),
    ("level", "All levels (if blank), Beginners, Improvers or Confident users"),
    ("delivery", "In person (if blank), Online or In person and online (blended)"),
    ("days", "Days it runs, separated by ;, like Tue; Thu"),
    ("opens_at, closes_at", "Times, like 10am or 14:30"),
    ("schedule_description", "Anything else about when it runs"),
    ("capacity", "Places per course or session, a whole number"),
    ("free", "yes (if blank) or no; if no, say what it costs in cost_description"),
    ("eligibility, minimum_age, maximum_age", "Who can use it, and ages in whole years"),
    ("languages", "Separated by ;, like English; Punjabi"),
    ("accessibility", "Step-free access, hearing loop..."),
    ("contact_name, contact_email, contact_phone, url", "A team or role and a shared mailbox, not a person's own"),
    ("referrals_open", "yes (if blank) or no"),
    ("active_from, active_until", "First and last days, like 2027-04-14 or 14/04/2027"),
    ("place_name, address_line_1, address_line_2, town, postcode, place_accessibility",
     "Where it runs: needed for in-person and blended services. One place per row; add more on the service's page"),
]  # fmt: skip
TEMPLATE_EXAMPLE = {"name": "Get online: computer basics", "description": "Email, video calls and staying safe online",
                    "kind": "Digital skills course", "skill_areas": "Communicating; Being safe and legal online",
                    "level": "Beginners", "delivery": "In person", "days": "Tue; Thu", "opens_at": "10am",
                    "closes_at": "12pm", "capacity": "8", "free": "yes", "languages": "English; Punjabi",
                    "referrals_open": "yes", "place_name": "Central Library", "address_line_1": "Snow Hill",
                    "town": "Wolverhampton", "postcode": "WV1 3AX"}  # fmt: skip


def template_rows() -> list[list[str]]:
    """The template file's rows: every column's heading, then an example service."""
    return [list(IMPORT_COLUMNS), [TEMPLATE_EXAMPLE.get(column, "") for column in IMPORT_COLUMNS]]


LOOKUPS = {"kind": choice_lookup(ServiceKind), "level": choice_lookup(ServiceLevel),
           "delivery": choice_lookup(Delivery), "skill_areas": choice_lookup(SkillArea)}  # fmt: skip
DAYS = {**choice_lookup(Weekday), **{str(label)[:3].lower(): value for value, label in Weekday.choices},
        "tues": "TU", "weds": "WE", "thur": "TH", "thurs": "TH"}  # fmt: skip


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def service_import_check(*, organisation: Organisation, filename: str, content: bytes) -> ImportCheck:
    """Read `content` (a CSV or .xlsx upload called `filename`) and check every row as a new service of
    `organisation`'s. Reads the database once, for the names the organisation already uses."""
    from .services import ServiceRules

    check = ImportCheck(filename=upload_name(filename))
    read = sheet_read(check, content, known=IMPORT_COLUMNS, required=MISSING_COLUMN, row_name="services",
                      max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)  # fmt: skip
    if read is None:
        return check
    columns, rows = read
    taken = {name.casefold() for name in ServiceRules.names_in_use(organisation)}
    first_line: dict[str, int] = {}
    for line, cells in rows:
        raw = row_values(line, cells, columns, names=IMPORT_COLUMNS, problems=check.problems)
        row = _row(line, raw, check.problems)
        if row is None:
            continue
        name = row.details["name"].casefold()
        if name in first_line:
            check.problems.append(Problem(line, "name", f"{row.details['name']} is also on line {first_line[name]}"))
        elif name in taken:
            check.problems.append(Problem(line, "name", f"Your organisation already has a service called "
                                                        f"{row.details['name']}"))  # fmt: skip
        first_line.setdefault(name, line)
        check.rows.append(row)
    check.problems.sort(
        key=lambda p: (p.line or 0, IMPORT_COLUMNS.index(p.column) if p.column in IMPORT_COLUMNS else -1)
    )
    return check


def _row(line: int, raw: dict, problems: list[Problem]) -> ImportRow | None:
    """One row as a service's details and place, checked by the same rules as the form; problems listed."""
    from .services import ServiceRules

    found = len(problems)
    details: dict = {}
    for column in ("name", "description", "schedule_description", "cost_description", "eligibility",
                   "accessibility", "contact_name", "contact_email", "contact_phone", "url"):  # fmt: skip
        details[column] = raw[column]
    for column in REQUIRED:
        if not raw[column]:
            problems.append(Problem(line, column, f"Enter the service's {column}"))
    for column, default in (("kind", None), ("level", ServiceLevel.ANY), ("delivery", Delivery.IN_PERSON)):
        given = raw[column]
        if not given:
            details[column] = default
        elif given.lower() in LOOKUPS[column]:
            details[column] = LOOKUPS[column][given.lower()]
        else:
            choices = {"kind": ServiceKind, "level": ServiceLevel, "delivery": Delivery}[column]
            problems.append(Problem(line, column, f"“{given}” is not a {column} we know: use {choice_names(choices)}"))
    for column, lookup, what in (("skill_areas", LOOKUPS["skill_areas"], choice_names(SkillArea)),
                                 ("days", DAYS, "Monday to Sunday (Mon, Tue... or MO, TU...)")):  # fmt: skip
        values = []
        for part in filter(None, (p.strip() for p in raw[column].split(SEPARATOR))):
            if part.lower() not in lookup:
                problems.append(
                    Problem(line, column, f"“{part}” is not one we know: use {what}, separated by {SEPARATOR}")
                )
            else:
                values.append(lookup[part.lower()])
        details[column] = values
    details["languages"] = [part.strip() for part in raw["languages"].split(SEPARATOR) if part.strip()]
    for column in ("opens_at", "closes_at"):
        try:
            details[column] = time_of_day(raw[column])
        except ValueError:
            problems.append(Problem(line, column, f"“{raw[column]}” is not a time: write it like 10am or 14:30"))
    for column, low, high in (("capacity", 1, 10000), ("minimum_age", 0, 120), ("maximum_age", 0, 120)):
        given = raw[column]
        if not given:
            details[column] = None
        elif given.isdigit() and low <= int(given) <= high:
            details[column] = int(given)
        else:
            problems.append(Problem(line, column, f"{column.replace('_', ' ').capitalize()} must be a whole number "
                                                  f"between {low} and {high}"))  # fmt: skip
    for column, default in (("free", True), ("referrals_open", True)):
        given = raw[column].lower()
        details[column] = default if not given else True if given in YES else False if given in NO else None
        if details[column] is None:
            problems.append(Problem(line, column, f"“{raw[column]}” is not yes or no"))
    for column in ("active_from", "active_until"):
        try:
            details[column] = _date(raw[column])
        except ValueError:
            problems.append(
                Problem(line, column, f"“{raw[column]}” is not a date: write it like 2027-04-14 or 14/04/2027")
            )
    place = {"name": raw["place_name"], "address_line_1": raw["address_line_1"],
             "address_line_2": raw["address_line_2"], "town": raw["town"], "postcode": raw["postcode"],
             "accessibility": raw["place_accessibility"]}  # fmt: skip
    locations = [place] if any(place.values()) else []
    if len(problems) > found:
        return None
    for message, column in ServiceRules.problems(details, locations):
        problems.append(Problem(line, column if column in IMPORT_COLUMNS else _place_column(column), message))
    if len(problems) > found:
        return None
    return ImportRow(line=line, details=details, locations=locations)


def _place_column(field_name: str | None) -> str:
    return {"name": "place_name", "accessibility": "place_accessibility", "locations": "address_line_1"}.get(
        field_name or "", field_name or ""
    )
