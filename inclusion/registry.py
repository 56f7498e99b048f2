"""How apps plug into the core. The core never imports an app: each app registers what it adds here, in its
AppConfig.ready(), and the core reads the registrations.

What an app can register:

- a **resident link**: residents an organisation may see because the app links them (an open loan, an open
  referral). inclusion/access.py builds the one access rule from these.
- a **resident section**: its part of the resident page (devices, vouchers, referrals...), in order.
- a **referral panel**: its part of a referral's page (devices: the waiting list, for a referral asking for a
  device), so the referrals app offers another app's next step without importing it.
- **API routes**: its viewsets on the partner API's one router (/api/v1/).
- **timeline event kinds**: the kinds of case timeline entry it writes, with their labels. CaseEvent.kind
  has no database choices, so an app adds a kind without a migration of the core.
- **resident data**: what it holds about a resident, for subject access (export) and erasure (anonymise).
- **demo data**: what `manage.py load_demo` adds for it, after the core's partners, staff and residents.
- a **region builder**: its part of the region-scale dataset (`manage.py build_region`, for bench/).
- **report sections**: its part of the monthly impact report (inclusion/reports/): the figures it defines,
  how the database computes them for a period and scope, the residents it supported, the code lists used.
  Registered from the app's `reports.py`, which the reports app imports at start-up as the admin does
  `admin.py` (so adding a section edits nothing but that module).

    # devices/apps.py
    def ready(self):
        from inclusion import registry
        registry.register_resident_link("open loans", loans.selectors.resident_ids_with_open_loans)
        registry.register_resident_section(ResidentSection(key="devices", order=20, ...))
        registry.register_api_routes(devices.api.urls.register)
        registry.register_event_kinds(LoanEventKind)
        registry.register_resident_data(ResidentData(name="loans", export=..., erase=...))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

    from .actors import Actor
    from .models import Organisation, Resident


# Resident links (the access rule's parts)

LinkProvider = Callable[["Organisation"], "QuerySet"]
_resident_links: dict[str, LinkProvider] = {}


def register_resident_link(name: str, provider: LinkProvider) -> None:
    """Let residents linked to an organisation by `name` (e.g. "open loans") be seen by it.

    `provider(organisation)` returns a query of `resident_id` values (one column), evaluated inside the
    access rule's own query: it must stay on an index (e.g. a partial index on open rows)."""
    _resident_links[name] = provider


def unregister_resident_link(name: str) -> None:
    _resident_links.pop(name, None)


def resident_links() -> dict[str, LinkProvider]:
    return dict(_resident_links)


# Sections of the resident page


@dataclass(frozen=True)
class ResidentSection:
    """One app's part of the resident page.

    `context(request, resident)` returns the template's context, or None to leave the section out (a
    role that may not use it, say). The template is rendered with that context, `resident`, `is_owner`
    and what every page has (`membership`, `can`). Sections render in `order` below the resident's
    details. `actions(request, resident)` gives buttons for the top of the page: [(label, url)].
    """

    key: str
    title: str
    template: str
    context: Callable[[HttpRequest, Resident], dict[str, Any] | None]
    order: int = 50
    actions: Callable[[HttpRequest, Resident], list[tuple[str, str]]] | None = None


_resident_sections: dict[str, ResidentSection] = {}


def register_resident_section(section: ResidentSection) -> None:
    _resident_sections[section.key] = section


def resident_sections() -> list[ResidentSection]:
    return sorted(_resident_sections.values(), key=lambda section: (section.order, section.key))


# Panels on a referral's page


@dataclass(frozen=True)
class ReferralPanel:
    """One app's part of a referral's page (referrals/views.py referral_detail), below its details.

    `context(request, referral)` returns the template's context, or None to leave the panel out (a referral it
    has nothing to do with, a role that may not act). The template gets that context, `referral` and what every
    page has."""

    key: str
    template: str
    context: Callable[[HttpRequest, Any], dict[str, Any] | None]
    order: int = 50


_referral_panels: dict[str, ReferralPanel] = {}


def register_referral_panel(panel: ReferralPanel) -> None:
    _referral_panels[panel.key] = panel


def referral_panels() -> list[ReferralPanel]:
    return sorted(_referral_panels.values(), key=lambda panel: (panel.order, panel.key))


# Partner API routes

_api_route_registrars: list[Callable[[Any], None]] = []


def register_api_routes(registrar: Callable[[Any], None]) -> None:
    """`registrar(router)` registers the app's viewsets on the partner API's router."""
    if registrar not in _api_route_registrars:
        _api_route_registrars.append(registrar)


def api_route_registrars() -> list[Callable[[Any], None]]:
    return list(_api_route_registrars)


# Timeline event kinds

_event_kinds: dict[str, str] = {}


def register_event_kinds(kinds) -> None:
    """Add timeline entry kinds: a TextChoices class, or a mapping of value → label. A value may be
    registered once: two apps writing the same kind would make the timeline ambiguous."""
    pairs = kinds.choices if hasattr(kinds, "choices") else list(dict(kinds).items())
    for value, label in pairs:
        if _event_kinds.get(value, label) != label:
            raise ValueError(f"Timeline event kind {value!r} is already registered as {_event_kinds[value]!r}")
        _event_kinds[value] = str(label)


def event_kind_label(value: str) -> str:
    return _event_kinds.get(value, value.replace("_", " ").capitalize())


def event_kind_choices() -> list[tuple[str, str]]:
    return sorted(_event_kinds.items(), key=lambda item: item[1])


# What each app holds about a resident (subject access and erasure)


@dataclass(frozen=True)
class ResidentData:
    """What one app holds about a resident.

    `export(resident)` returns JSON-ready data for a subject access request (codes and secrets masked);
    `erase(resident, actor)` removes the app's personal data and free text about them while keeping what
    reports need (dates, statuses, outcomes), inside the caller's transaction with the resident locked.
    """

    name: str
    title: str
    export: Callable[[Resident], Any]
    erase: Callable[[Resident, Actor], None] | None = None
    order: int = 50


_resident_data: dict[str, ResidentData] = {}


def register_resident_data(data: ResidentData) -> None:
    _resident_data[data.name] = data


def resident_data_providers() -> list[ResidentData]:
    return sorted(_resident_data.values(), key=lambda data: (data.order, data.name))


# Demo data (manage.py load_demo)

_demo_loaders: list[tuple[int, Callable[[dict], None]]] = []


def register_demo(loader: Callable[[dict], None], *, order: int = 50) -> None:
    """`loader(organisations)` adds the app's demo data for the demo partners (a dict by slug). It runs in the
    command's transaction after the core's, and again on every run: it must top up, never duplicate. Loaders run
    by `order`, then as registered; one that uses another app's demo data runs later (a higher order)."""
    if loader not in [registered for _, registered in _demo_loaders]:
        _demo_loaders.append((order, loader))


def demo_loaders() -> list[Callable[[dict], None]]:
    return [loader for _, loader in sorted(_demo_loaders, key=lambda entry: entry[0])]  # a stable sort


# Region-scale data (manage.py build_region)


@dataclass(frozen=True)
class RegionBuilder:
    """One app's part of the region-scale dataset (inclusion/region.py).

    `build(region)` adds the app's rows with set-based SQL (INSERT ... SELECT generate_series, or COPY;
    never a save per row) through `region.cursor`, using the core's organisations and residents as
    `region` describes them, and returns {table: rows added}. Builders run in `order` (the core's is 0).
    """

    name: str
    build: Callable[[Any], dict[str, int]]
    order: int = 50


_region_builders: dict[str, RegionBuilder] = {}


def register_region_builder(builder: RegionBuilder) -> None:
    _region_builders[builder.name] = builder


def region_builders() -> list[RegionBuilder]:
    return sorted(_region_builders.values(), key=lambda builder: (builder.order, builder.name))


# Sections of the monthly impact report (inclusion/reports/)


@dataclass(frozen=True)
class ReportSection:
    """One app's part of the monthly impact report.

    `metrics` are its headline figures and `tables` its breakdowns (inclusion.reports.definitions.Metric and
    Table: each says once, in words, how it is counted; the page shows that text beside the figure).
    `compute(ctx)` returns `{"metrics": {key: number}, "tables": {key: {code: count}}}` for ctx's period and
    scope (inclusion.reports.definitions.ReportContext), from a few aggregate queries: never a loop over rows.
    `supported(ctx)` gives querysets of `(resident id, date, organisation id)` rows (values_list), one per
    kind of help given in ctx's period: the report counts each resident once across every app's rows.
    With `ctx.detail` False (the period before, for the comparison) only `metrics` are needed.
    `trend(ctx)` gives `{metric key: {first day of month: count}}` for its headline figures over ctx's months.
    `code_lists` names the TextChoices its figures are grouped by; the report's header gives their versions.
    `reads` names every column its statements read (inclusion.reports.definitions.Reads, one per model): a
    change to one of them that reaches back into a closed month makes that month's stored figures be computed
    again (inclusion/reports/rollups.py). A column left out would leave a late correction uncounted.
    """

    key: str
    title: str
    compute: Callable[[Any], dict]
    metrics: tuple = ()
    tables: tuple = ()
    order: int = 50
    supported: Callable[[Any], list] | None = None
    trend: Callable[[Any], dict] | None = None
    code_lists: dict[str, Any] | None = None
    reads: tuple = ()


_report_sections: dict[str, ReportSection] = {}


def register_report_section(section: ReportSection) -> None:
    _report_sections[section.key] = section


def unregister_report_section(key: str) -> None:
    _report_sections.pop(key, None)


def report_sections() -> list[ReportSection]:
    return sorted(_report_sections.values(), key=lambda section: (section.order, section.key))
