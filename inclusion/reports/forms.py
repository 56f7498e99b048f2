"""The report page's choices: which period and which scope. Who may choose what is the rule in
inclusion/reports/selectors.py (report_scopes); this form checks only that the answer is one of them."""

from __future__ import annotations

import datetime as dt

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size
from django import forms
from django.urls import reverse
from django.utils import timezone

from ..forms.base import DateField, GOVUKForm
from .definitions import add_months, month_start

MAX_RANGE_DAYS = 366


def month_choices(today: dt.date | None = None, count: int = 24) -> list[tuple[str, str]]:
    this_month = month_start(today or timezone.localdate())
    months = [add_months(this_month, -offset) for offset in range(count)]
    return [(f"{m:%Y-%m}", f"{m:%B %Y}" + (" (so far)" if m == this_month else "")) for m in months]


def last_full_month(today: dt.date | None = None) -> str:
    return f"{add_months(month_start(today or timezone.localdate()), -1):%Y-%m}"


class ReportForm(GOVUKForm):
    scope = forms.ChoiceField(label="Whose figures", error_messages={"invalid_choice": "Choose whose figures to show"})
    month = forms.ChoiceField(label="Which month", error_messages={"invalid_choice": "Choose a month from the list"})
    start = DateField(noun="Start date", label="From", required=False, help_text="For example, 1 4 2026")
    end = DateField(noun="End date", label="To (the last day included)", required=False)

    def __init__(self, *args, scopes: list[tuple[str, str]], own_scope: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.own_scope = own_scope
        self.fields["scope"].choices = scopes
        self.fields["month"].choices = month_choices()
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.label_size = Size.SMALL
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("scope", css_class="govuk-!-width-full"),
            Field("month", css_class="govuk-!-width-full"),
            Fieldset(
                Field("start"),
                Field("end"),
                legend="Or a range of days (your own organisation's figures only)",
                legend_size=Size.SMALL,
            ),
            HTML('<button type="submit" class="govuk-button" data-module="govuk-button">Show the report</button>'),
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if self.errors:
            return data
        if start or end:
            if not start:
                self.add_refusal("start", "Enter the start date, or leave both dates blank to see a month")
            elif not end:
                self.add_refusal("end", "Enter the end date, or leave both dates blank to see a month")
            elif end < start:
                self.add_refusal("end", "End date must be the same as or after the start date")
            elif (end - start).days >= MAX_RANGE_DAYS:
                self.add_refusal("end", f"A range can be at most {MAX_RANGE_DAYS} days: choose a shorter one")
            elif data.get("scope") != self.own_scope:
                # Two overlapping ranges, subtracted, would give a few days' small numbers: others see months.
                self.add_refusal("start", "A range of days is for your own organisation's figures: choose a month")
            else:
                data["period"] = (start, end + dt.timedelta(days=1))
        if "period" not in data and not self.errors:
            first = dt.date.fromisoformat(data["month"] + "-01")
            data["period"] = (first, add_months(first, 1))
        return data


class SnapshotIssueForm(GOVUKForm):
    """Issue (or issue again) a month's report. Whose: your organisation's, or the whole scheme's for the scheme
    lead's coordinators."""

    whose = forms.ChoiceField(label="Whose report", widget=forms.RadioSelect,
                              error_messages={"required": "Choose whose report to issue"})  # fmt: skip
    month = forms.ChoiceField(label="Which month", error_messages={"invalid_choice": "Choose a month from the list"})
    reason = forms.CharField(
        label="Why is it being issued? (needed when issuing a month again)", max_length=500, required=False,
        help_text="For example: late returns recorded for March. The version already sent stays as it was.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip

    def __init__(self, *args, whose: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["whose"].choices = whose
        self.fields["month"].choices = month_choices()[1:]  # months that are over
        self.helper = FormHelper()
        self.helper.form_action = reverse("reports:snapshot-issue")
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            Field.radios("whose"),
            Field("month"),
            Field.textarea("reason"),
            HTML('<button type="submit" class="govuk-button" data-module="govuk-button">Issue the report</button>'),
        )
