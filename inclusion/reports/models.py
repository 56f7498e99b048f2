"""Frozen reports: a month's report as issued, kept exactly as sent (its figures as JSON, its PDF and Excel
files), with who issued it, when, why, and the code lists it was made with. Rows are never changed or
deleted (a database trigger refuses it); issuing again makes a new version that says why."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..models import Organisation, User


class ReportSnapshot(models.Model):
    """One issued report. `organisation` set: that organisation's own figures, in full, for its own staff;
    unset: the whole scheme's, suppressed for every reader (protected against each partner's own figures)."""

    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="report_snapshots")  # fmt: skip
    period_start = models.DateField()
    period_end = models.DateField(help_text="The last day included")
    version = models.PositiveSmallIntegerField(default=1)
    reason = models.CharField(max_length=500, help_text="Why it was issued (again)")
    figures = models.JSONField(help_text="The report as issued: every figure, label and definition")
    code_lists = models.JSONField(default=list)
    pdf = models.BinaryField()
    xlsx = models.BinaryField()
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  help_text="Empty: the monthly task")  # fmt: skip
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "organisation__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "period_start", "period_end", "version"],
                                    name="report_snapshot_version_unique"),
            models.UniqueConstraint(fields=["period_start", "period_end", "version"], condition=Q(organisation=None),
                                    name="scheme_report_snapshot_version_unique"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="report_snapshot_period"),
        ]  # fmt: skip
        indexes = [models.Index(fields=["organisation", "-period_start"], name="report_snapshot_scope")]

    def __str__(self):
        whose = self.organisation.name if self.organisation_id else "the whole scheme"
        return f"Report for {whose}, {self.period_start:%B %Y}, version {self.version}"

    @property
    def scope_label(self) -> str:
        return self.organisation.name if self.organisation_id else "The whole scheme"


class RollupGeneration(models.Model):
    """How many times figures of a closed month have been changed since the month closed (late corrections):
    bumped by the database (inclusion/reports/rollups.py's triggers), so that a month's stored figures computed
    before a change no longer match and are computed again."""

    month = models.DateField(primary_key=True, help_text="The month's first day")
    generation = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.month:%B %Y}: generation {self.generation}"


class ReportRollup(models.Model):
    """One closed month's figures for one scope, as every section computed them (detail and trend), stored so
    that a report of a closed month, and the 12-month trend, read them instead of the month's activity. Good
    while `generation` is the month's current one (RollupGeneration)."""

    month = models.DateField(help_text="The month's first day")
    scope = models.CharField(max_length=64, help_text="o<organisation id>:<local authority code>")
    generation = models.PositiveIntegerField()
    figures = models.JSONField(help_text='{"metrics": {...}, "tables": {...}, "trend": {...}}')
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "month"], name="report_rollup_scope_month")]

    def __str__(self):
        return f"Figures for {self.month:%B %Y} ({self.scope})"
