"""Validation and normalisation of UK postcodes, dates of birth and free text, shared by forms, the API and
imports, and the search keys of names and postcodes (one rule for storing them and for searching)."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone

DATE_OF_BIRTH_FROM_YEAR = 1900


def date_of_birth_validate(value) -> None:
    """The date-of-birth rule, for the staff web and the API alike: in the past, and from 1900. Raises
    ValidationError (code in_the_future or out_of_range); None (not given) passes."""
    if value and value > timezone.localdate():
        raise ValidationError("Date of birth must be in the past", code="in_the_future")
    if value and value.year < DATE_OF_BIRTH_FROM_YEAR:
        raise ValidationError(f"Date of birth must be after {DATE_OF_BIRTH_FROM_YEAR}", code="out_of_range")


# Full UK postcode (BS 7666 shape), plus the special case GIR 0AA.
_POSTCODE = re.compile(r"^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})$")


def postcode_normalise(value: str) -> str:
    """'wv11aa' → 'WV1 1AA'. Raises ValidationError for anything that is not a UK postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not _POSTCODE.match(compact):
        raise ValidationError("Enter a real UK postcode, like WV1 1AA", code="invalid_postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value: str) -> None:
    if value:
        postcode_normalise(value)


def postcode_search_key(value: str) -> str:
    """The key a postcode is stored and matched under (Resident.postcode_key): normalised, the space kept
    between outward and inward codes ('wv11aa' → 'WV1 1AA'), so that WV1 and WV11 stay apart."""
    try:
        return postcode_normalise(value)
    except ValidationError:
        return " ".join((value or "").split()).upper()


_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_INWARD_START = re.compile(r"[0-9][A-Z]{0,2}")
_AREA = re.compile(r"[A-Z]{1,2}")


def postcode_search_prefix(query: str) -> str | None:
    """What a postcode search means, as the start of Resident.postcode_key; None if it is not a postcode.

    A whole postcode ('wv11aa') means that postcode; an outward code ('B12', 'WV1') that district only, not B1 2..
    or WV10; an outward code and the start of the inward one, with the space or without it where only one
    reading is possible ('B12 3', 'B123'); letters alone ('WV'), a postcode area."""
    spaced = " ".join((query or "").split()).upper()
    compact = spaced.replace(" ", "")
    if _POSTCODE.match(compact):
        return f"{compact[:-3]} {compact[-3:]}"
    if " " in spaced:
        outward, _, inward = spaced.partition(" ")
        inward = inward.replace(" ", "")
        if _OUTWARD.fullmatch(outward) and _INWARD_START.fullmatch(inward):
            return f"{outward} {inward}"
        return None
    if _OUTWARD.fullmatch(compact):
        return f"{compact} "
    if _AREA.fullmatch(compact):
        return compact
    # Without the space: the one split into an outward code and the start of an inward code (a digit, then
    # letters), as inward codes never have a letter before their digit.
    for split in range(len(compact) - 1, 1, -1):
        outward, inward = compact[:split], compact[split:]
        if _OUTWARD.fullmatch(outward) and _INWARD_START.fullmatch(inward):
            return f"{outward} {inward}"
    return None


# Letters that Unicode decomposition leaves whole, and their plain Latin spelling.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})
_NAME_PARTS = re.compile(r"[\s\-\u2010-\u2015]+")  # spaces, hyphens and dashes separate the parts of a name


def name_search_key(value: str) -> str:
    """How a name is searched and indexed: lower case, accents and punctuation gone, parts run together.
    "O'Brien" → "obrien", "José" → "jose", "Strauß" → "strauss", "Smith-Jones" → "smithjones".
    Letters of other scripts are kept (lower-cased)."""
    folded = unicodedata.normalize("NFKD", (value or "").casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).translate(_PLAIN_LETTERS)
    return re.sub(r"[\W_]+", "", folded)


def name_part_key(value: str) -> str:
    """The last part of a name in several parts, as name_search_key gives it, so either part of a double-barrelled
    name finds it: "Smith-Jones" → "jones", "Bonham Carter" → "carter"; "" for a name in one part."""
    parts = [key for key in (name_search_key(part) for part in _NAME_PARTS.split(value or "")) if key]
    return parts[-1] if len(parts) > 1 else ""


# Control characters (C0, DEL, C1) and the bidirectional marks, embeddings, overrides and isolates that
# can make a name display as something else ("Smith" shown reversed, text hidden after a RIGHT-TO-LEFT
# OVERRIDE). Written as the characters a name may hold, so the OpenAPI schema can carry the same pattern.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]*$"
validate_name = RegexValidator(
    NAME_PATTERN,
    message="Names cannot contain control characters or text-direction overrides.",
    code="invalid_characters",
)


# Numbers Ofcom sets aside for TV and radio drama (E.164 prefixes of its published ranges, such as
# 07700 900000-900999): no real line has one, and libphonenumber accepts some (0121 496 0xxx).
DRAMA_NUMBER_PREFIXES = (
    "+441134960", "+441144960", "+441154960", "+441164960", "+441174960", "+441184960", "+441214960",
    "+441314960", "+441414960", "+441514960", "+441614960", "+441914980", "+442079460", "+442896496",
    "+442920180", "+441632960", "+447700900", "+448081570", "+449098790", "+443069990",
)  # fmt: skip


def validate_not_drama_number(value) -> None:
    """Refuse a phone number (a PhoneNumber or an E.164 string) in one of Ofcom's drama ranges."""
    number = value.as_e164 if hasattr(value, "as_e164") else str(value or "")
    if number.startswith(DRAMA_NUMBER_PREFIXES):
        raise ValidationError("That number is reserved for TV and radio drama: enter the resident's real number.",
                              code="invalid_phone_number")  # fmt: skip
