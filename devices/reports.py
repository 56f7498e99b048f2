"""The devices app's part of the monthly impact report: devices (loans and stock) and connectivity (vouchers).

Registered with the core's report (inclusion/registry.py) when the reports app starts, which imports each
app's `reports.py`. Each figure is defined once here, in words the report shows beside it; each section is a
few aggregate queries (FILTER per figure), never a loop over rows.
"""

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from inclusion import registry
from inclusion.reports.definitions import Metric, Reads, ReportContext, Table

from .models import Device, DeviceEvent, DeviceStatus, Loan, LoanOutcome
from .vouchers.models import Voucher, VoucherBatch, VoucherKind, VoucherStatus

DEVICE_METRICS = (
    Metric("devices_lent", "Devices lent", "Loans that started in the period.", headline=True),
    Metric("devices_returned", "Devices returned", "Loans closed in the period with the device back."),
    Metric("devices_gifted", "Devices gifted", "Loans closed in the period by giving the device to the resident."),
    Metric("devices_lost", "Devices lost or stolen", "Loans closed in the period as lost or stolen."),
    Metric("devices_on_loan", "On loan at the end of the period",
           "Loans that had started and were not closed at the end of the period (or now, for a period not over)."),
    Metric("devices_overdue", "Overdue at the end of the period",
           "Of those on loan at the end of the period, the ones whose due date had passed."),
    Metric("average_loan_days", "Average loan length (days)",
           "The mean number of days from start to return of loans closed in the period.", unit="days",
           basis="loans_closed"),
    Metric("loans_closed", "Loans closed", "Loans closed in the period, however they ended."),
)  # fmt: skip

DEVICE_TABLES = (
    Table("devices_by_status", "Devices by status at the end of the period",
          "Every device the scope's organisations held at the end of the period, by its status then (from its "
          "history).", choices=DeviceStatus),
)  # fmt: skip

VOUCHER_METRICS = (
    Metric("vouchers_issued", "Vouchers issued", "Data vouchers, SIMs and Wi-Fi codes given to residents in the "
           "period.", headline=True),
    Metric("vouchers_activated", "Vouchers activated", "Vouchers recorded as activated in the period."),
    Metric("vouchers_failed", "Vouchers that did not work", "Vouchers recorded as not working in the period."),
    Metric("vouchers_expired_unused", "Vouchers expired unused",
           "Vouchers never issued whose batch expired, recorded in the period."),
    Metric("data_gb_supplied", "Data supplied (GB)",
           "The data allowance of every voucher issued in the period, added up (where the batch states one).",
           unit="GB", basis="vouchers_issued"),
)  # fmt: skip

VOUCHER_TABLES = (
    Table("vouchers_by_kind", "Vouchers issued by kind", "Vouchers issued in the period, by kind.",
          choices=VoucherKind),
)  # fmt: skip


def devices_compute(ctx: ReportContext) -> dict:
    # Only loans that touch the period (lent in it, closed since it began, or still open): on the indexes of
    # started_on, closed_at and open loans, so a month reads that month's loans, not every loan ever made.
    touching = ctx.during_dates("started_on") | Q(closed_at__gte=ctx.start_at) | Q(closed_at__isnull=True)
    loans = Loan.objects.filter(
        touching, ctx.scoped(organisations=("organisation",), resident="resident", resident_always=True)
    )
    closed = ctx.during("closed_at")
    open_at_end = Q(started_on__lte=ctx.as_of_date) & (Q(closed_at__isnull=True) | Q(closed_at__gte=ctx.as_of))
    length = ExpressionWrapper(
        Coalesce("returned_on", TruncDate("closed_at", tzinfo=timezone.get_current_timezone())) - F("started_on"),
        output_field=DurationField(),
    )
    figures = loans.aggregate(
        devices_lent=Count("pk", filter=ctx.during_dates("started_on")),
        devices_returned=Count("pk", filter=closed & Q(outcome=LoanOutcome.RETURNED)),
        devices_gifted=Count("pk", filter=closed & Q(outcome=LoanOutcome.GIFTED)),
        devices_lost=Count("pk", filter=closed & Q(outcome=LoanOutcome.LOST)),
        loans_closed=Count("pk", filter=closed),
        devices_on_loan=Count("pk", filter=open_at_end),
        devices_overdue=Count("pk", filter=open_at_end & Q(due_on__lt=ctx.as_of_date)),
        average_loan_length=Avg(length, filter=closed),
    )
    average = figures.pop("average_loan_length")
    figures["average_loan_days"] = round(average.total_seconds() / 86400, 1) if average is not None else None
    if not ctx.detail:
        return {"metrics": figures}

    # Each device's status at the end of the period: its last move before then, else (if it only moved
    # later) where its first later move started from, else its status now.
    before = DeviceEvent.objects.filter(device=OuterRef("pk"), occurred_at__lt=ctx.as_of).exclude(to_status="")
    after = DeviceEvent.objects.filter(device=OuterRef("pk"), occurred_at__gte=ctx.as_of).exclude(from_status="")
    status_then = Coalesce(
        Subquery(before.order_by("-occurred_at", "-id").values("to_status")[:1]),
        Subquery(after.order_by("occurred_at", "id").values("from_status")[:1]),
        F("status"),
    )
    by_status = (
        Device.objects.filter(ctx.scoped(organisations=("owning_organisation",)), created_at__lt=ctx.as_of)
        .annotate(status_then=status_then)
        .values_list("status_then")
        .annotate(n=Count("pk"))
        .values_list("status_then", "n")
    )
    return {"metrics": figures, "tables": {"devices_by_status": dict(by_status)}}


def vouchers_compute(ctx: ReportContext) -> dict:
    touching = ctx.during("issued_at") | ctx.during("activated_at") | ctx.during("failed_at") | ctx.during("expired_at")
    vouchers = Voucher.objects.filter(touching, ctx.scoped(organisations=("batch__organisation",), resident="resident"))
    issued = ctx.during("issued_at")
    figures = vouchers.aggregate(
        vouchers_issued=Count("pk", filter=issued),
        vouchers_activated=Count("pk", filter=ctx.during("activated_at")),
        vouchers_failed=Count("pk", filter=ctx.during("failed_at")),
        vouchers_expired_unused=Count("pk", filter=ctx.during("expired_at") & Q(status=VoucherStatus.EXPIRED)),
        data_gb_supplied=Sum("batch__data_allowance_gb", filter=issued),
    )
    figures["data_gb_supplied"] = float(figures["data_gb_supplied"] or 0)
    if not ctx.detail:
        return {"metrics": figures}
    by_kind = vouchers.filter(issued).values_list("batch__kind").annotate(n=Count("pk")).values_list("batch__kind", "n")
    return {"metrics": figures, "tables": {"vouchers_by_kind": dict(by_kind)}}


def supported(ctx: ReportContext) -> list:
    """Residents lent a device (on the loan's first day) or issued a voucher (on the day), in ctx's period."""
    tz = timezone.get_current_timezone()
    loans = (
        Loan.objects.filter(ctx.during_dates("started_on"))
        .annotate(r=F("resident_id"), at=F("started_on"), o=F("organisation_id"))
        .values_list("r", "at", "o")
    )
    vouchers = (
        Voucher.objects.filter(ctx.during("issued_at"), resident__isnull=False)
        .annotate(r=F("resident_id"), at=TruncDate("issued_at", tzinfo=tz), o=F("batch__organisation_id"))
        .values_list("r", "at", "o")
    )
    return [loans.order_by(), vouchers.order_by()]


def _by_month(queryset, field):
    tz = timezone.get_current_timezone()
    month = TruncMonth(field, tzinfo=tz) if field.endswith("_at") else TruncMonth(field)
    rows = queryset.annotate(month=month).values_list("month").annotate(n=Count("pk")).values_list("month", "n")
    return {(m.date() if hasattr(m, "hour") else m): n for m, n in rows}


def devices_trend(ctx: ReportContext) -> dict:
    loans = Loan.objects.filter(
        ctx.during_dates("started_on"),
        ctx.scoped(organisations=("organisation",), resident="resident", resident_always=True),
    )
    return {"devices_lent": _by_month(loans.order_by(), "started_on")}


def vouchers_trend(ctx: ReportContext) -> dict:
    vouchers = Voucher.objects.filter(
        ctx.during("issued_at"), ctx.scoped(organisations=("batch__organisation",), resident="resident")
    )
    return {"vouchers_issued": _by_month(vouchers.order_by(), "issued_at")}


registry.register_report_section(registry.ReportSection(
    key="devices", title="Devices", order=20, compute=devices_compute, metrics=DEVICE_METRICS,
    tables=DEVICE_TABLES, supported=supported, trend=devices_trend,
    code_lists={"Device statuses": DeviceStatus, "Loan outcomes": LoanOutcome},
    # A device's status column is read only for a device with no history, and every device gets its first
    # history entry when it is added: its status at a past date comes from DeviceEvent.
    reads=(Reads(Loan, dates=("started_on", "due_on", "closed_at", "returned_on"),
                 attributes=("organisation", "resident"), with_dates=("outcome",)),
           Reads(Device, dates=("created_at",), attributes=("owning_organisation",), not_followed=("status",)),
           Reads(DeviceEvent, dates=("occurred_at",), attributes=("device", "from_status", "to_status"))),
))  # fmt: skip
registry.register_report_section(registry.ReportSection(
    key="connectivity", title="Connectivity", order=30, compute=vouchers_compute, metrics=VOUCHER_METRICS,
    tables=VOUCHER_TABLES, trend=vouchers_trend, code_lists={"Voucher kinds": VoucherKind},
    reads=(Reads(Voucher, dates=("issued_at", "activated_at", "failed_at", "expired_at"),
                 attributes=("resident", "batch"), with_dates=("status",)),
           Reads(VoucherBatch, attributes=("organisation", "kind", "data_allowance_gb"))),
))  # fmt: skip
