"""Reads of the service directory. Services hold no personal data, so the whole scheme's directory is open to
every partner (and, as Open Referral UK, to anyone); only changing a service is scoped to its organisation."""

import re
import uuid

from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from inclusion.models import Organisation
from inclusion.validators import postcode_normalise

from .models import Service, ServiceLocation, ServiceStatus

_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
# Shown to frontline staff searching the directory: running now or for a short while closed.
LISTED_STATUSES = (ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED)


def place_district(text: str) -> str | None:
    """The postcode district a place search means: 'wv10 6qr' or 'WV10' → 'WV10'; None if it is neither a
    postcode nor a district (a town's name is not understood)."""
    compact = "".join((text or "").split()).upper()
    if not compact:
        return None
    try:
        return postcode_normalise(compact).split(" ")[0]
    except Exception:  # noqa: BLE001 (a ValidationError: not a whole postcode)
        pass
    return compact if _OUTWARD.match(compact) else None


def _with_places(services: QuerySet) -> QuerySet:
    return services.select_related("organisation").prefetch_related(
        Prefetch("locations", queryset=ServiceLocation.objects.order_by("name", "postcode", "id"))
    )


def service_search(
    *, q: str = "", skill_area: str = "", kind: str = "", place: str = "", delivery: str = "", day: str = "",
    referrals_open: bool | None = None, organisation: Organisation | None = None, listed_only: bool = True,
) -> QuerySet[Service]:  # fmt: skip
    """The scheme's directory, filtered: words in the name or description, a skill area, a kind, a postcode
    district (any place the service runs), a delivery (blended counts as both in person and online) and a day.
    `listed_only`: only services running now or temporarily closed, within their active dates."""
    services = Service.objects.all()
    if listed_only:
        today = timezone.localdate()
        services = services.filter(status__in=LISTED_STATUSES).filter(
            Q(active_until__isnull=True) | Q(active_until__gte=today)
        )
    for word in (q or "").split()[:10]:
        services = services.filter(Q(name__icontains=word) | Q(description__icontains=word))
    if skill_area:
        services = services.filter(skill_areas__contains=[skill_area])
    if kind:
        services = services.filter(kind=kind)
    if delivery:
        services = services.filter(delivery__in=[delivery, "blended"] if delivery != "blended" else [delivery])
    if day:
        services = services.filter(days__contains=[day])
    if place:
        district = place_district(place) or place
        services = services.filter(
            Exists(ServiceLocation.objects.filter(service=OuterRef("pk"), postcode_district=district))
        )
    if referrals_open is not None:
        services = services.filter(referrals_open=referrals_open)
    if organisation is not None:
        services = services.filter(organisation=organisation)
    return _with_places(services).order_by("name", "id")


def service_list_own(*, organisation: Organisation) -> QuerySet[Service]:
    """The organisation's own services, every status, retired last."""
    retired_last = Case(When(status=ServiceStatus.DEFUNCT, then=Value(1)), default=Value(0))
    return _with_places(Service.objects.filter(organisation=organisation)).order_by(retired_last, "name", "id")


def service_get(*, pk) -> Service | None:
    """Any service in the directory (they are public), with its organisation and places; None if no such id."""
    try:
        pk = uuid.UUID(str(pk))
    except (ValueError, TypeError, AttributeError):
        return None
    return _with_places(Service.objects.filter(pk=pk)).first()


def service_get_own(*, organisation: Organisation, pk) -> Service | None:
    """One of the organisation's own services, to change; None for another organisation's or no such id."""
    service = service_get(pk=pk)
    return service if service is not None and service.organisation_id == organisation.pk else None


def location_get_own(*, organisation: Organisation, service: Service, pk) -> ServiceLocation | None:
    if service.organisation_id != organisation.pk:
        return None
    try:
        pk = uuid.UUID(str(pk))
    except (ValueError, TypeError, AttributeError):
        return None
    return ServiceLocation.objects.select_related("service").filter(service=service, pk=pk).first()


def service_counts_own(*, organisation: Organisation) -> dict[str, int]:
    services = Service.objects.filter(organisation=organisation)
    return {
        "listed": services.filter(status__in=LISTED_STATUSES).count(),
        "open_to_referrals": services.filter(status=ServiceStatus.ACTIVE, referrals_open=True).count(),
    }
