"""Who may see which residents, and what each role may do: the two rules every page, endpoint, task and
report goes through.

**Residents.** An organisation sees the residents it registered, and another organisation's resident
only while something links them: an open loan, an active referral... Apps register those links in
inclusion/registry.py (in their AppConfig.ready); the rule below is built from them. The links count only
while the organisation has a current data-sharing agreement (sharing_agreement_current): without one it
reaches no other organisation's resident, whatever links it.

**Roles.** What a membership's role may do is the table ROLE_CAPABILITIES below, checked by
`membership_can` (and, on the staff web, by inclusion.web.staff_view).
"""

import enum
import functools
import operator
from collections.abc import Sequence

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from . import registry
from .choices import Role
from .models import DataSharingAgreement, Membership, Organisation, Resident


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
MFA_REQUIRED_ROLES = frozenset({Role.COORDINATOR, Role.ADMINISTRATOR})  # sign in with two steps (inclusion.security)


def membership_can(membership: Membership | None, capability: Capability) -> bool:
    """Whether an active membership's role includes `capability` (ROLE_CAPABILITIES)."""
    return bool(membership and membership.active and capability in ROLE_CAPABILITIES.get(membership.role, ()))


def membership_capabilities(membership: Membership | None) -> frozenset[Capability]:
    if not (membership and membership.active):
        return frozenset()
    return ROLE_CAPABILITIES.get(membership.role, frozenset())


def sharing_agreement_current(organisation: Organisation) -> QuerySet[DataSharingAgreement]:
    """The organisation's data-sharing agreements in force today (starts_on <= today <= ends_on): the
    condition of the rule's link part, in both its forms (residents_visible_q and VisibleResidents), so every
    page, endpoint, task and service re-check gets it. Read in the same statement as the rest of the rule."""
    today = timezone.localdate()
    return DataSharingAgreement.objects.filter(organisation=organisation, starts_on__lte=today, ends_on__gte=today)


def residents_visible_q(organisation: Organisation, through: str = "") -> Q:
    """The condition on Resident that says what `organisation` may see (on a model pointing to a resident,
    with `through` its field: "resident"). Best for one resident or a few (a pk lookup); for searches and
    lists use VisibleResidents, which stays on the indexes."""
    prefix = f"{through}__" if through else ""
    condition = Q(**{f"{prefix}owning_organisation": organisation})
    links = Q()
    for provider in registry.resident_links().values():
        links |= _link_q(provider(organisation), through)
    if links:  # a link counts only under a current data-sharing agreement
        condition |= links & Q(Exists(sharing_agreement_current(organisation)))
    return condition


def _link_q(linked, through: str) -> Q:
    """The rows whose resident is in `linked` (a provider's one-column query of resident ids). A correlated
    EXISTS on that column: PostgreSQL probes the link's index for the rows at hand (a service's re-check, a page
    of the referral inbox) or hashes the whole link when it checks many, whichever costs less; an IN (...)
    always built the whole link first (1,899 residents for a large council, to check one)."""
    columns = getattr(getattr(linked, "query", None), "values_select", ())
    if isinstance(linked, QuerySet) and len(columns) == 1:
        return Q(Exists(linked.filter(**{columns[0]: OuterRef(through or "pk")})))
    return Q(**{f"{through}__pk__in" if through else "pk__in": linked})


RESIDENT_ORDER = ("last_name", "first_name", "id")
LINKED_CTE = "visible_linked"
LINKED_IDS_CTE = "visible_linked_others"


class VisibleResidents:
    """The access rule for lists and searches, in parts: the organisation's own residents, and those a
    registered link (an open loan, a referral) shares with it, less its own. The parts never overlap, so each
    is filtered, ordered, limited and counted on its own indexes, then the few rows left are combined: never
    the whole rule built first (150,000 ids for a large council) and filtered afterwards.

    `refine(queryset)` (a FilterSet's filter_queryset) is applied to each part; a search is given apart
    (`search`, see page()), so that the own part can read it from indexes alone. The linked ids come
    from a MATERIALIZED CTE, read once, so the planner cannot walk every resident in name order looking for
    the few that are linked (the plan issue 12 found behind the staff search's LIMIT 50).
    """

    def __init__(self, organisation: Organisation):
        self.organisation = organisation

    def own(self) -> QuerySet[Resident]:
        return Resident.objects.filter(owning_organisation=self.organisation).order_by()

    def linked(self) -> QuerySet[Resident]:
        """Residents of other organisations linked to this one; only inside this class's SQL (the CTEs)."""
        ids = RawSQL(f"SELECT id FROM {LINKED_IDS_CTE}", ())  # noqa: S611 (a constant)
        return Resident.objects.filter(pk__in=ids).order_by()

    def _links_sql(self) -> tuple[str, list]:
        parts, params = [], []
        for provider in registry.resident_links().values():
            try:
                sql, part_params = provider(self.organisation).order_by().query.sql_with_params()
            except EmptyResultSet:
                continue
            parts.append(sql)
            params.extend(part_params)
        links = " UNION ".join(parts) if parts else "SELECT NULL::uuid WHERE false"
        # Which linked residents are another organisation's, from the resident_id_owner index alone: most of a
        # partner's loans are to its own residents, and reading each one's row to find out cost a random page
        # read per open loan (9,000 for the largest partner).
        table = Resident._meta.db_table
        # A link counts only under a current data-sharing agreement (sharing_agreement_current).
        agreement_sql, agreement_params = (
            sharing_agreement_current(self.organisation).values("pk").query.sql_with_params()
        )
        others = (
            f", {LINKED_IDS_CTE} AS MATERIALIZED (SELECT id FROM {table} WHERE id IN "
            f"(SELECT resident_id FROM {LINKED_CTE}) AND owning_organisation_id <> %s AND EXISTS ({agreement_sql})) "
        )
        return (
            f"WITH {LINKED_CTE}(resident_id) AS MATERIALIZED ({links}) " + others,
            [*params, self.organisation.pk, *agreement_params],
        )

    def _compiled(self, queryset) -> tuple[str, tuple] | None:
        """A part's SQL, or None when it can match nothing (a search too short to run)."""
        try:
            return queryset.query.sql_with_params()
        except EmptyResultSet:
            return None

    def _search_rows(self, refine, search: Sequence[Q]):
        """The own part of a search: the UNION of its alternatives (selectors.resident_search_alternatives), each
        read from its covering (organisation, key) index alone (INCLUDE the order's columns), refined."""
        parts = [self.own().filter(alternative) for alternative in search]
        parts = [(refine(part) if refine else part).values_list(*RESIDENT_ORDER) for part in parts]
        return self._compiled(parts[0].union(*parts[1:]))

    def _run(self, refine, *, offset: int, limit: int, cap: int | None, search: Sequence[Q] | None):
        """(total or None, ids of the page) in one statement. The linked part is worked out once (a CTE of its
        rows, refined), then counted and paged; the own part is paged on its index and counted up to cap + 1,
        or for a search read whole from the search's covering indexes, then counted and sorted (see page())."""
        if search is not None and not search:
            return (0 if cap is not None else None), []
        own = refine(self.own()) if refine else self.own()
        linked = refine(self.linked()) if refine else self.linked()
        if search is not None:
            linked = linked.filter(functools.reduce(operator.or_, search))
        own_page = (
            self._compiled(own.order_by(*RESIDENT_ORDER).values_list(*RESIDENT_ORDER)[: offset + limit])
            if search is None
            else None
        )
        own_count = self._compiled(own.values("pk")[: (cap or 0) + 1]) if search is None else None
        own_rows = self._search_rows(refine, search) if search is not None else None
        linked_rows = self._compiled(linked.values_list(*RESIDENT_ORDER))
        with_sql, params = self._links_sql()
        columns = ", ".join(RESIDENT_ORDER)
        ctes, pages, counts = [with_sql], [], []
        page_params, count_params = [], []
        # A search's own matches (bounded by its prefix) are read once from the indexes, then counted and sorted.
        for name, rows in (("own_rows", own_rows), ("linked_rows", linked_rows)):
            if rows:
                ctes.append(f", {name} AS MATERIALIZED ({rows[0]}) ")
                params.extend(rows[1])
                pages.append(f"(SELECT {columns} FROM {name} ORDER BY {columns} LIMIT %s)")
                page_params.append(offset + limit)
                counts.append(f"(SELECT count(*) FROM {name})")
        if own_page:  # none for a page of 0 rows (count()) or a search
            pages.insert(0, f"({own_page[0]})")
            page_params[:0] = own_page[1]
        if own_count:
            counts.insert(0, f"(SELECT count(*) FROM ({own_count[0]}) own_part)")
            count_params.extend(own_count[1])
        if not counts:
            return (0 if cap is not None else None), []
        page_sql = (
            f"SELECT id FROM ({' UNION ALL '.join(pages)}) page ORDER BY {columns} LIMIT %s OFFSET %s"
            if pages
            else "SELECT NULL::uuid AS id WHERE %s IS NULL AND %s IS NULL"  # takes the same two parameters
        )
        if cap is None:
            sql, all_params = "".join(ctes) + page_sql, [*params, *page_params, limit, offset]
        else:
            sql = (
                "".join(ctes)
                + f"SELECT page.id, total.n FROM (SELECT {' + '.join(counts)}) AS total(n) LEFT JOIN ({page_sql}) page ON true"
            )
            all_params = [*params, *count_params, *page_params, limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, all_params)
            rows = cursor.fetchall()
        if cap is None:
            return None, [row[0] for row in rows]
        return rows[0][1], [row[0] for row in rows if row[0] is not None]

    @staticmethod
    def _residents(ids) -> list[Resident]:
        return list(Resident.objects.filter(pk__in=ids).select_related("owning_organisation").order_by(*RESIDENT_ORDER))

    def count_and_page(
        self, refine=None, *, cap: int, offset: int = 0, limit: int = 50, search: Sequence[Q] | None = None
    ) -> tuple[int, bool, list[Resident]]:
        """(how many, exact, the page): how many exact up to `cap`, else (cap, False); the page as page() gives
        it. Two queries: the count and the page's ids in one statement, then the page's rows."""
        total, ids = self._run(refine, offset=offset, limit=limit, cap=cap, search=search)
        exact = total <= cap
        return (total if exact else cap), exact, self._residents(ids)

    def count(self, refine=None, *, cap: int, search: Sequence[Q] | None = None) -> tuple[int, bool]:
        total, exact, _ = self.count_and_page(refine, cap=cap, limit=0, search=search)
        return total, exact

    def page(
        self, refine=None, *, offset: int = 0, limit: int = 50, search: Sequence[Q] | None = None
    ) -> list[Resident]:
        """Residents offset to offset + limit in name order (RESIDENT_ORDER), with their organisation: each
        part gives its first offset + limit, and only those are merged.

        Unfiltered, the organisation's own part walks the (organisation, last name, first name) index and stops
        after offset + limit. A `search` (selectors.resident_search_alternatives: conditions whose OR is the
        search, each served by one index) is not walked along that index, which would read every name before
        the ones that match (102,000 rows to find 50 Smiths in a large council): each alternative's matches
        come from its covering (organisation, key) index, which holds the order's columns too, so they are
        merged, counted and sorted without reading the table. [] matches nothing."""
        _, ids = self._run(refine, offset=offset, limit=limit, cap=None, search=search)
        return self._residents(ids)

    def contains(self, pk) -> bool:
        return Resident.objects.filter(residents_visible_q(self.organisation), pk=pk).exists()


def residents_visible_to(organisation: Organisation, matching: Q | None = None) -> QuerySet[Resident]:
    """The residents `organisation` may see (and that match `matching`, when given), as one queryset to
    filter further by id (`.filter(pk__in=ids)`, `.filter(pk=...)`): the condition of residents_visible_q,
    which PostgreSQL answers from the primary key. For lists and searches use VisibleResidents, which
    filters, orders, limits and counts inside each part of the rule."""
    return Resident.objects.filter(residents_visible_q(organisation), matching or Q())


NO_SUCH_RESIDENT = "No such resident"


def resident_get_visible(organisation: Organisation, pk) -> Resident:
    """The resident if `organisation` may see them, else Http404 (never 403: we do not confirm existence)."""
    try:
        return (
            Resident.objects.filter(residents_visible_q(organisation)).select_related("owning_organisation").get(pk=pk)
        )
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
