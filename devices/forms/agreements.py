"""Staff web form for publishing a new version of the loan agreement (coordinators). The rules (a new version
number, nothing unchanged published twice) are devices.services.loan_agreement_publish's."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms

from inclusion.forms.base import GOVUKForm


class AgreementPublishForm(GOVUKForm):
    text = forms.CharField(
        label="The agreement residents accept",
        help_text="What they may do with the device, what they must not, what happens if it is lost or not returned",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 14}),
        error_messages={"required": "Enter the text of the agreement"},
    )
    return_instructions = forms.CharField(
        label="How to return a device",
        help_text="Where and when to bring it back. Printed on every receipt",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter how to return a device"},
    )
    contact = forms.CharField(
        label="Whom to call",
        help_text="A name or desk and a phone number, for example Digital help desk, 01902 555 0100",
        max_length=300,
        error_messages={"required": "Enter whom to call"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(
            Field.textarea("text", rows=14),
            Field.textarea("return_instructions", rows=3),
            Field.text("contact"),
            Submit("submit", "Publish as a new version"),
        )
