"""Staff web forms for what comes back or does not: returns, losses and thefts, gifts, and the wipe that
makes a device fit to lend again. They check the shape of what was typed; the rules are the services'
(devices/services.py)."""

import re

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms

from inclusion.forms.base import DateField, GOVUKForm

from ..models import (
    Condition,
    Device,
    WipeMethod,
    accessory_label,
)


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


class CheckInForm(GOVUKForm):
    """The returns desk: a list of tags, one a line (a scanner types each and presses Enter), or pasted."""

    tags = forms.CharField(
        label="Scan or type the tags of the devices coming back",
        help_text="One a line: a scanner adds a line each time. You can also paste a list, separated by lines, "
                  "commas or semicolons",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "autofocus": True, "autocomplete": "off", "spellcheck": "false",
                                     "autocapitalize": "characters", "data-scanner": "tags"}),
        error_messages={"required": "Scan or type at least one tag"},
    )  # fmt: skip

    MAX_TAGS = 500

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.MEDIUM
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(Field.textarea("tags", rows=8), Submit("submit", "Check them in"))

    def clean_tags(self):
        tags = [tag.strip() for tag in re.split(r"[\r\n,;\t]+", self.cleaned_data["tags"]) if tag.strip()]
        if not tags:
            raise forms.ValidationError("Scan or type at least one tag")
        if len(tags) > self.MAX_TAGS:
            raise forms.ValidationError(f"Check in at most {self.MAX_TAGS} tags at a time")
        return tags
