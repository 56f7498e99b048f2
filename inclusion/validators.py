"""Validation and normalisation of UK postcodes and free text, shared by forms, the API and imports."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

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
    """The compact upper-case form used to search by the start of a postcode ('wv1 1' → 'WV11')."""
    return re.sub(r"\s+", "", value or "").upper()


def looks_like_postcode_start(value: str) -> bool:
    return bool(re.match(r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9]?[A-Za-z]{0,2}$", value.strip()))


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
