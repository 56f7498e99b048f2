"""Field history and erasure: what earlier values of a resident's details the history keeps, cleaned when they
are anonymised (inclusion.privacy.erasure.resident_erase calls history_erase_for_resident).

Field history is django-simple-history's, on Resident only (inclusion.models: Resident.history)."""

from .models import Resident


def history_erase_for_resident(resident: Resident) -> int:
    """Overwrite the personal fields of every historical row of `resident` with what the record now holds
    (anonymised), keeping who changed what and when. Inside the caller's transaction; returns the rows."""
    from .privacy.erasure import RESIDENT_ERASED

    tracked = {field.name for field in Resident.history.model._meta.get_fields()}
    erased = {name: value for name, value in RESIDENT_ERASED.items() if name in tracked}
    erased["age_band"] = resident.age_band
    return Resident.history.filter(id=resident.pk).update(**erased)
