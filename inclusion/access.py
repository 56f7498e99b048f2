"""Who may see which residents: the one rule, used by every page, endpoint, task and report.

An organisation sees the residents it registered, and another organisation's resident only while
something links them: an open loan, an active referral... Apps that create such links register a
provider here (in their AppConfig.ready), returning the ids of residents linked to an organisation:

    access.register_resident_link("open loans", lambda organisation: Loan.objects.filter(
        organisation=organisation, returned_at__isnull=True).values("resident_id"))

Roles: a viewer sees reports only, never residents.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from .choices import Role
from .models import Membership, Organisation, Resident

LinkProvider = Callable[[Organisation], QuerySet]
_link_providers: dict[str, LinkProvider] = {}

ROLES_THAT_SEE_RESIDENTS = frozenset({Role.FRONTLINE, Role.COORDINATOR, Role.ADMINISTRATOR})


def register_resident_link(name: str, provider: LinkProvider) -> None:
    """Let residents linked to an organisation by `name` (e.g. "open loans") be seen by it."""
    _link_providers[name] = provider


def unregister_resident_link(name: str) -> None:
    _link_providers.pop(name, None)


def registered_resident_links() -> dict[str, LinkProvider]:
    """The links registered now, by name (a copy)."""
    return dict(_link_providers)


def residents_visible_q(organisation: Organisation) -> Q:
    """The condition on Resident that says what `organisation` may see. Best for one resident (a pk
    lookup); for searches and lists use residents_visible_to, which stays on the indexes."""
    condition = Q(owning_organisation=organisation)
    for provider in _link_providers.values():
        condition |= Q(pk__in=provider(organisation))
    return condition


RESIDENT_ORDER = ("last_name", "first_name", "id")


def residents_visible_to(
    organisation: Organisation, matching: Q | None = None, first: int | None = None
) -> QuerySet[Resident]:
    """The residents `organisation` may see (and that match `matching`, when given).

    Built as own residents UNION each link's residents, each part filtered by `matching` first: so a
    search uses the (organisation, name) indexes for its own residents and the primary key for linked
    ones. An OR of the two would make PostgreSQL read every resident (bench/search.py measures it).
    With `first`, each part keeps only its first N in name order (the caller then orders and slices).
    """
    matching = matching or Q()
    parts = [Resident.objects.filter(matching, owning_organisation=organisation)]
    for provider in _link_providers.values():
        parts.append(Resident.objects.filter(matching, pk__in=provider(organisation)))
    parts = [part.order_by(*RESIDENT_ORDER)[:first] if first else part for part in parts]
    parts = [part.values("pk") for part in parts]
    ids = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return Resident.objects.filter(pk__in=ids)


NO_SUCH_RESIDENT = "No such resident"


def resident_get_visible(organisation: Organisation, pk) -> Resident:
    """The resident if `organisation` may see them, else Http404 (never 403: we do not confirm existence)."""
    try:
        return residents_visible_to(organisation).select_related("owning_organisation").get(pk=pk)
    except (Resident.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404(NO_SUCH_RESIDENT) from None


def resident_check_visible(organisation: Organisation, resident: Resident | object) -> Resident:
    """Lock the resident's row, then check that `organisation` may still see them; the resident as locked.

    Every service that acts on a resident calls this first, inside its transaction: the view or task that
    fetched the resident may have done so before a loan closed or a referral ended. The read comes after
    the lock, so a link that ended while we waited for it is seen. Refused exactly as an unknown resident
    is (Http404, "No such resident"), so the answer never confirms that they exist.

    `resident` is a Resident or its id. Precondition: inside transaction.atomic (select_for_update needs
    one). Lock order: the resident first, before devices, loans and vouchers (see docs/decisions.md).
    """
    pk = getattr(resident, "pk", resident)
    locked = Resident.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if locked is None or not Resident.objects.filter(residents_visible_q(organisation), pk=pk).exists():
        raise Http404(NO_SUCH_RESIDENT)
    return locked


def membership_can_see_residents(membership: Membership | None) -> bool:
    return bool(membership and membership.active and membership.role in ROLES_THAT_SEE_RESIDENTS)


ROLES_THAT_COORDINATE = frozenset({Role.COORDINATOR, Role.ADMINISTRATOR})
ROLES_THAT_MANAGE_STOCK = ROLES_THAT_COORDINATE


def membership_can_manage_stock(membership: Membership | None) -> bool:
    """Coordinators manage stock and loan policy; frontline staff lend and take returns."""
    return bool(membership and membership.active and membership.role in ROLES_THAT_MANAGE_STOCK)


def membership_is_coordinator(membership: Membership | None) -> bool:
    """Coordinators (and administrators) see what concerns the organisation as a whole, such as which other
    partners' checks matched its residents."""
    return bool(membership and membership.active and membership.role in ROLES_THAT_COORDINATE)
