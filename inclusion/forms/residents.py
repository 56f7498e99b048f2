"""Staff web forms of the core: signing in, finding and registering residents, their details, equality
monitoring and skills, notes and consent. Validation and the messages staff see; saving is the services'."""

from datetime import date

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Div, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from phonenumber_field.formfields import PhoneNumberField

from .. import choices
from ..models import ContactProposal, Resident
from ..services import NOTE_MAX_LENGTH
from ..validators import date_of_birth_validate, postcode_normalise
from .base import BLANK, DateField, GOVUKForm, GOVUKFormMixin, GOVUKModelForm, PhoneInput


class LoginForm(GOVUKFormMixin, AuthenticationForm):
    username = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    error_messages = {
        "invalid_login": "Enter a correct email address and password. Both are case-sensitive.",
        "inactive": "This account has been switched off. Ask your coordinator.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.text("username"), Field.text("password"), Submit("submit", "Sign in"))


class SearchForm(GOVUKForm):
    q = forms.CharField(
        label="Name, postcode or phone number",
        max_length=100,
        required=False,
        help_text="For example: Jane Smith, WV1 1AA or 07911 123456",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()  # the page writes its own markup; the helper lets the error summary show


# What the register and edit forms ask: first what is needed to help today, then the rest (all optional).
# Equality monitoring and the skills baseline are asked on their own pages, when there is time
# (EqualityForm, SkillsForm); the resident's page says what is still to ask.
DETAILS_FIRST = (
    "first_name", "last_name", "preferred_name", "date_of_birth", "age_band",
    "phone", "email", "preferred_contact_method", "postcode",
    "needs_device", "needs_connectivity", "needs_skills",
)  # fmt: skip
DETAILS_LATER = (
    "address_line_1", "address_line_2", "town", "local_authority", "preferred_language", "accessibility_needs",
    "referral_source", "referral_source_detail",
)  # fmt: skip
RESIDENT_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "preferred_name": "Preferred name (optional)",
    "age_band": "Age band, if they would rather not give their date of birth",
    "phone": "Phone number (optional)",
    "email": "Email address (optional)",
    "preferred_contact_method": "How would they like us to contact them? (optional)",
    "postcode": "Postcode (optional)",
    "address_line_1": "Address line 1 (optional)",
    "address_line_2": "Address line 2 (optional)",
    "town": "Town or city (optional)",
    "local_authority": "Local authority (optional)",
    "preferred_language": "Preferred language",
    "accessibility_needs": "Accessibility needs (optional)",
    "gender": "Gender (optional)",
    "ethnicity": "Ethnicity (optional)",
    "disability": "Do they consider themselves disabled? (optional)",
    "employment_status": "Employment status (optional)",
    "low_income": "On a low income or receiving benefits? (optional)",
    "carer": "Do they look after someone? (optional)",
    "needs_device": "A device to borrow",
    "needs_connectivity": "Mobile data or an internet connection",
    "needs_skills": "Help with digital skills",
    "referral_source": "How did they come to us? (optional)",
    "referral_source_detail": "Details (optional)",
    **{field: f"{label} (optional)" for field, label in choices.EDS_AREAS.items()},
}


class ResidentFieldsForm(GOVUKModelForm):
    """A resident's details, some of them: the choice lists offer "Not asked" first, and only field-level
    checks apply here (the services validate the whole record)."""

    class Meta:
        model = Resident
        fields = ()
        labels = RESIDENT_LABELS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.TypedChoiceField) and isinstance(field.widget, forms.Select):
                field.choices = BLANK + [c for c in field.choices if c[0] != ""]
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.form_tag = False

    def _post_clean(self):
        # The services validate the whole record; here only field-level checks apply, so a half-built
        # instance (no owning organisation yet) is never validated against the database.
        pass


class ResidentForm(ResidentFieldsForm):
    """Register or edit a resident: what is needed to help today first, then the rest, all optional."""

    date_of_birth = DateField(
        noun="Date of birth", two_digit_years="past", label="Date of birth", required=False,
        help_text="For example, 27 3 1961 or 27 March 61",
    )  # fmt: skip
    phone = PhoneNumberField(
        label=RESIDENT_LABELS["phone"],
        required=False,
        region="GB",
        widget=PhoneInput(region="GB"),
        error_messages={"invalid": "Enter a phone number like 07911 123456, or an international number starting +"},
    )

    class Meta(ResidentFieldsForm.Meta):
        fields = DETAILS_FIRST + DETAILS_LATER
        widgets = {"accessibility_needs": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"age_band": ""}
        error_messages = {
            "first_name": {"required": "Enter their first name"},
            "last_name": {"required": "Enter their last name"},
            "email": {"invalid": "Enter an email address like name@example.com"},
            "preferred_language": {"required": "Enter the language they would like us to use"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["postcode"].error_messages["invalid_postcode"] = "Enter a real UK postcode, like WV1 1AA"
        self.helper.layout = Layout(
            Fieldset(
                Field.text("first_name", field_width=20), Field.text("last_name", field_width=20),
                Field.text("preferred_name", field_width=20),
                Field("date_of_birth", context={"legend_size": Size.for_legend(Size.SMALL)}),
                Field.select("age_band"),
                legend="About them", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("phone", field_width=20), Field.text("email", field_width=30),
                Field.select("preferred_contact_method"), Field.text("postcode", field_width=10),
                legend="How to reach them", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                HTML('<div class="govuk-hint">Select all that apply.</div>'),
                Div(
                    Field.checkbox("needs_device"), Field.checkbox("needs_connectivity"),
                    Field.checkbox("needs_skills"), css_class="app-checkbox-list",
                ),
                legend="What do they need help with today?", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                HTML('<p class="govuk-body">Ask these now if there is time, or later. Equality monitoring and '
                     "their digital skills are asked from their page once they are registered.</p>"),
                Field.text("address_line_1"), Field.text("address_line_2"), Field.text("town", field_width=20),
                Field.select("local_authority"), Field.text("preferred_language", field_width=20),
                Field.textarea("accessibility_needs", rows=3),
                Field.select("referral_source"), Field.text("referral_source_detail"),
                legend="More about them", legend_size=Size.MEDIUM,
            ),
        )  # fmt: skip

    def clean_postcode(self):
        value = self.cleaned_data.get("postcode", "")
        return postcode_normalise(value) if value else ""

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean_date_of_birth(self):
        value = self.cleaned_data.get("date_of_birth")
        date_of_birth_validate(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("date_of_birth") and not cleaned.get("age_band") and "date_of_birth" not in self.errors:
            self.add_error("age_band", "Enter a date of birth, or choose an age band if they would rather not say")
        return cleaned


class EqualityForm(ResidentFieldsForm):
    """The equality monitoring questions, asked when there is time; each can be "prefer not to say"."""

    class Meta(ResidentFieldsForm.Meta):
        fields = choices.EQUALITY_FIELDS
        help_texts = {"low_income": ""}  # the model's help text only repeats the label

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            HTML('<p class="govuk-body">Every question is optional, and can be answered “prefer not to say”. '
                 "Leave one as “Not asked” if you did not ask it.</p>"),
            *[Field.select(name) for name in choices.EQUALITY_FIELDS],
        )  # fmt: skip


class SkillsForm(ResidentFieldsForm):
    """Their Essential Digital Skills baseline, one level per skill area."""

    class Meta(ResidentFieldsForm.Meta):
        fields = tuple(choices.EDS_AREAS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            HTML('<p class="govuk-body">For each area, what can they do today? Leave one as “Not asked” if you '
                 "did not ask about it.</p>"),
            *[Field.select(name) for name in choices.EDS_AREAS],
        )  # fmt: skip


class RegisterResidentForm(ResidentForm):
    confirm_new = forms.BooleanField(
        required=False, label="I have checked: this is a different person and needs a new record"
    )
    # Sent back by the page that showed the possible-duplicate warning (templates/inclusion/resident_form.html).
    duplicates_seen = forms.BooleanField(required=False, widget=forms.HiddenInput)

    CONFIRM_NEEDED = "Tick the box if this is a different person, or open the existing record instead"


class NoteForm(GOVUKForm):
    body = forms.CharField(
        label="Add a case note",
        help_text="What happened, what was agreed and what happens next.",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter the note",
            "max_length": f"A note must be {NOTE_MAX_LENGTH} characters or fewer",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.MEDIUM
        self.helper.layout = Layout(
            # The label is the page's heading: one "Add a case note", not a heading and a label saying it twice.
            Field.textarea("body", label_size=Size.LARGE, label_tag="h1", rows=4, max_characters=NOTE_MAX_LENGTH),
            Submit("submit", "Add note"),
        )


NOT_ASKED = ("", "Not asked this time")


class ConsentForm(GOVUKForm):
    """Every purpose the resident has no current consent for, answered at once: yes, no (refused, and kept
    as such) or not asked; and how they answered."""

    channel = forms.ChoiceField(
        label="How did they answer?",
        choices=choices.ConsentChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how they gave their answers"},
    )

    def __init__(self, *args, purposes: list[str], refused_on: dict[str, date] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        refused_on = refused_on or {}
        answers = [*choices.ConsentAnswer.choices, NOT_ASKED]
        for purpose in purposes:
            label = choices.ConsentPurpose(purpose).label
            refused = refused_on.get(purpose)
            self.fields[purpose] = forms.ChoiceField(
                label=label, choices=answers, required=False, widget=forms.RadioSelect,
                help_text=f"They said no on {refused:%-d %B %Y}." if refused else "",
            )  # fmt: skip
        self.fields["channel"] = self.fields.pop("channel")  # after the purposes
        self.purposes = purposes
        self.helper = FormHelper()
        self.helper.layout = Layout(
            HTML(
                f'<p class="govuk-body">Read them the consent wording, version {settings.CONSENT_WORDING_VERSION}, '
                "and record each answer. “No” is kept as their answer: it is not the same as not asked.</p>"
            ),
            *[Field.radios(purpose, legend_size=Size.SMALL, inline=False) for purpose in purposes],
            Field.radios("channel", legend_size=Size.SMALL),
            Submit("submit", "Record their answers"),
        )

    def clean(self):
        cleaned = super().clean()
        if self.purposes and not any(cleaned.get(purpose) for purpose in self.purposes):
            self.add_error(self.purposes[0], "Choose their answer for at least one purpose")
        return cleaned

    @property
    def answers(self) -> dict[str, str]:
        return {purpose: self.cleaned_data[purpose] for purpose in self.purposes if self.cleaned_data.get(purpose)}


class ConsentWithdrawForm(GOVUKForm):
    channel = forms.ChoiceField(
        label="How did they withdraw it?",
        choices=choices.ConsentChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how they withdrew their consent"},
    )
    note = forms.CharField(label="Reason or note (optional)", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("channel", legend_size=Size.SMALL),
            Field.text("note", label_size=Size.SMALL),
            Submit("submit", "Withdraw consent", css_class="govuk-button--warning"),
        )


class ContactProposalForm(ResidentFieldsForm):
    """New contact details a linked organisation proposes to the resident's owner: what differs from the record
    is proposed, the rest left as it is (inclusion.privacy.proposals)."""

    phone = PhoneNumberField(
        label=RESIDENT_LABELS["phone"],
        required=False,
        region="GB",
        widget=PhoneInput(region="GB"),
        error_messages={"invalid": "Enter a phone number like 07911 123456, or an international number starting +"},
    )

    class Meta(ResidentFieldsForm.Meta):
        fields = ContactProposal.FIELDS
        error_messages = {"email": {"invalid": "Enter an email address like name@example.com"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["postcode"].error_messages["invalid_postcode"] = "Enter a real UK postcode, like WV1 1AA"
        self.helper.layout = Layout(
            Field.text("phone", field_width=20), Field.text("email", field_width=30),
            Field.text("address_line_1"), Field.text("address_line_2"), Field.text("town", field_width=20),
            Field.text("postcode", field_width=10), Field.select("preferred_contact_method"),
        )  # fmt: skip

    def clean_postcode(self):
        value = self.cleaned_data.get("postcode", "")
        return postcode_normalise(value) if value else ""

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    @property
    def changes(self) -> dict:
        return {field: str(value) for field, value in self.cleaned_data.items() if value not in (None, "")}
