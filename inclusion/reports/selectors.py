"""Reads for the report pages: which scopes a member of staff may choose, and the figures they may see.

Who sees what (README, "Monthly impact reports"): anyone with the see-reports capability sees their own
organisation's figures in full, for any month or range of days; the whole scheme's and each local authority's
with small numbers suppressed, by month; the scheme lead's staff also any other organisation's, suppressed.
Nobody's report lists a person.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import Q
from django.http import Http404

from ..choices import LocalAuthority
from ..models import Membership, Organisation
from .build import compute_raw, report_build
from .definitions import ReportContext, add_months, month_start
from .models import ReportSnapshot

OWN = "own"
SCHEME = "scheme"


def report_scopes(membership: Membership) -> list[tuple[str, str]]:
    return organisation_scopes(membership.organisation)


def organisation_scopes(own: Organisation) -> list[tuple[str, str]]:
    """The scopes anyone of `own` may choose (on the page, or with the organisation's API key)."""
    scopes = [(OWN, f"{own.name} (your organisation)"), (SCHEME, "The whole scheme")]
    scopes += [(f"la:{value}", f"{label} (local authority)") for value, label in LocalAuthority.choices]
    if own.is_scheme_lead:
        others = Organisation.objects.filter(active=True).exclude(pk=own.pk).order_by("name")
        scopes += [(f"org:{organisation.slug}", organisation.name) for organisation in others]
    return scopes


def scope_resolve(membership: Membership, scope: str) -> tuple[Organisation | None, str]:
    """(organisation, local authority) that `scope` names, if this member may choose it; else Http404."""
    if scope not in dict(report_scopes(membership)):
        raise Http404("No such report")
    if scope == OWN:
        return membership.organisation, ""
    if scope.startswith("la:"):
        return None, scope.removeprefix("la:")
    if scope.startswith("org:"):
        return Organisation.objects.get(slug=scope.removeprefix("org:")), ""
    return None, ""


def api_scope(own: Organisation, organisation: str | None, local_authority: str | None):
    """(organisation, local authority) a partner's API key asks for, by the page's rule (organisation_scopes):
    neither is the whole scheme. Another organisation's slug it may not choose is Http404, exactly as a slug
    that does not exist: the answer never confirms that an organisation exists."""
    if organisation:
        scope = OWN if organisation == own.slug else f"org:{organisation}"
    elif local_authority:
        scope = f"la:{local_authority}"
    else:
        scope = SCHEME
    if scope not in dict(organisation_scopes(own)):
        raise Http404
    if scope == OWN:
        return own, ""
    if scope.startswith("org:"):
        return Organisation.objects.get(slug=organisation, active=True), ""
    return None, local_authority or ""


def report_for(membership: Membership, scope: str, start: dt.date, end: dt.date) -> dict:
    organisation, local_authority = scope_resolve(membership, scope)
    return report_build(
        start=start, end=end, organisation=organisation, local_authority=local_authority,
        viewer=membership.organisation,
    )  # fmt: skip


HEADLINE_KEYS = ("residents_supported", "devices_lent", "vouchers_issued", "referrals_sent")
HEADLINE_LABELS = {
    "residents_supported": "residents supported",
    "devices_lent": "devices lent",
    "vouchers_issued": "data vouchers issued",
    "referrals_sent": "referrals sent",
}


def organisation_headlines(organisation: Organisation, today: dt.date | None = None) -> dict:
    """Last month's headline figures for the organisation's own home page (its own, so not suppressed), kept
    in the cache for ten minutes: a few aggregate queries, not on every visit."""
    from django.utils import timezone

    first = add_months(month_start(today or timezone.localdate()), -1)
    key = f"report-headlines:{organisation.pk}:{first:%Y-%m}"
    found = cache.get(key)
    if found is None:
        metrics = compute_raw(ReportContext(first, add_months(first, 1), organisation.pk, detail=False))["metrics"]
        found = {
            "month": first,
            "figures": [(HEADLINE_LABELS[k], metrics.get(k) or 0) for k in HEADLINE_KEYS],
        }
        cache.set(key, found, 600)
    return found


def snapshots_visible_to(organisation: Organisation):
    """Issued reports a member of `organisation` may read: its own, and the whole scheme's."""
    return (
        ReportSnapshot.objects.filter(Q(organisation=organisation) | Q(organisation__isnull=True))
        .select_related("organisation", "issued_by")
        .defer("pdf", "xlsx", "figures")
    )


def snapshot_get_visible(organisation: Organisation, pk) -> ReportSnapshot:
    try:
        return snapshots_visible_to(organisation).defer(None).get(pk=pk)
    except ReportSnapshot.DoesNotExist:
        raise Http404("No such report") from None


def snapshot_changes(report: dict, organisation: Organisation | None) -> tuple[ReportSnapshot | None, list[str]]:
    """The latest issued version of the same month and scope as `report`, and the figures that differ now
    (late corrections): only figures both show as numbers are compared."""
    header = report["header"]
    start, end = dt.date.fromisoformat(header["period"]["start"]), dt.date.fromisoformat(header["period"]["end"])
    if (
        start.day != 1
        or add_months(start, 1) - dt.timedelta(days=1) != end
        or header["scope"]["kind"] == "local_authority"
    ):
        return None, []
    issued = (
        ReportSnapshot.objects.filter(organisation=organisation, period_start=start, period_end=end)
        .order_by("-version").only("pk", "version", "issued_at", "figures", "organisation").first()
    )  # fmt: skip
    if issued is None:
        return None, []
    then = {m["key"]: m for s in issued.figures["sections"] for m in s["metrics"]}
    changed = [
        metric["label"]
        for section in report["sections"]
        for metric in section["metrics"]
        if metric["key"] in then and metric["value"] is not None and then[metric["key"]]["value"] is not None
        and metric["value"] != then[metric["key"]]["value"]
    ]  # fmt: skip
    return issued, changed
