"""The administrators' search of the access log."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms

from inclusion.forms.base import DateField, GOVUKForm
from inclusion.models import Organisation

from .models import AccessAction


class AccessLogSearchForm(GOVUKForm):
    resident = forms.UUIDField(
        label="Resident's reference", required=False, help_text="The code at the end of their record's address",
        error_messages={"invalid": "Enter the resident's reference, like 0f8fad5b-d9cb-469f-a165-70867728950e"},
    )  # fmt: skip
    email = forms.EmailField(label="Staff member's email address", required=False,
                             error_messages={"invalid": "Enter an email address like name@example.org"})  # fmt: skip
    organisation = forms.ModelChoiceField(
        label="Organisation", queryset=Organisation.objects.all(), required=False, empty_label="Any organisation",
        error_messages={"invalid_choice": "Choose an organisation from the list"},
    )  # fmt: skip
    action = forms.ChoiceField(label="What they did", required=False,
                               choices=[("", "Anything"), *AccessAction.choices])  # fmt: skip
    since = DateField(noun="From date", when="past", label="From", required=False)
    until = DateField(noun="To date", when="past", label="To", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.text("resident"), Field.text("email"), Field.select("organisation"), Field.select("action"),
            Field("since", legend_size=Size.SMALL), Field("until", legend_size=Size.SMALL), Submit("search", "Search"),
        )  # fmt: skip


class RestrictionForm(GOVUKForm):
    reason = forms.CharField(
        label="Why", max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: they dispute their details and asked us to stop using them until corrected.",
        error_messages={"required": "Enter why"},
    )  # fmt: skip

    def __init__(self, *args, button: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.textarea("reason", label_size=Size.SMALL), Submit("submit", button))


class RetentionDecisionForm(GOVUKForm):
    """A coordinator's decision at retention review (inclusion/privacy/retention.py)."""

    decision = forms.ChoiceField(
        label="What should happen to their record?", widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to anonymise their record or keep it",
                        "invalid_choice": "Choose whether to anonymise their record or keep it"},
    )  # fmt: skip
    reason = forms.CharField(
        label="Why are you keeping it? (needed to keep it)", max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: they still have one of our laptops, or a complaint is open. Do not name them.",
    )  # fmt: skip

    def __init__(self, *args, confirmed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        from .retention import CONFIRM, KEEP

        keep = (KEEP, "Keep their record (they will be listed again in a year)")
        self.fields["decision"].choices = (
            [keep] if confirmed else [(CONFIRM, "Anonymise their record: remove their name, contact details and "
                                                "notes, keeping only what reports count"), keep]
        )  # fmt: skip
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            Field.radios("decision"), Field.textarea("reason"), Submit("submit", "Save decision")
        )


class AnonymiseForm(GOVUKForm):
    """A coordinator anonymises a resident's record on request (UK GDPR Art. 17; inclusion/privacy/erasure.py)."""

    reason = forms.CharField(
        label="Why is their record being anonymised?", max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: they asked us to erase their data on 3 March. Do not name them.",
        error_messages={"required": "Enter why their record is being anonymised"},
    )  # fmt: skip
    understood = forms.BooleanField(
        label="I understand that this removes their details and notes for every partner, and cannot be undone",
        error_messages={"required": "Confirm that you understand it cannot be undone"},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(
            Field.textarea("reason"), Field.checkbox("understood"),
            Submit("submit", "Anonymise their record", css_class="govuk-button--warning"),
        )  # fmt: skip
