"""Staff web forms for stock, wipes, status changes, loans and the loan policy: validation and the messages
staff see. Saving is the services' job (devices/services.py)."""

from datetime import timedelta

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from inclusion.calendar import DAY_NAMES
from inclusion.forms.base import DateField, GOVUKForm, GOVUKModelForm, choices_without_blank

from .models import (
    ACCESSORIES,
    AgreementMethod,
    Condition,
    Device,
    DeviceKind,
    DeviceStatus,
    LoanPolicy,
    WipeMethod,
    accessory_label,
)
from .services import DEVICE_FIELDS, loan_due_date

ASSET_TAG_MAX_LENGTH = Device._meta.get_field("asset_tag").max_length
# A tag is typed or scanned: no autocomplete, spelling or capitalisation help from the browser.
TAG_INPUT = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


ACCESSORY_CHOICES = [(name, accessory_label(name)) for name in ACCESSORIES]


def _date_hint(day) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


# Stock


class DeviceFilterForm(GOVUKForm):
    """The stock list's filters (GET)."""

    q = forms.CharField(label="Asset tag or serial number", required=False, max_length=100)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *DeviceStatus.choices])
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any kind"), *DeviceKind.choices])
    location = forms.ChoiceField(label="Location", required=False)

    def __init__(self, *args, locations: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", "Any location"), *[(place, place) for place in locations]]
        self.fields["q"].widget.attrs.update(autocomplete="off", spellcheck="false")
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            Field.text("q"), Field.select("status"), Field.select("kind"), Field.select("location"),
            Submit("filter", "Show devices", css_class="govuk-button--secondary"),
        )  # fmt: skip


class DeviceForm(GOVUKModelForm):
    """A device's details. The add form also takes an asset tag (DeviceAddForm)."""

    accessories = forms.MultipleChoiceField(
        label="What comes with it?",
        help_text="Select all that apply. We check these when it comes back.",
        choices=ACCESSORY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose accessories from the list"},
    )

    class Meta:
        model = Device
        fields = [name for name in DEVICE_FIELDS if name != "asset_tag"]
        labels = {
            "serial_number": "Serial number (optional)",
            "kind": "What kind of device is it?",
            "make": "Make (optional)",
            "model": "Model (optional)",
            "specification": "Specification (optional)",
            "location": "Where is it kept? (optional)",
            "source": "Where did it come from?",
            "donor": "Donor or supplier (optional)",
            "condition": "What condition is it in?",
            "notes": "Notes (optional)",
        }
        help_texts = {
            "make": "For example, Lenovo",
            "model": "For example, ThinkPad T480",
            "specification": "For example, Intel i5, 8GB memory, 256GB storage, Windows 11",
            "location": "For example, Central Library store room",
            "notes": "For example, a fault, or how it is set up",
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "kind": {"required": "Choose what kind of device it is", "invalid_choice": "Choose a kind from the list"},
            "source": {"required": "Choose where it came from", "invalid_choice": "Choose where it came from"},
            "condition": {"required": "Choose what condition it is in", "invalid_choice": "Choose a condition"},
        }

    def __init__(self, *args, locations: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("kind", "source", "condition"):
            self.fields[name].widget = forms.RadioSelect()
            choices_without_blank(self.fields[name])
        self.fields["location"].widget.attrs["list"] = "device-locations"
        self.fields["serial_number"].widget.attrs.update(autocomplete="off", spellcheck="false")
        self.locations = list(locations)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                *self._tag_fields(),
                Field.radios("kind", legend_size=Size.SMALL, small=True),
                Field.text("make", field_width=20), Field.text("model", field_width=20),
                Field.text("serial_number", field_width=20), Field.text("specification"),
                Field.checkboxes("accessories", legend_size=Size.SMALL, small=True),
                legend="The device", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.radios("condition", legend_size=Size.SMALL, small=True),
                Field.radios("source", legend_size=Size.SMALL, small=True, inline=True),
                Field.text("donor", field_width=20), Field.text("location", field_width=20),
                Field.textarea("notes", rows=3, max_characters=2000),
                legend="Condition and where it is", legend_size=Size.MEDIUM,
            ),
        )  # fmt: skip

    def _tag_fields(self):
        return []

    def _post_clean(self):
        # The services validate the whole record (devices/services.py); here only field-level checks apply.
        pass


class DeviceAddForm(DeviceForm):
    asset_tag = forms.CharField(
        label="Asset tag (optional)",
        help_text="The tag on its label. Leave blank and we will give it the next one: your initials and a number, like BCW-000123.",
        max_length=ASSET_TAG_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs=TAG_INPUT),
    )

    def _tag_fields(self):
        return [Field.text("asset_tag", field_width=10)]

    def clean_asset_tag(self):
        return " ".join(self.cleaned_data["asset_tag"].split()).upper()


class WipeForm(GOVUKForm):
    method = forms.ChoiceField(
        label="How was it wiped?",
        choices=WipeMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how it was wiped", "invalid_choice": "Choose how it was wiped"},
    )
    wiped_on = DateField(
        noun="Date of the wipe", when="past", label="When was it wiped?", help_text="For example, 27 3 2026"
    )
    operator = forms.CharField(
        label="Who carried out the wipe?",
        help_text="A person, or the company that did it",
        max_length=150,
        error_messages={"required": "Enter who carried out the wipe"},
    )
    certificate_reference = forms.CharField(
        label="Certificate reference (optional)",
        help_text="From the wiping software or the company's certificate",
        max_length=100,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            Field.radios("method", legend_size=Size.SMALL),
            Field("wiped_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.text("operator", field_width=20),
            Field.text("certificate_reference", field_width=20),
            Submit("submit", "Record the wipe"),
        )


# What each simple move is called on the button and on the form.
MOVE_LABELS = {
    DeviceStatus.READY: "Mark ready to lend",
    DeviceStatus.IN_REPAIR: "Send for repair",
    DeviceStatus.RETIRED: "Retire it",
    DeviceStatus.WRITTEN_OFF: "Write it off",
    DeviceStatus.AWAITING_CHECK: "It has been found: check it before lending",
}


class DeviceStatusForm(GOVUKForm):
    to_status = forms.ChoiceField(
        label="What is happening to it?",
        choices=list(MOVE_LABELS.items()),
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what is happening to it",
            "invalid_choice": "Choose what is happening to it",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        help_text="For example, the fault, the repairer, or why it is being retired",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, allowed: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = allowed
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            Field.radios("to_status", legend_size=Size.SMALL),
            Field.textarea("note", rows=3, max_characters=2000),
            Submit("submit", "Change status"),
        )

    def show_allowed_only(self) -> None:
        """Offer only the moves allowed from the device's status (validation accepts any simple move, so a
        move made impossible meanwhile is refused by the service, with its reason)."""
        self.fields["to_status"].choices = [(value, MOVE_LABELS[value]) for value in self.allowed]


# Loans


class LendForm(GOVUKForm):
    asset_tag = forms.CharField(
        label="Asset tag",
        help_text="Type the tag on the device's label, or scan its barcode",
        max_length=ASSET_TAG_MAX_LENGTH,
        error_messages={"required": "Enter the asset tag, or scan its barcode"},
        widget=forms.TextInput(attrs={**TAG_INPUT, "autofocus": True, "data-scan-next": "agreement_method"}),
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
    agreement_accepted = forms.BooleanField(
        error_messages={"required": "Confirm that they have accepted the loan agreement"},
    )
    due_on = DateField(noun="Due date", label="Due back (optional)", required=False)
    notes = forms.CharField(
        label="Notes (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Added to their case timeline",
    )

    def __init__(self, *args, policy: LoanPolicy, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        today = timezone.localdate()
        self.longest_due_on = loan_due_date(policy, today, policy.default_length_days)
        accepted = f"They have accepted the loan agreement (terms version {policy.terms_version})"
        self.fields["agreement_accepted"].label = accepted
        moved = self.longest_due_on != today + timedelta(days=policy.default_length_days)
        self.fields["due_on"].help_text = (
            f"Leave blank to lend for {policy.default_length_days} days, until {_date_hint(self.longest_due_on)}"
            f"{' (the next day you are open)' if moved else ''}. It cannot be later than that."
        )
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
            Field.checkbox("agreement_accepted"),
            Field("due_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.textarea("notes", rows=2),
            Submit("submit", "Lend device"),
        )

    def clean_asset_tag(self):
        # Scanners and people add spaces and lower case; tags are upper case (devices_for_typed_tag tries without
        # the inner spaces too).
        return " ".join(self.cleaned_data["asset_tag"].split()).upper()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("agreement_method") == AgreementMethod.VERBAL_WITNESSED and not cleaned.get("witness_name"):
            self.add_error("witness_name", "Enter the name of the witness to a verbal agreement")
        due_on = cleaned.get("due_on")
        if due_on and due_on < timezone.localdate():
            self.add_refusal("due_on", "Due date must be today or in the future")
        elif due_on and due_on > self.longest_due_on:
            self.add_refusal("due_on", f"Due date must be no later than {_date_hint(self.longest_due_on)}")
        return cleaned


class ReturnForm(GOVUKForm):
    condition = forms.ChoiceField(
        label="What condition did it come back in?",
        choices=Condition.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what condition it came back in", "invalid_choice": "Choose a condition"},
    )
    accessories_returned = forms.MultipleChoiceField(
        label="Which accessories came back?",
        help_text="Leave unticked anything that is missing",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose accessories from the list"},
    )
    returned_on = DateField(noun="Return date", when="past", label="When did it come back? (optional)", required=False,
                            help_text="Leave blank for today")  # fmt: skip
    notes = forms.CharField(
        label="Notes (optional)",
        help_text="For example, damage, or anything they said about it",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, device: Device, **kwargs):
        super().__init__(*args, **kwargs)
        accessories = [(name, accessory_label(name)) for name in device.accessories]
        fields = [Field.radios("condition", legend_size=Size.SMALL)]
        if accessories:
            self.fields["accessories_returned"].choices = accessories
            fields.append(Field.checkboxes("accessories_returned", legend_size=Size.SMALL))
        else:
            del self.fields["accessories_returned"]
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            *fields,
            Field("returned_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.textarea("notes", rows=3),
            Submit("submit", "Record the return"),
        )


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


class ReportLostForm(GOVUKForm):
    stolen = forms.TypedChoiceField(
        label="Was it stolen?",
        choices=[("yes", "Yes"), ("no", "No, it was lost")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether it was stolen", "invalid_choice": "Choose whether it was stolen"},
    )
    police_reference = forms.CharField(
        label="Police crime reference (optional)", max_length=50, required=False,
        help_text="If it was stolen and they have reported it",
    )  # fmt: skip
    notes = forms.CharField(
        label="What happened?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter what happened"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            Field.radios("stolen", inline=True),
            Field.text("police_reference", field_width=20),
            Field.textarea("notes", rows=3),
            Submit("submit", "Report it lost or stolen", css_class="govuk-button--warning"),
        )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("stolen") is False:
            cleaned["police_reference"] = ""  # typed, then "No" chosen: the reference is not theirs to keep
        return cleaned


class GiftForm(GOVUKForm):
    notes = forms.CharField(
        label="Why are they keeping it? (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(error_messages={"required": "Confirm that they are keeping the device"})

    def __init__(self, *args, device: Device, resident_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        confirm = f"{resident_name} keeps {device.description} ({device.asset_tag}); it leaves our stock for good"
        self.fields["confirm"].label = confirm
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            Field.textarea("notes", rows=3),
            Field.checkbox("confirm"),
            Submit("submit", "Give it to them", css_class="govuk-button--warning"),
        )


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
