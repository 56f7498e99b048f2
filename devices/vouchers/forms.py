"""Staff web forms for data vouchers: importing a batch, issuing, marking activated, failed or withdrawn,
and the voucher list's filters. Validation and the messages staff see; saving is the services' job
(devices/vouchers/services.py)."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.utils import timezone

from devices.templatetags.vouchers import batch_name
from inclusion.forms.base import DateField, GOVUKForm, whole_number

from .imports import COLUMNS, MAX_BYTES
from .models import VoucherBatch, VoucherKind, VoucherStatus
from .selectors import provider_list

REASON_MAX_LENGTH = 300  # Voucher.failure_reason


# Import


class VoucherBatchImportForm(GOVUKForm):
    """A delivery from a provider: its details, eligibility rule and the provider's file of codes."""

    provider = forms.ModelChoiceField(
        label="Which provider are they from?",
        queryset=provider_list(),
        empty_label="Choose a provider",
        error_messages={"required": "Choose the provider", "invalid_choice": "Choose a provider from the list"},
    )
    kind = forms.ChoiceField(
        label="What are they?",
        choices=VoucherKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of vouchers they are", "invalid_choice": "Choose a kind"},
    )
    data_allowance_gb = forms.DecimalField(
        label="Data allowance in GB (optional)",
        help_text="For example, 20. Leave blank if it is unlimited or does not apply.",
        required=False,
        max_digits=6,
        decimal_places=1,
        min_value=0.1,
        max_value=9999,
        error_messages={
            "invalid": "Data allowance must be a number of GB, like 20 or 2.5",
            "min_value": "Data allowance must be more than 0 GB",
            "max_value": "Data allowance must be 9999 GB or less",
            "max_digits": "Data allowance must be 9999 GB or less",
            "max_decimal_places": "Data allowance can have one decimal place, like 2.5",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false", "autocomplete": "off"}),
    )
    validity_days = forms.IntegerField(
        label="Days they can use it after activation (optional)",
        help_text="For example, 30. Leave blank if it does not run out.",
        required=False,
    )
    expires_on = DateField(
        noun="Expiry date",
        when="future",
        label="When do unissued vouchers expire?",
        help_text="The provider's expiry date for this batch. For example, 31 12 2026",
    )
    received_on = DateField(
        noun="Date received", when="past", label="When did you receive them?", help_text="For example, 2 6 2026"
    )
    reference = forms.CharField(
        label="Provider's reference (optional)",
        help_text="Their batch or order number",
        max_length=VoucherBatch._meta.get_field("reference").max_length,
        required=False,
    )
    max_per_resident = forms.IntegerField(label="How many can one resident have?", initial=1)
    eligibility_window_days = forms.IntegerField(
        label="In how many days?", initial=183, help_text="183 days is about six months"
    )
    low_stock_threshold = forms.IntegerField(
        label="Warn me when this many or fewer are left",
        initial=10,
        help_text="Shown on your home page and the vouchers page",
    )
    file = forms.FileField(
        label="Upload the provider's file",
        help_text=f"A CSV or Excel (.xlsx) file, smaller than {MAX_BYTES // 2**20} MB. Its first row holds the "
        f"column headings: {', '.join(COLUMNS)}.",
        error_messages={
            "required": "Select the provider's CSV or Excel file",
            "empty": "The selected file is empty",
            "invalid": "Select a CSV or Excel file",
        },  # fmt: skip
    )

    LIMITS = {
        "validity_days": (1, 3650, "Days of use"),
        "max_per_resident": (1, 20, "How many one resident can have"),
        "eligibility_window_days": (1, 3650, "Number of days"),
        "low_stock_threshold": (0, 100_000, "The low stock warning"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = provider_list()  # the active ones now, not at import time
        for name, (low, high, noun) in self.LIMITS.items():
            whole_number(self.fields[name], low, high, noun)
        self.fields["reference"].error_messages["max_length"] = (
            f"The reference must be {self.fields['reference'].max_length} characters or fewer"
        )
        self.fields["received_on"].initial = timezone.localdate
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Fieldset(
                Field.select("provider"),
                Field.radios("kind", legend_size=Size.SMALL, small=True),
                Field.text("reference", field_width=20),
                Field.text("data_allowance_gb", field_width=5),
                Field.text("validity_days", field_width=4),
                Field("expires_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
                Field("received_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
                legend="The batch", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                HTML('<p class="govuk-body">Usually one per resident every 183 days (about six months). A voucher '
                     "that did not work does not count.</p>"),
                Field.text("max_per_resident", field_width=2),
                Field.text("eligibility_window_days", field_width=4),
                legend="Who can have one", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("low_stock_threshold", field_width=5),
                Field("file"),
                legend="Stock", legend_size=Size.MEDIUM,
            ),
            Submit("submit", "Check the file"),
        )  # fmt: skip

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The selected file must be smaller than {MAX_BYTES // 2**20} MB")
        return upload

    def batch_details(self) -> dict:
        """The batch's fields, as voucher_batch_import takes them."""
        details = {name: value for name, value in self.cleaned_data.items() if name != "file"}
        details["reference"] = details["reference"].strip()
        return details


# Issuing


class VoucherIssueForm(GOVUKForm):
    """One step from the resident's page: the kind they need and, if it matters, the provider. The choices
    are what the organisation has in current batches (`stock`, from voucher_issue_choices: a row marked
    `capped` has at least that many left)."""

    kind = forms.ChoiceField(
        label="What do they need?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what they need", "invalid_choice": "Choose what they need"},
    )
    provider = forms.ModelChoiceField(
        label="Provider (optional)",
        queryset=provider_list(),
        required=False,
        empty_label="Any provider",
        help_text="Leave as any provider to give the voucher that expires soonest",
        error_messages={"invalid_choice": "Choose a provider from the list"},
    )
    # Sent by the confirmation page (devices/vouchers/issue_confirm.html): issuing uses the resident's allowance.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, stock: list[dict], action: str = "", heading: bool = False, **kwargs):
        kwargs.setdefault("auto_id", "id_voucher_%s")  # unique on the resident's page, beside its other forms
        super().__init__(*args, **kwargs)
        left: dict[str, int] = {}
        capped: set[str] = set()
        for row in stock:
            left[row["kind"]] = left.get(row["kind"], 0) + row["available"]
            if row.get("capped"):
                capped.add(row["kind"])
        self.fields["kind"].choices = [
            (kind, f"{label} ({left[kind]}{' or more' if kind in capped else ''} left)")
            for kind, label in VoucherKind.choices
            if kind in left
        ]
        if len(left) == 1:
            self.fields["kind"].initial = next(iter(left))
        names = {row["provider"] for row in stock}
        self.fields["provider"].queryset = provider_list().filter(name__in=names)
        self.show_provider = len(names) > 1
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.attrs = {"novalidate": ""}
        self.helper.legend_size = Size.SMALL
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(
            Field.radios("kind", legend_size=Size.MEDIUM if heading else Size.SMALL, small=True,
                         legend_tag="h1" if heading else None),
            *([Field.select("provider")] if self.show_provider else []),
            Submit("submit", "Issue voucher", css_class="" if heading else "govuk-!-margin-bottom-0"),
        )  # fmt: skip

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["kind"].choices)


# Marking what happened


class VoucherActionForm(GOVUKForm):
    """An action on one voucher, remembering which page it was started from ("resident" for theirs)."""

    return_to = forms.ChoiceField(
        choices=[("", "The voucher's page"), ("resident", "The resident's page")],
        required=False,
        widget=forms.HiddenInput,
    )


class VoucherActivateForm(VoucherActionForm):
    """No questions: the button says it. The service refuses a voucher that is not issued."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(Field("return_to"), Submit("submit", "Mark as activated"))


class VoucherFailForm(VoucherActionForm):
    reason = forms.CharField(
        label="What went wrong?",
        help_text="For example, the network says the code is not valid, or the SIM card is not recognised",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter what went wrong",
            "max_length": f"What went wrong must be {REASON_MAX_LENGTH} characters or fewer",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("return_to"),
            Field.textarea("reason", label_size=Size.SMALL, rows=3, max_characters=REASON_MAX_LENGTH),
            Submit("submit", "Mark as not working"),
        )


class VoucherWithdrawForm(VoucherActionForm):
    reason = forms.CharField(
        label="Why are you withdrawing it? (optional)",
        help_text="For example, damaged, lost, or they no longer need it",
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"The reason must be {REASON_MAX_LENGTH} characters or fewer"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("return_to"),
            Field.textarea("reason", label_size=Size.SMALL, rows=3, max_characters=REASON_MAX_LENGTH),
            Submit("submit", "Withdraw the voucher", css_class="govuk-button--warning"),
        )


# Lists


class VoucherFilterForm(forms.Form):
    """The voucher list's filters (GET). `batches` are the organisation's, from voucher_batch_list."""

    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *VoucherStatus.choices])
    batch = forms.TypedChoiceField(label="Batch", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, batches, **kwargs):
        """`batches` None: a single batch's page, filtered by status only."""
        super().__init__(*args, **kwargs)
        self.fields["status"].error_messages["invalid_choice"] = "Choose a status from the list"
        if batches is None:
            del self.fields["batch"]
        else:
            self.fields["batch"].choices = [
                ("", "Any batch"),
                *[(batch.pk, f"{batch_name(batch)}, expires {batch.expires_on:%-d %b %Y}") for batch in batches],
            ]
            self.fields["batch"].error_messages["invalid_choice"] = "Choose a batch from the list"
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.label_size = Size.SMALL
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field.select("status"), *([Field.select("batch")] if "batch" in self.fields else []),
            Submit("filter", "Show vouchers", css_class="govuk-button--secondary govuk-!-margin-bottom-0"),
        )  # fmt: skip
