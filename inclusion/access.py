"""Who may see which residents, and what each role may do: the two rules every page, endpoint, task and
report goes through.

**Residents.** An organisation sees the residents it registered, and another organisation's resident
only while something links them: an open loan, an active referral... Apps register those links in
inclusion/registry.py (in their AppConfig.ready); the rule below is built from them.

**Roles.** What a membership's role may do is the table ROLE_CAPABILITIES below, checked by
`membership_can` (and, on the staff web, by inclusion.web.staff_view).
"""

import enum

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from . import registry
from .choices import Role
from .models import Membership, Organisation, Resident


class Capability(enum.StrEnum):
    """What a member of staff may do. A page that needs one says, to anyone without it, who may and what they
    can do instead (CAPABILITY_REFUSALS)."""

    SEE_RESIDENTS = "see_residents"
    LEND = "lend"
    MANAGE_STOCK = "manage_stock"
    MANAGE_REFERRALS = "manage_referrals"
    SEE_REPORTS = "see_reports"
    OVERSEE = "oversee"
    ADMINISTER = "administer"

    @property
    def refusal(self) -> str:
        return CAPABILITY_REFUSALS[self][0]

    @property
    def instead(self) -> str:
        return CAPABILITY_REFUSALS[self][1]


ASK = "If you need something from it, ask your organisation's coordinator."
CAPABILITY_REFUSALS = {
    Capability.SEE_RESIDENTS: ("Your role is for reports only, so you cannot see residents' records.", ASK),
    Capability.LEND: ("Only frontline staff, coordinators and administrators can lend devices and issue vouchers.",
                      ASK),
    Capability.MANAGE_STOCK: (
        "Only coordinators and administrators can manage devices and data vouchers: adding, importing and "
        "exporting stock, recording wipes, changing a device's status, printing labels, giving a device away, "
        "the voucher stock and the loan policy.",
        "Frontline staff lend devices, issue vouchers, extend loans and take devices back. If something needs "
        "changing, ask your organisation's coordinator.",
    ),
    Capability.MANAGE_REFERRALS: (
        "Only coordinators and administrators can manage your organisation's services and answer referrals in bulk.",
        ASK,
    ),
    Capability.SEE_REPORTS: ("Only coordinators, viewers and administrators can see reports.", ASK),
    Capability.OVERSEE: ("Only coordinators and administrators can see this page.", ASK),
    Capability.ADMINISTER: ("Only administrators can see this page.", ASK),
}  # fmt: skip

C = Capability
# The one table of who may do what. A viewer sees reports only, never a resident.
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.FRONTLINE: frozenset({C.SEE_RESIDENTS, C.LEND}),
    Role.COORDINATOR: frozenset(
        {C.SEE_RESIDENTS, C.LEND, C.MANAGE_STOCK, C.MANAGE_REFERRALS, C.SEE_REPORTS, C.OVERSEE}
    ),
    Role.VIEWER: frozenset({C.SEE_REPORTS}),
    Role.ADMINISTRATOR: frozenset(Capability),
}


def membership_can(membership: Membership | None, capability: Capability) -> bool:
    """Whether an active membership's role includes `capability` (ROLE_CAPABILITIES)."""
    return bool(membership and membership.active and capability in ROLE_CAPABILITIES.get(membership.role, ()))


def membership_capabilities(membership: Membership | None) -> frozenset[Capability]:
    if not (membership and membership.active):
        return frozenset()
    return ROLE_CAPABILITIES.get(membership.role, frozenset())


def residents_visible_q(organisation: Organisation, prefix: str = "") -> Q:
    """The condition on Resident that says what `organisation` may see. Best for one resident (a pk
    lookup); for searches and lists use residents_visible_to, which stays on the indexes. With `prefix`
    ("resident__"), the same condition on rows that point at a resident (is each loan's resident visible?)."""
    condition = Q(**{f"{prefix}owning_organisation": organisation})
    for provider in registry.resident_links().values():
        condition |= Q(**{f"{prefix}pk__in": provider(organisation)})
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
    for provider in registry.resident_links().values():
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
    one). Lock order: inclusion/locks.py (the resident before its consents, devices, loans and vouchers).
    """
    from .locks import lock_one

    pk = getattr(resident, "pk", resident)
    try:
        locked = lock_one(Resident, pk)
    except Resident.DoesNotExist:
        raise Http404(NO_SUCH_RESIDENT) from None
    if not Resident.objects.filter(residents_visible_q(organisation), pk=pk).exists():
        raise Http404(NO_SUCH_RESIDENT)
    return locked
