"""Staff web forms: validation and the messages staff see. Saving is the services' job."""

from datetime import date

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Div, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from . import choices
from .models import Resident
from .services import NOTE_MAX_LENGTH, RESIDENT_FIELDS
from .validators import postcode_normalise

BLANK = [("", "Not asked")]


class GovukErrorStyle:
    """A widget that marks itself in error in GOV.UK style (from Django's aria-invalid), with its component's
    classes. crispy-forms-gds marks only widgets named Select, TextInput and Textarea, and a select with the
    input's class (govuk-input--error, not govuk-select--error); it also adds the lower-cased class name of a
    widget it does not know as a class, which is dropped here."""

    base_class = "govuk-input"
    error_class = "govuk-input--error"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        unwanted = {type(self).__name__.lower(), "govuk-input--error", "govuk-select--error"}
        classes = [self.base_class, *(c for c in widget_attrs.get("class", "").split() if c not in unwanted)]
        if widget_attrs.get("aria-invalid") == "true":
            classes.append(self.error_class)
        widget_attrs["class"] = " ".join(dict.fromkeys(classes))
        return context


class EmailInput(GovukErrorStyle, forms.EmailInput):
    pass


class PasswordInput(GovukErrorStyle, forms.PasswordInput):
    pass


class GovukSelect(GovukErrorStyle, forms.Select):
    base_class = "govuk-select"
    error_class = "govuk-select--error"


GOVUK_WIDGETS = {forms.EmailInput: EmailInput, forms.PasswordInput: PasswordInput, forms.Select: GovukSelect}


class ErrorAnchors:
    """Where each error in the summary links to (templates/includes/error_summary.html), and fields in error
    marked red in GOV.UK style (GovukErrorStyle: plain email, password and select widgets are swapped for it).

    crispy-forms-gds numbers radios and checkboxes id_<name>_1, _2..., while its error summary links to
    id_<name>, which does not exist, so the link neither moves nor focuses anything."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            replacement = GOVUK_WIDGETS.get(type(field.widget))
            if replacement is not None:
                # The form's own copy of the widget (fields are deep-copied per form), as the subclass that only
                # changes its classes: its choices, attributes and state stay as the field made them.
                field.widget.__class__ = replacement

    @property
    def error_anchors(self) -> dict[str, str]:
        anchors = {}
        for bound in self.visible_fields():
            widget = bound.field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchors[bound.name] = f"{bound.auto_id}_1"
        first = next(iter(self.visible_fields()), None)
        if first is not None:
            multi = isinstance(first.field.widget, forms.MultiWidget)
            anchors["__all__"] = anchors.get(first.name, f"{first.auto_id}_0" if multi else first.auto_id)
        return anchors


class DateOfBirthField(DateInputField):
    """Day, month and year inputs with GOV.UK's date error messages, instead of Python's ("month must be in
    1..12") for a date that does not exist."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for part, name in zip(self.fields, ("day", "month", "year"), strict=True):
            part.error_messages["incomplete"] = f"Date of birth must include a {name}"
            part.validators = [RegexValidator(r"^[0-9]+$", "Date of birth must be a real date")]

    def compress(self, data_list):
        try:
            return super().compress(data_list)
        except forms.ValidationError:
            # Pin the error on the input that is wrong, so the error summary links (and moves focus) to it.
            day, month, year = (int(value) for value in data_list)
            wrong = 2 if year < 1 else 1 if not 1 <= month <= 12 else 0
            message = "Date of birth must be a real date"
            self.fields[wrong].widget.errors = [message]
            raise forms.ValidationError(message, code="invalid") from None


class PhoneInput(GovukErrorStyle, RegionalPhoneNumberWidget):
    """The phone widget with GOV.UK input styles. crispy-forms-gds only styles the widget classes it knows
    (TextInput and friends), so it would render this one as a bare browser input, error state included."""


class LoginForm(ErrorAnchors, AuthenticationForm):
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


class SearchForm(ErrorAnchors, forms.Form):
    q = forms.CharField(
        label="Name, postcode or phone number",
        max_length=100,
        required=False,
        help_text="For example: Jane Smith, WV1 1AA or 07911 123456",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()  # the page writes its own markup; the helper lets the error summary show


class ResidentForm(ErrorAnchors, forms.ModelForm):
    date_of_birth = DateOfBirthField(
        label="Date of birth", required=False, require_all_fields=False, help_text="For example, 27 3 1961"
    )
    phone = PhoneNumberField(
        label="Phone number",
        required=False,
        region="GB",
        widget=PhoneInput(region="GB"),
        error_messages={"invalid": "Enter a phone number like 07911 123456, or an international number starting +"},
    )

    class Meta:
        model = Resident
        fields = RESIDENT_FIELDS
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
            "preferred_name": "Preferred name (optional)",
            "age_band": "Age band, if they would rather not give their date of birth",
            "email": "Email address (optional)",
            "address_line_1": "Address line 1",
            "address_line_2": "Address line 2 (optional)",
            "town": "Town or city",
            "preferred_contact_method": "How would they like us to contact them?",
            "preferred_language": "Preferred language",
            "accessibility_needs": "Accessibility needs (optional)",
            "low_income": "On a low income or receiving benefits?",
            "carer": "Do they look after someone?",
            "disability": "Do they consider themselves disabled?",
            "needs_device": "Needs a device",
            "needs_connectivity": "Needs mobile data or an internet connection",
            "needs_skills": "Wants help with digital skills",
            "referral_source": "How did they come to us?",
            "referral_source_detail": "Details (optional)",
            **{field: label for field, label in choices.EDS_AREAS.items()},
        }
        widgets = {"accessibility_needs": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"low_income": ""}  # the model's help text only repeats the label
        error_messages = {
            "first_name": {"required": "Enter their first name"},
            "last_name": {"required": "Enter their last name"},
            "email": {"invalid": "Enter an email address like name@example.com"},
            "preferred_language": {"required": "Enter the language they would like us to use"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        optional_choices = {
            "age_band", "local_authority", "preferred_contact_method", "gender", "ethnicity", "disability",
            "employment_status", "low_income", "carer", "referral_source", *choices.EDS_AREAS,
        }  # fmt: skip
        for name in optional_choices:
            field = self.fields[name]
            field.choices = BLANK + [c for c in field.choices if c[0] != ""]
        self.fields["postcode"].error_messages["invalid_postcode"] = "Enter a real UK postcode, like WV1 1AA"
        for part in self.fields["date_of_birth"].widget.widgets:
            part.attrs["inputmode"] = "numeric"  # a number keypad on phones and tablets
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
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
                Field.select("preferred_contact_method"), Field.text("preferred_language", field_width=20),
                Field.textarea("accessibility_needs", rows=3),
                legend="Contact", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("address_line_1"), Field.text("address_line_2"), Field.text("town", field_width=20),
                Field.text("postcode", field_width=10), Field.select("local_authority"),
                legend="Address", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Div(
                    Field.checkbox("needs_device"), Field.checkbox("needs_connectivity"),
                    Field.checkbox("needs_skills"), css_class="app-checkbox-list",
                ),
                *[Field.select(name) for name in choices.EDS_AREAS],
                legend="What they need", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                HTML('<p class="govuk-hint">Every question is optional and can be answered “prefer not to say”.</p>'),
                Field.select("gender"), Field.select("ethnicity"), Field.select("disability"),
                Field.select("employment_status"), Field.select("low_income"), Field.select("carer"),
                legend="Equality monitoring", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.select("referral_source"), Field.text("referral_source_detail"),
                legend="How they were referred", legend_size=Size.MEDIUM,
            ),
        )  # fmt: skip
        self.helper.form_tag = False

    def clean_postcode(self):
        value = self.cleaned_data.get("postcode", "")
        return postcode_normalise(value) if value else ""

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean_date_of_birth(self):
        value = self.cleaned_data.get("date_of_birth")
        if value and value > date.today():
            raise forms.ValidationError("Date of birth must be in the past")
        if value and value.year < 1900:
            raise forms.ValidationError("Date of birth must be after 1900")
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("date_of_birth") and not cleaned.get("age_band") and "date_of_birth" not in self.errors:
            self.add_error("age_band", "Enter a date of birth, or choose an age band if they would rather not say")
        return cleaned

    def _post_clean(self):
        # The services validate the whole record; here only field-level checks apply, so a half-built
        # instance (no owning organisation yet) is never validated against the database.
        pass


class RegisterResidentForm(ResidentForm):
    confirm_new = forms.BooleanField(
        required=False, label="I have checked: this is a different person and needs a new record"
    )
    # Sent back by the page that showed the possible-duplicate warning (templates/inclusion/resident_form.html).
    duplicates_seen = forms.BooleanField(required=False, widget=forms.HiddenInput)

    CONFIRM_NEEDED = "Tick the box if this is a different person, or open the existing record instead"


class NoteForm(ErrorAnchors, forms.Form):
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


class ConsentForm(ErrorAnchors, forms.Form):
    purpose = forms.ChoiceField(
        label="What are they agreeing to?",
        choices=choices.ConsentPurpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what they are agreeing to"},
    )
    channel = forms.ChoiceField(
        label="How did they give it?",
        choices=choices.ConsentChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how they gave their consent"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            HTML(
                f'<p class="govuk-body">Read them the consent wording, version {settings.CONSENT_WORDING_VERSION}, '
                "before you record their answer.</p>"
            ),
            Field.radios("purpose", legend_size=Size.SMALL),
            Field.radios("channel", legend_size=Size.SMALL),
            Submit("submit", "Record consent"),
        )


class ConsentWithdrawForm(ErrorAnchors, forms.Form):
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
