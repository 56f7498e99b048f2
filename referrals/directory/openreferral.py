"""The service directory published as an Open Referral UK 3.0 feed (/openreferral/), open to read without a
key, as the standard expects: `/` (version information), `/services` (paged, with the standard's wrapper and
its search and filter parameters) and `/services/{id}` (one fully nested service).

Everything here is about services and the organisations that run them; nothing about any resident. Ids the
standard wants as UUIDs that we do not store (organisations, taxonomies and terms, schedules, addresses...)
are UUID 5s derived from our own ids, so they stay the same from one request to the next.

Bad parameters are a 400 and unknown ids a 404, in the partner API's one JSON error format:
{"type": "validation_error", "errors": [{"code": "invalid", "detail": "...", "attr": "per_page"}]}
"""

import math
import re
import uuid
from datetime import UTC, datetime, time

from django.db.models import Q
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from inclusion.models import Organisation

from . import selectors
from .models import Delivery, Service, ServiceKind, ServiceLevel, SkillArea, Weekday

VERSION = "3.0"
PROFILE_URL = "https://openreferraluk.org/"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json"
NAMESPACE = uuid.UUID("6f1c3a52-8d0e-4b8e-9a51-0c0d6a1e2b7f")  # ours: the root of every derived id
PER_PAGE, MAX_PER_PAGE = 50, 200

# Our choice lists, published as taxonomies: (taxonomy name, description, choices, the Service field).
TAXONOMIES = {
    "digital-inclusion-service-kind": ("Kinds of digital inclusion service", ServiceKind, "kind"),
    "essential-digital-skills": ("Essential Digital Skills framework areas (Department for Education, 2018)",
                                 SkillArea, "skill_areas"),
    "digital-skills-level": ("Who a digital inclusion service is for, by how much they use the internet",
                             ServiceLevel, "level"),
    "service-delivery": ("How a service is delivered", Delivery, "delivery"),
}  # fmt: skip
DAY_NAMES = {label.lower(): value for value, label in Weekday.choices}
# Standard parameters this feed does not offer: named in the 400, so a client knows it is not a typo.
UNSUPPORTED = {"proximity", "full", "minimal", "format", "full_service"}
LIST_PARAMETERS = {"search", "page", "per_page", "taxonomy_term_id", "taxonomy_id", "organization_id", "minimum_age",
                   "maximum_age", "start_time", "end_time", "day", "postcode", "modified_after"}  # fmt: skip


def derived_id(*parts) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


def organisation_id(organisation: Organisation) -> str:
    return derived_id("organisation", organisation.pk)


def taxonomy_id(name: str) -> str:
    return derived_id("taxonomy", name)


def term_id(taxonomy: str, value: str) -> str:
    return derived_id("taxonomy", taxonomy, "term", value)


TERMS = {  # term id → (taxonomy name, value)
    term_id(name, value): (name, value) for name, (_, choices, _) in TAXONOMIES.items() for value in choices.values
}
TAXONOMY_IDS = {taxonomy_id(name): name for name in TAXONOMIES}


# --- Shaping -----------------------------------------------------------------------------------------------


def _timestamp(moment: datetime) -> str:
    """UTC with milliseconds, as the standard asks: 2026-03-15T10:30:45.123Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _without_blanks(values: dict) -> dict:
    """The standard's formats (email, uri, date) do not allow "": a value we do not have is left out."""
    return {name: value for name, value in values.items() if value not in ("", None, [])}


def organisation_json(organisation: Organisation) -> dict:
    kind = organisation.get_kind_display()
    area = organisation.get_local_authority_display()
    return {
        "id": organisation_id(organisation),
        "name": organisation.name,
        "description": f"{kind}, {area}: a partner of the digital inclusion scheme.",
    }


def service_summary(service: Service) -> dict:
    """A service as /services lists it: the one-to-one fields of the standard's service_list."""
    alert = "" if service.referrals_open else "Not taking referrals at the moment."
    return _without_blanks({
        "id": str(service.pk),
        "organization_id": organisation_id(service.organisation),
        "name": service.name,
        "description": service.description,
        "url": service.url,
        "email": service.contact_email,
        "status": service.status,
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "assured_date": timezone.localtime(service.updated_at).date().isoformat(),
        "alert": alert,
        "last_modified": _timestamp(service.updated_at),
        "organization": organisation_json(service.organisation),
    })  # fmt: skip


def _attributes(service: Service) -> list[dict]:
    attributes = []
    for name, (_description, choices, field) in TAXONOMIES.items():
        values = getattr(service, field)
        labels = dict(choices.choices)
        for value in values if isinstance(values, list) else [values]:
            term = term_id(name, value)
            attributes.append({
                "id": derived_id("attribute", service.pk, term), "link_id": str(service.pk), "link_type": "service",
                "taxonomy_term_id": term,
                "taxonomy_term": {"id": term, "name": str(labels[value]), "description": str(labels[value]),
                                  "taxonomy": name, "taxonomy_id": taxonomy_id(name), "term": value},
            })  # fmt: skip
    return attributes


def _schedules(service: Service) -> list[dict]:
    if not (service.days or service.opens_at or service.schedule_description or service.active_from):
        return []
    schedule = _without_blanks({
        "id": derived_id("schedule", service.pk), "service_id": str(service.pk),
        "valid_from": service.active_from.isoformat() if service.active_from else "",
        "valid_to": service.active_until.isoformat() if service.active_until else "",
        "freq": "WEEKLY" if service.days else "", "byday": ",".join(service.days),
        "opens_at": service.opens_at.strftime("%H:%M") if service.opens_at else "",
        "closes_at": service.closes_at.strftime("%H:%M") if service.closes_at else "",
        "description": service.schedule_description, "attending_type": service.get_delivery_display(),
    })  # fmt: skip
    return [schedule]


def _locations(service: Service) -> list[dict]:
    found = []
    for place in service.locations.all():
        location_id = str(place.pk)
        accessibility = [text for text in (place.accessibility, service.accessibility) if text]
        location = _without_blanks({
            "id": location_id, "location_type": "physical", "name": place.name or place.address_line_1,
            "latitude": float(place.latitude) if place.latitude is not None else None,
            "longitude": float(place.longitude) if place.longitude is not None else None,
            "addresses": [{
                "id": derived_id("address", place.pk), "location_id": location_id,
                "address_1": place.address_line_1, **({"address_2": place.address_line_2} if place.address_line_2 else {}),
                # We keep no county: the standard requires the field, so it is there and empty.
                "city": place.town, "state_province": "", "postal_code": place.postcode, "country": "GB",
                "address_type": "physical",
            }],
            "accessibility": [{"id": derived_id("accessibility", place.pk, n), "location_id": location_id,
                               "description": text} for n, text in enumerate(accessibility)],
        })  # fmt: skip
        found.append({"id": derived_id("service_at_location", service.pk, place.pk), "service_id": str(service.pk),
                      "location_id": location_id, "location": location})  # fmt: skip
    return found


def service_full(service: Service) -> dict:
    """One service as /services/{id} gives it: fully nested (the standard's compiled service schema)."""
    service_id = str(service.pk)
    cost = _without_blanks({
        "id": derived_id("cost", service.pk), "service_id": service_id,
        "option": "Free" if service.free else "Charged", "amount": 0 if service.free else None,
        "amount_description": service.cost_description or ("Free" if service.free else ""),
    })  # fmt: skip
    contact = _without_blanks({"id": derived_id("contact", service.pk), "service_id": service_id,
                               "name": service.contact_name, "email": service.contact_email})  # fmt: skip
    phones = [{"id": derived_id("phone", service.pk), "service_id": service_id, "number": service.contact_phone}]
    return {
        **service_summary(service),
        **_without_blanks({
            "eligibility_description": service.eligibility,
            "schedules": _schedules(service),
            "service_at_locations": _locations(service),
            "languages": [{"id": derived_id("language", service.pk, n), "service_id": service_id, "name": name}
                          for n, name in enumerate(service.languages)],
            "cost_options": [cost],
            "contacts": [contact] if len(contact) > 2 else [],
            "phones": phones if service.contact_phone else [],
            "attributes": _attributes(service),
        }),
    }  # fmt: skip


# --- Parameters --------------------------------------------------------------------------------------------


class BadParameter(Exception):
    def __init__(self, name: str, detail: str, code: str = "invalid"):
        super().__init__(detail)
        self.name, self.detail, self.code = name, detail, code


def _error(status: int, code: str, detail: str, attr: str | None = None) -> JsonResponse:
    kind = "validation_error" if status == 400 else "client_error"
    return _json({"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]}, status=status)


def _json(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"  # open data: any web page may read it
    return response


def _whole(params, name: str, low: int, high: int | None = None) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < low or (high is not None and int(raw) > high):
        within = f"from {low} to {high}" if high is not None else f"from {low}"
        raise BadParameter(name, f"Give a whole number {within}.")
    return int(raw)


def _age(params, name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,3}(\.[0-9]+)?", raw):
        raise BadParameter(name, "Give an age in years, like 19.")
    return float(raw)


def _time(params, name: str) -> time | None:
    raw = params.get(name)
    if raw is None:
        return None
    match = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?", raw)
    if not match:
        raise BadParameter(name, "Give a time of day as HH:MM, like 09:30.")
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


def _uuid(params, name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise BadParameter(name, "Give an id as a UUID, like 6f1c3a52-8d0e-4b8e-9a51-0c0d6a1e2b7f.") from None


def _check_names(params) -> None:
    for name, values in params.lists():
        if name in UNSUPPORTED:
            raise BadParameter(name, "This feed does not offer this parameter.", "unsupported_parameter")
        if name not in LIST_PARAMETERS:
            raise BadParameter(name, "Not a parameter of this request (check its spelling).", "unknown_parameter")
        if len(values) > 1:
            raise BadParameter(name, "Give this parameter once.", "repeated_parameter")
        if "\x00" in values[0]:
            raise BadParameter(name, "Text may not contain NUL characters.")


def services_filtered(params):
    """The services matching the standard's parameters (a BadParameter for any that cannot be understood)."""
    _check_names(params)
    services = Service.objects.all()
    search = params.get("search", "").strip()
    if len(search) > 200:
        raise BadParameter("search", "Search for at most 200 characters.")
    for word in search.split()[:10]:
        services = services.filter(Q(name__icontains=word) | Q(description__icontains=word))
    if (term := _uuid(params, "taxonomy_term_id")) is not None:
        if term not in TERMS:
            return Service.objects.none()
        name, value = TERMS[term]
        field = TAXONOMIES[name][2]
        services = services.filter(**({f"{field}__contains": [value]} if field == "skill_areas" else {field: value}))
    if (taxonomy := _uuid(params, "taxonomy_id")) is not None:
        if taxonomy not in TAXONOMY_IDS:
            return Service.objects.none()
        if TAXONOMIES[TAXONOMY_IDS[taxonomy]][2] == "skill_areas":
            services = services.exclude(skill_areas=[])
    if (organisation := _uuid(params, "organization_id")) is not None:
        matching = [pk for pk in Organisation.objects.values_list("pk", flat=True)
                    if derived_id("organisation", pk) == organisation]  # fmt: skip
        services = services.filter(organisation_id__in=matching)
    if (youngest := _age(params, "minimum_age")) is not None:
        services = services.filter(minimum_age__gte=youngest)
    if (oldest := _age(params, "maximum_age")) is not None:
        services = services.filter(maximum_age__lte=oldest)
    if (start := _time(params, "start_time")) is not None:
        services = services.filter(opens_at__gte=start)
    if (end := _time(params, "end_time")) is not None:
        services = services.filter(closes_at__lte=end)
    if (day := params.get("day")) is not None:
        code = day.upper() if day.upper() in Weekday.values else DAY_NAMES.get(day.lower())
        if code is None:
            raise BadParameter("day", "Give a day as MO, TU, WE, TH, FR, SA or SU, or its name, like Monday.")
        services = services.filter(days__contains=[code])
    if (postcode := params.get("postcode")) is not None:
        district = selectors.place_district(postcode)
        if district is None:
            raise BadParameter("postcode", "Give a UK postcode or the first part of one, like WV10 6QR or WV10.")
        services = services.filter(locations__postcode_district=district).distinct()
    if (after := params.get("modified_after")) is not None:
        try:
            moment = datetime.fromisoformat(after.replace("Z", "+00:00"))
        except ValueError:
            raise BadParameter("modified_after", "Give a date and time, like 2026-04-01T09:00:00Z.") from None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        services = services.filter(updated_at__gte=moment)
    return services.select_related("organisation").order_by("name", "id")


# --- Views -------------------------------------------------------------------------------------------------


@require_safe
def api_information(request):
    """GET /openreferral/: what this feed is."""
    if request.GET:
        name = next(iter(request.GET))
        return _error(400, "unknown_parameter", "Not a parameter of this request (check its spelling).", name)
    return _json({"version": VERSION, "profile": PROFILE_URL, "openapi_url": OPENAPI_URL})


@require_safe
def service_list(request):
    """GET /openreferral/services: one page of services, in the standard's wrapper."""
    try:
        services = services_filtered(request.GET)
        per_page = _whole(request.GET, "per_page", 1, MAX_PER_PAGE) or PER_PAGE
        number = _whole(request.GET, "page", 1, 1_000_000) or 1
    except BadParameter as bad:
        return _error(400, bad.code, bad.detail, bad.name)
    total = services.count()
    page = list(services[(number - 1) * per_page : number * per_page])
    pages = math.ceil(total / per_page)
    return _json({
        "total_items": total, "total_pages": pages, "page_number": number, "size": len(page),
        "first_page": number == 1, "last_page": number >= pages, "empty": not page,
        "contents": [service_summary(service) for service in page],
    })  # fmt: skip


@require_safe
def service_detail(request, id):
    """GET /openreferral/services/{id}: one service, fully nested."""
    if request.GET:
        name = next(iter(request.GET))
        return _error(400, "unknown_parameter", "Not a parameter of this request (check its spelling).", name)
    service = selectors.service_get(pk=id)
    if service is None:
        return _error(404, "not_found", "No service has this id.")
    return _json(service_full(service))
