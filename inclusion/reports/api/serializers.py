"""The reports' partner API: its query parameters, and the shape of a report as JSON (the same dict the page,
the downloads and the snapshots are made from: inclusion/reports/build.py). Output serializers document the
shape; the views return the report itself."""

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...choices import LocalAuthority
from ..definitions import month_start
from ..models import ReportSnapshot

MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"  # 2000 to 2099: the schema refuses year 0 and the like
OLDEST_MONTHS = 120  # ten years: older months have nothing to report, and a trend reaching back further


class MonthlyReportQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(
        MONTH_PATTERN, max_length=7,
        help_text="The month, as YYYY-MM: this month (so far) or one of the 120 before it (a later one is a 422, "
        "as is an earlier one).",
    )  # fmt: skip
    organisation = serializers.SlugField(
        required=False, max_length=50,
        help_text="An organisation's slug: your own (its figures in full) or, for the scheme lead's keys, another "
        "(small numbers suppressed). Any other answers 404, as a slug that does not exist does.",
    )  # fmt: skip
    local_authority = serializers.ChoiceField(
        choices=LocalAuthority.choices, required=False,
        help_text="One local authority's figures (small numbers suppressed). Leave out both this and "
        "`organisation` for the whole scheme's (small numbers suppressed).",
    )  # fmt: skip

    def validate_month(self, value: str) -> dt.date:
        year, month = (int(part) for part in value.split("-"))
        this_month = month_start(timezone.localdate())
        months_back = (this_month.year - year) * 12 + this_month.month - month  # before making a date of it
        if months_back < 0:
            raise serializers.ValidationError("The month has not started yet.", code="in_the_future")
        if months_back > OLDEST_MONTHS:
            raise serializers.ValidationError(
                f"Reports go back {OLDEST_MONTHS} months: choose a later month.", code="too_far_back"
            )
        return dt.date(year, month, 1)

    def validate(self, data):
        if data.get("organisation") and data.get("local_authority"):
            raise serializers.ValidationError(
                {"local_authority": [serializers.ErrorDetail(
                    "Give organisation or local_authority, not both.", code="one_scope_only")]}
            )  # fmt: skip
        return data


# --- The report (documentation of build.report_build's dict) ---------------------------------------------


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="The last day included")
    label = serializers.CharField()


class PreviousPeriodSerializer(serializers.Serializer):
    label = serializers.CharField()


class ScopeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["organisation", "local_authority", "scheme"])
    label = serializers.CharField()
    organisation = serializers.CharField(allow_null=True, help_text="The organisation's slug")
    local_authority = serializers.CharField(allow_null=True)


class CodeListSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()


class HeaderSerializer(serializers.Serializer):
    title = serializers.CharField()
    period = PeriodSerializer()
    previous_period = PreviousPeriodSerializer()
    scope = ScopeSerializer()
    cut_off = serializers.DateTimeField(help_text="The data as it stood at this time")
    cut_off_label = serializers.CharField()
    period_end_label = serializers.CharField()
    as_of = serializers.DateTimeField(help_text="Stock and open loans as they stood at this time")
    code_lists = CodeListSerializer(many=True, help_text="The version of every code list the report uses")
    suppressed = serializers.BooleanField(
        help_text="True: counts from 1 to 4 are shown as <5 (value null), and [c] hides a cell (value null) so "
        "that totals and differences cannot give them back. False: your own organisation's figures, in full."
    )


class MetricSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField(help_text="How it is counted")
    unit = serializers.CharField()
    headline = serializers.BooleanField()
    value = serializers.FloatField(allow_null=True, help_text="Null where suppressed or not applicable")
    display = serializers.CharField(help_text='As shown: "<5", "[c]" or "–" where value is null')
    previous = serializers.FloatField(allow_null=True, help_text="The period before")
    previous_display = serializers.CharField()
    change_display = serializers.CharField()


class TableRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    display = serializers.CharField()


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    definition = serializers.CharField()
    chart = serializers.CharField(allow_null=True)
    rows = TableRowSerializer(many=True)
    total = serializers.FloatField(allow_null=True)
    total_display = serializers.CharField(allow_null=True)


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    metrics = MetricSerializer(many=True)
    tables = TableSerializer(many=True)


class TrendSeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    values = serializers.ListField(child=serializers.FloatField(allow_null=True))
    display = serializers.ListField(child=serializers.CharField())


class TrendSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.CharField(), help_text="YYYY-MM, oldest first")
    month_labels = serializers.ListField(child=serializers.CharField())
    series = TrendSeriesSerializer(many=True)


class ReportSerializer(serializers.Serializer):
    header = HeaderSerializer()
    sections = SectionSerializer(many=True)
    trend = TrendSerializer(help_text="The headline figures of the 12 months to the period's end")


# --- Snapshots ------------------------------------------------------------------------------------------------


class ReportSnapshotSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(
        slug_field="slug", read_only=True,
        help_text="Your organisation's slug (its own figures, in full); null: the whole scheme's (suppressed)",
    )  # fmt: skip
    scope_label = serializers.CharField(read_only=True)
    code_lists = CodeListSerializer(many=True, read_only=True)
    pdf = serializers.SerializerMethodField(help_text="Where to download the PDF as issued")
    xlsx = serializers.SerializerMethodField(help_text="Where to download the Excel workbook as issued")

    class Meta:
        model = ReportSnapshot
        fields = ["id", "organisation", "scope_label", "period_start", "period_end", "version", "reason",
                  "issued_at", "code_lists", "pdf", "xlsx"]  # fmt: skip

    def _link(self, snapshot, name) -> str:
        request = self.context.get("request")
        path = f"/api/v1/reports/snapshots/{snapshot.pk}/{name}/"
        return request.build_absolute_uri(path) if request else path

    def get_pdf(self, snapshot) -> str:
        return self._link(snapshot, "pdf")

    def get_xlsx(self, snapshot) -> str:
        return self._link(snapshot, "xlsx")


@extend_schema_field(ReportSerializer)
class ReportField(serializers.JSONField):
    """The report's dict as it is (numbers stay as built); documented as ReportSerializer."""


class ReportSnapshotDetailSerializer(ReportSnapshotSerializer):
    figures = ReportField(read_only=True, help_text="The report as issued")

    class Meta(ReportSnapshotSerializer.Meta):
        fields = [*ReportSnapshotSerializer.Meta.fields, "figures"]
