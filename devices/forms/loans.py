"""Staff web forms for lending: the loan itself, extensions and the loan policy. They check the shape of what
was typed; the rules are the services' (devices/services.py)."""

from datetime import timedelta

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Layout, Size, Submit
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from inclusion.calendar import DAY_NAMES
from inclusion.forms.base import DateField, GOVUKForm, GOVUKModelForm

from ..models import (
    AgreementMethod,
    LoanAgreement,
    LoanPolicy,
    asset_tag_normalise,
)
from ..services import loan_due_date
from .stock import ASSET_TAG_MAX_LENGTH, TAG_INPUT


def _date_hint(day) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


class LendForm(GOVUKForm):
    asset_tag = forms.CharField(
        label="Asset tag",
        help_text="Type the tag on the device's label, or scan its barcode",
        max_length=ASSET_TAG_MAX_LENGTH,
        error_messages={"required": "Enter the asset tag, or scan its barcode"},
        widget=forms.TextInput(
            attrs={**TAG_INPUT, "autofocus": True, "data-scan-next": "agreement_method", "data-scanner": "tag"}
        ),
    )
    agreement_method = forms.ChoiceField(
        label="How did they accept the loan agreement?",
        choices=AgreementMethod.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how they accepted the loan agreement",
            "invalid_choice": "Choose how they accepted the loan agreement",
        },
    )
    witness_name = forms.CharField(
        label="Witness's full name, for a verbal agreement", max_length=150, required=False,
        help_text="Someone who heard them agree, other than you",
    )  # fmt: skip
    accepted_name = forms.CharField(
        label="Accepted on screen: their full name, typed by them", max_length=150, required=False,
        help_text="Turn the screen to them after they have read the agreement",
    )  # fmt: skip
    agreement_accepted = forms.BooleanField(
        error_messages={"required": "Confirm that they have accepted the loan agreement"},
    )
    due_on = DateField(noun="Due date", label="Due back (optional)", required=False)
    open_ended = forms.BooleanField(required=False)
    overdue_override_reason = forms.CharField(
        label="Coordinators: lend although another loan is overdue, because", max_length=300, required=False,
        help_text="Only if they have an overdue loan. Recorded on the loan and their timeline",
    )  # fmt: skip
    notes = forms.CharField(
        label="Notes (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Added to their case timeline",
    )

    def __init__(
        self, *args, policy: LoanPolicy, agreement: LoanAgreement | None = None, can_override: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.policy = policy
        today = timezone.localdate()
        self.longest_due_on = loan_due_date(policy, today, policy.default_length_days)
        version = f"version {agreement.version}" if agreement else f"terms version {policy.terms_version}"
        accepted = f"They have accepted the loan agreement ({version})"
        self.fields["agreement_accepted"].label = accepted
        moved = self.longest_due_on != today + timedelta(days=policy.default_length_days)
        self.fields["due_on"].help_text = (
            f"Leave blank to lend for {policy.default_length_days} days, until {_date_hint(self.longest_due_on)}"
            f"{' (the next day you are open)' if moved else ''}. It cannot be later than that."
        )
        self.fields[
            "open_ended"
        ].label = f"Open-ended: no due date, they renew it every {policy.default_length_days} days while still using it"
        if not can_override:
            del self.fields["overdue_override_reason"]
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.attrs = {"autocomplete": "off", "novalidate": ""}
        self.helper.layout = Layout(
            Field.text("asset_tag", field_width=10, label_size=Size.MEDIUM),
            HTML('{% include "devices/includes/ready_devices.html" %}'),
            # Not a conditional reveal: GOV.UK Frontend's aria-expanded on a radio fails axe-core (aria-allowed-attr).
            Field.radios("agreement_method"),
            Field.text("witness_name", field_width=20),
            *([Field.text("accepted_name", field_width=20)] if agreement else []),
            Field.checkbox("agreement_accepted"),
            Field("due_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.checkbox("open_ended", small=True),
            *([Field.text("overdue_override_reason")] if can_override else []),
            Field.textarea("notes", rows=2),
            Submit("submit", "Lend device"),
        )

    def clean_asset_tag(self):
        # Scanners and people add spaces and lower case; the view finds the device with
        # selectors.device_find_typed, which forgives more.
        return asset_tag_normalise(self.cleaned_data["asset_tag"])

    def clean(self):
        cleaned = super().clean()
        due_on = cleaned.get("due_on")
        if due_on and cleaned.get("open_ended"):
            self.add_refusal("due_on", "Leave the due date blank for an open-ended loan")
        elif due_on and due_on < timezone.localdate():
            self.add_refusal("due_on", "Due date must be today or in the future")
        elif due_on and due_on > self.longest_due_on:
            self.add_refusal("due_on", f"Due date must be no later than {_date_hint(self.longest_due_on)}")
        return cleaned


class RenewForm(GOVUKForm):
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=300,
        help_text="For example, answered the text: still on the course",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(Field.text("note"), Submit("submit", "Renew the loan"))


class ExtendForm(GOVUKForm):
    reason = forms.CharField(
        label="Why does it need extending?",
        help_text="For example, still on the skills course until the end of the month",
        max_length=300,
        error_messages={"required": "Enter why the loan needs extending"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(Field.text("reason"), Submit("submit", "Extend the loan"))


class LoanPolicyForm(GOVUKModelForm):
    open_days = forms.TypedMultipleChoiceField(
        label="Which days are you open to take devices back?",
        help_text="A due date worked out for a loan or an extension moves on to the next of these days",
        choices=list(enumerate(DAY_NAMES)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the days you are open to take devices back",
                        "invalid_choice": "Choose days of the week from the list"},
    )  # fmt: skip
    closed_on_bank_holidays = forms.BooleanField(
        label="We are closed on bank holidays (England and Wales)", required=False
    )

    class Meta:
        model = LoanPolicy
        fields = ["default_length_days", "extension_days", "max_extensions", "max_open_loans_per_resident",
                  "max_backdate_days", "terms_version", "open_days", "closed_on_bank_holidays"]  # fmt: skip
        labels = {
            "default_length_days": "How many days is a loan?",
            "extension_days": "How many days does an extension add?",
            "max_extensions": "How many times can a loan be extended?",
            "max_open_loans_per_resident": "How many devices can one resident borrow at once?",
            "max_backdate_days": "How many days back can a loan's start date be?",
            "terms_version": "Loan agreement version",
        }
        help_texts = {
            "default_length_days": "Between 1 and 365",
            "extension_days": "Between 1 and 180",
            "max_extensions": "0 for never",
            "max_backdate_days": "For loans recorded late. 0 means loans always start on the day they are recorded",
            "terms_version": "Staff confirm residents accepted this version. Change it when the agreement changes.",
        }

    LIMITS = {
        "default_length_days": (1, 365, "Loan length"),
        "extension_days": (1, 180, "Extension length"),
        "max_extensions": (0, 20, "Number of extensions"),
        "max_open_loans_per_resident": (1, 10, "Devices at once"),
        "max_backdate_days": (0, 365, "Days back"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (low, high, noun) in self.LIMITS.items():
            field = self.fields[name]
            message = f"{noun} must be a whole number between {low} and {high}"
            field.validators = [MinValueValidator(low, message), MaxValueValidator(high, message)]
            field.error_messages.update(required=f"Enter {noun.lower()} as a number", invalid=message)
            field.widget = forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"})
        self.fields["terms_version"].error_messages["required"] = "Enter the loan agreement version"
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            *[Field.text(name, field_width=3) for name in self.LIMITS],
            Field.text("terms_version", field_width=10),
            Field.checkboxes("open_days", legend_size=Size.SMALL, small=True),
            Field.checkbox("closed_on_bank_holidays", small=True),
            HTML('<p class="govuk-body">Changes apply to new loans and extensions from now on.</p>'),
            Submit("submit", "Save the policy"),
        )

    def _post_clean(self):
        pass  # loan_policy_update validates the whole row
