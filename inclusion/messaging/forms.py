"""Coordinators' forms: a reminder stage; staff's: a chase recorded on a loan."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms

from inclusion.forms.base import GOVUKForm, whole_number

from .models import StageChannel, StageTemplate


class StageForm(GOVUKForm):
    offset_days = forms.IntegerField(
        label="How many days after the due date?",
        help_text="Use a minus sign for days before it: -7 is a week before, 0 is the due date",
    )
    template = forms.ChoiceField(label="What does the message say?", choices=StageTemplate.choices,
                                 widget=forms.RadioSelect)  # fmt: skip
    channel = forms.ChoiceField(label="How is the resident told?", choices=StageChannel.choices,
                                widget=forms.RadioSelect)  # fmt: skip
    escalates_to_staff = forms.BooleanField(label="Also tell our staff (an email to coordinators)", required=False)
    blocks_new_loans = forms.BooleanField(label="From this stage on, no new loans to the resident", required=False)
    active = forms.BooleanField(label="Send this stage", required=False, initial=True)

    def __init__(self, *args, fixed_offset: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        whole_number(self.fields["offset_days"], -90, 365, "Days after the due date")
        self.fields["offset_days"].error_messages["invalid"] = (
            "Days after the due date must be a whole number between -90 and 365"
        )
        self.fields["template"].error_messages["required"] = "Choose what the message says"
        self.fields["channel"].error_messages["required"] = "Choose how the resident is told"
        if fixed_offset:
            del self.fields["offset_days"]
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            *([Field.text("offset_days", field_width=3)] if not fixed_offset else []),
            Field.radios("template", legend_size=Size.SMALL, small=True),
            Field.radios("channel", legend_size=Size.SMALL, small=True),
            Field.checkbox("escalates_to_staff", small=True),
            Field.checkbox("blocks_new_loans", small=True),
            Field.checkbox("active", small=True),
            Submit("submit", "Save the stage"),
        )
