"""Staff web forms for the waiting list: joining it (from the resident page) and cancelling a place."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms

from inclusion.forms.base import GOVUKForm


class ReserveForm(GOVUKForm):
    kind = forms.ChoiceField(
        label="What kind of device do they need?", widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of device they need",
                        "invalid_choice": "Choose the kind of device they need"},
    )  # fmt: skip
    note = forms.CharField(label="Note (optional)", max_length=300, required=False,
                           help_text="For example, needs it for a course starting in May")  # fmt: skip

    def __init__(self, *args, **kwargs):
        from ..models import DeviceKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = DeviceKind.choices
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.MEDIUM
        self.helper.layout = Layout(
            Field.radios("kind"), Field.text("note"), Submit("submit", "Add to the waiting list")
        )


class CancelReservationForm(GOVUKForm):
    reason = forms.CharField(label="Why is it cancelled?", max_length=250,
                             help_text="For example, no longer needs one: found a device elsewhere",
                             error_messages={"required": "Enter why the reservation is cancelled"})  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(Field.text("reason"), Submit("submit", "Cancel the reservation",
                                                                 css_class="govuk-button--warning"))  # fmt: skip
