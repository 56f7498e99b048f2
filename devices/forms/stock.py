"""Staff web forms for the stock: the stock list's filters, a device's details (adding and editing) and its
simple status changes. They check the shape of what was typed; the rules are the services' (devices/services.py)."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms

from inclusion.forms.base import GOVUKForm, GOVUKModelForm, choices_without_blank

from ..models import (
    ACCESSORIES,
    DEVICE_FIELDS,
    Device,
    DeviceKind,
    DeviceStatus,
    accessory_label,
    asset_tag_normalise,
)

ASSET_TAG_MAX_LENGTH = Device._meta.get_field("asset_tag").max_length


# A tag is typed or scanned: no autocomplete, spelling or capitalisation help from the browser.
TAG_INPUT = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


ACCESSORY_CHOICES = [(name, accessory_label(name)) for name in ACCESSORIES]


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
        return asset_tag_normalise(self.cleaned_data["asset_tag"])


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
