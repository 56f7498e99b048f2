"""Every write to the service directory: a coordinator's organisation adds, changes and retires its own
services and their locations. Each change is one transaction with an audit event (inclusion.events.
audit_record: services hold no personal data, so they have no resident timeline).

Rules live here, for the staff web, the partner API and the demo alike: a name and description; closing
after opening; active dates and ages the right way round; an in-person or blended service has somewhere to
go; one name per organisation; a retired service cannot be changed. Another organisation's service is
refused exactly as one that does not exist (the callers' selectors give 404 first).
"""

from datetime import date, time

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.events import audit_record, changed_values
from inclusion.locks import lock_one
from inclusion.models import Organisation
from inclusion.validators import postcode_normalise

from .models import Delivery, Service, ServiceLocation, ServiceStatus, SkillArea, Weekday

SERVICE_FIELDS = (
    "name", "description", "kind", "skill_areas", "level", "delivery", "days", "opens_at", "closes_at",
    "schedule_description", "capacity", "free", "cost_description", "eligibility", "minimum_age", "maximum_age",
    "languages", "accessibility", "contact_name", "contact_email", "contact_phone", "url", "referrals_open",
    "status", "active_from", "active_until",
)  # fmt: skip
LOCATION_FIELDS = ("name", "address_line_1", "address_line_2", "town", "postcode", "accessibility")
# What a coordinator may set the status to; "defunct" is only reached by retiring (service_retire).
SETTABLE_STATUSES = (ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED, ServiceStatus.INACTIVE)
NEEDS_A_PLACE = (Delivery.IN_PERSON, Delivery.BLENDED)
MAX_LANGUAGES = 20


def _audit_values(service: Service) -> dict:
    values = {}
    for name in SERVICE_FIELDS:
        value = getattr(service, name)
        values[name] = value.isoformat() if isinstance(value, date | time) else value
    return values


def _tidy(details: dict) -> dict:
    """The details as the rules read them: text trimmed, lists without repeats, in the framework's order."""
    for name in ("name", "description", "schedule_description", "cost_description", "eligibility",
                 "accessibility", "contact_name", "contact_email", "contact_phone", "url"):  # fmt: skip
        if isinstance(details.get(name), str):
            details[name] = details[name].strip()
    if "skill_areas" in details:
        chosen = set(details["skill_areas"] or [])
        details["skill_areas"] = [area for area in SkillArea.values if area in chosen]
    if "days" in details:
        chosen = set(details["days"] or [])
        details["days"] = [day for day in Weekday.values if day in chosen]
    if "languages" in details:
        languages = []
        for language in details["languages"] or []:
            language = " ".join(str(language).split())
            if language and language.casefold() not in {known.casefold() for known in languages}:
                languages.append(language[:1].upper() + language[1:])
        details["languages"] = languages
    if details.get("contact_phone"):
        details["contact_phone"] = _phone(details["contact_phone"])
    return details


def _phone(value: str) -> str:
    """A UK phone number as people read it (0121 496 0000 style); refused if no line can have it."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            "Enter a UK phone number, like 01902 551234", field="contact_phone", code="invalid_phone_number"
        )
    if number.country_code == 44:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _check(service: Service, *, locations: int) -> None:
    """The rules across fields, each refusal naming the field to change."""
    if not service.name:
        raise DomainError("Enter the service's name", field="name", code="blank")
    if not service.description:
        raise DomainError("Enter a description of the service", field="description", code="blank")
    if service.opens_at and service.closes_at and service.closes_at <= service.opens_at:
        raise DomainError("The closing time must be after the opening time", field="closes_at", code="out_of_range")
    if service.active_from and service.active_until and service.active_until < service.active_from:
        raise DomainError("The last day must be on or after the first day", field="active_until", code="out_of_range")
    if (
        service.minimum_age is not None
        and service.maximum_age is not None
        and service.maximum_age < service.minimum_age
    ):
        raise DomainError("The oldest age must be the same as or more than the youngest", field="maximum_age",
                          code="out_of_range")  # fmt: skip
    if len(service.languages) > MAX_LANGUAGES:
        raise DomainError(f"Give at most {MAX_LANGUAGES} languages", field="languages", code="out_of_range")
    if service.delivery in NEEDS_A_PLACE and locations == 0:
        raise DomainError("A service delivered in person needs an address: add where it runs, or choose online",
                          field="locations", code="location_required")  # fmt: skip
    if not service.free and not service.cost_description:
        raise DomainError("Say what it costs", field="cost_description", code="blank")
    try:
        service.full_clean(exclude=["organisation", "created_by"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise _first(error) from None


def _first(error: ValidationError) -> DomainError:
    """A model validation error as a DomainError naming the first field at fault."""
    field, messages = next(iter(error.message_dict.items()))
    code = (
        next((e.code for e in error.error_dict.get(field, []) if e.code), "invalid")
        if hasattr(error, "error_dict")
        else "invalid"
    )
    return DomainError(messages[0], field=None if field == "__all__" else field, code=code or "invalid")


def _check_name_free(organisation: Organisation, name: str, *, exclude=None) -> None:
    same = Service.objects.filter(organisation=organisation, name__iexact=name).exclude(status=ServiceStatus.DEFUNCT)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise DomainError(f"Your organisation already has a service called {name}", field="name", code="duplicate")


def _location(service: Service, details: dict) -> ServiceLocation:
    unknown = set(details) - set(LOCATION_FIELDS)
    if unknown:
        raise DomainError(f"Unknown location fields: {', '.join(sorted(unknown))}")
    details = {name: (value.strip() if isinstance(value, str) else value) for name, value in details.items()}
    try:
        details["postcode"] = postcode_normalise(details.get("postcode", ""))
    except ValidationError as error:
        raise DomainError(error.messages[0], field="postcode", code="invalid_postcode") from None
    location = ServiceLocation(service=service, postcode_district=details["postcode"].split(" ")[0], **details)
    try:
        location.full_clean(exclude=["service"])
    except ValidationError as error:
        raise _first(error) from None
    return location


def _check_owner(service: Service, actor: Actor) -> None:
    if service.organisation_id != actor.organisation.pk:
        raise DomainError("No such service", code="not_found")


def _lock(service: Service, actor: Actor) -> Service:
    """The service locked (inclusion/locks.py: after the organisation, before referrals), checked to be the
    actor's own and not retired."""
    service = lock_one(Service, service.pk)
    _check_owner(service, actor)
    if service.status == ServiceStatus.DEFUNCT:
        raise DomainError("This service is retired, so it cannot be changed", code="illegal_transition")
    return service


class ServiceRules:
    """The rules a new service must meet, for a check that saves nothing (the import's preview)."""

    @staticmethod
    def names_in_use(organisation: Organisation) -> list[str]:
        return list(
            Service.objects.filter(organisation=organisation).exclude(status=ServiceStatus.DEFUNCT)
            .values_list("name", flat=True)
        )  # fmt: skip

    @staticmethod
    def problems(details: dict, locations: list[dict]) -> list[tuple[str, str | None]]:
        """[(message, field)]: what stops these details (and places) making a service; [] if nothing."""
        found = []
        try:
            service = Service(**_tidy(dict(details)))
            _check(service, locations=len(locations))
        except DomainError as error:
            return [(error.message, error.field)]
        for location in locations:
            try:
                _location(service, dict(location))
            except DomainError as error:
                found.append((error.message, error.field))
        return found


@transaction.atomic
def service_import(*, actor: Actor, filename: str, content: bytes) -> list[Service]:
    """Add every service in a CSV or .xlsx file to the actor's organisation's, with their places, or none.

    Checks the whole file again with the organisation's row locked (so no colleague adds a service of the
    same name meanwhile) and raises ServiceImportRefused, listing every problem, if any row is bad. Then three
    bulk inserts: the services, their places and an audit event for each."""
    from inclusion.models import AuditEvent

    from .imports import ServiceImportRefused, service_import_check

    lock_one(Organisation, actor.organisation.pk)
    check = service_import_check(organisation=actor.organisation, filename=filename, content=content)
    if not check.ok:
        raise ServiceImportRefused(check)
    made, places = [], []
    for row in check.rows:
        service = Service(organisation=actor.organisation, created_by=actor.user, **_tidy(dict(row.details)))
        made.append(service)
        places.extend(_location(service, dict(location)) for location in row.locations)
    Service.objects.bulk_create(made)
    ServiceLocation.objects.bulk_create(places)
    AuditEvent.objects.bulk_create(
        AuditEvent(organisation=actor.organisation, actor=actor.user, api_key=actor.api_key, action="service.create",
                   object_type=service._meta.label_lower, object_id=str(service.pk), object_repr=str(service)[:200],
                   after={**_audit_values(service), "import": check.filename})
        for service in made
    )  # fmt: skip
    return made


@transaction.atomic
def service_create(*, actor: Actor, locations: list[dict] = (), **details) -> Service:
    """Add a service to the actor's organisation's directory entries, with where it runs.

    Locks the organisation's row so two people adding a service of the same name get one service and one
    clear refusal. Writes an audit event."""
    unknown = set(details) - set(SERVICE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown service fields: {', '.join(sorted(unknown))}")
    details = _tidy(dict(details))
    if details.get("status") == ServiceStatus.DEFUNCT:
        raise DomainError("A new service cannot start retired", field="status", code="invalid_choice")
    lock_one(Organisation, actor.organisation.pk)
    service = Service(organisation=actor.organisation, created_by=actor.user, **details)
    _check(service, locations=len(locations))
    _check_name_free(actor.organisation, service.name)
    places = [_location(service, dict(location)) for location in locations]
    service.save()
    for place in places:
        place.save()
    audit_record(actor=actor, action="service.create", obj=service, after=_audit_values(service))
    return service


@transaction.atomic
def service_update(*, actor: Actor, service: Service, locations: list[dict] | None = None, **changes) -> Service:
    """Change a service's details (its own organisation's), and with `locations` replace every place it runs
    (the API's PUT; the staff web changes places one at a time with service_location_*)."""
    unknown = set(changes) - set(SERVICE_FIELDS)
    if unknown:
        raise DomainError(f"These cannot be changed here: {', '.join(sorted(unknown))}")
    changes = _tidy(dict(changes))
    if changes.get("status") == ServiceStatus.DEFUNCT:
        raise DomainError("Retire the service instead of setting it defunct", field="status", code="invalid_choice")
    lock_one(Organisation, actor.organisation.pk)
    service = _lock(service, actor)
    before = _audit_values(service)
    for name, value in changes.items():
        setattr(service, name, value)
    _check(service, locations=service.locations.count() if locations is None else len(locations))
    if "name" in changes:
        _check_name_free(actor.organisation, service.name, exclude=service.pk)
    places = None if locations is None else [_location(service, dict(location)) for location in locations]
    old, new = changed_values(before, _audit_values(service))
    if places is not None:
        postcodes_before = sorted(service.locations.values_list("postcode", flat=True))
        postcodes_after = sorted(place.postcode for place in places)
        service.locations.all().delete()
        for place in places:
            place.save()
        if postcodes_before != postcodes_after:
            old["postcodes"], new["postcodes"] = postcodes_before, postcodes_after
    if new or places is not None:
        service.save()
    if new:
        audit_record(actor=actor, action="service.update", obj=service, before=old, after=new)
    return service


@transaction.atomic
def service_retire(*, actor: Actor, service: Service) -> Service:
    """Take a service out of the directory for good (status "defunct", closed to referrals). The row stays:
    referrals made to it keep pointing at it."""
    service = _lock(service, actor)
    today = timezone.localdate()
    before = {"status": service.status, "referrals_open": service.referrals_open}
    service.status = ServiceStatus.DEFUNCT
    service.referrals_open = False
    if service.active_until is None or service.active_until > today:
        service.active_until = max(today, service.active_from or today)
    service.save()
    audit_record(actor=actor, action="service.retire", obj=service, before=before,
                 after={"status": service.status, "referrals_open": False})  # fmt: skip
    return service


@transaction.atomic
def service_location_add(*, actor: Actor, service: Service, **details) -> ServiceLocation:
    service = _lock(service, actor)
    location = _location(service, details)
    location.save()
    audit_record(actor=actor, action="service.location_add", obj=service,
                 after={"location": str(location.pk), "postcode": location.postcode})  # fmt: skip
    return location


@transaction.atomic
def service_location_update(*, actor: Actor, location: ServiceLocation, **details) -> ServiceLocation:
    service = _lock(location.service, actor)
    fresh = _location(service, details)
    fresh.pk = location.pk
    fresh.save(force_update=True)
    audit_record(actor=actor, action="service.location_update", obj=service,
                 before={"postcode": location.postcode}, after={"location": str(fresh.pk), "postcode": fresh.postcode})  # fmt: skip
    return fresh


@transaction.atomic
def service_location_remove(*, actor: Actor, location: ServiceLocation) -> None:
    """Remove one of the places a service runs; an in-person or blended service keeps at least one."""
    service = _lock(location.service, actor)
    if service.delivery in NEEDS_A_PLACE and service.locations.exclude(pk=location.pk).count() == 0:
        raise DomainError("This is the only place the service runs: add another first, or make it online",
                          code="location_required")  # fmt: skip
    location.delete()
    audit_record(actor=actor, action="service.location_remove", obj=service,
                 before={"location": str(location.pk), "postcode": location.postcode})  # fmt: skip
