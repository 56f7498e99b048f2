"""The GOV.UK form base every staff form uses: widgets that turn red in error, an error summary whose links
land on inputs that exist, GOV.UK wording for too long and whole-number answers, the one date field, and
the hook that puts a service's refusal on the right input (inclusion.web.form_refuse).

    class WipeForm(GOVUKForm):
        wiped_on = DateField(noun="Wipe date", when="past", label="When was it wiped?")
        certificate_reference = forms.CharField(max_length=100, required=False)  # "... 100 characters or fewer"
"""

from datetime import date

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils import timezone
from phonenumber_field.widgets import RegionalPhoneNumberWidget

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


class GOVUKFormMixin:
    """What every staff form does, whatever Django form it is (Form, ModelForm, AuthenticationForm):

    - fields in error are marked red in GOV.UK style (GovukErrorStyle: plain email, password and select
      widgets are swapped for it);
    - each error in the summary links to an input that exists (templates/includes/error_summary.html):
      crispy-forms-gds numbers radios and checkboxes id_<name>_1, _2..., while its summary links to id_<name>;
    - text that is too long says so in GOV.UK's words: "Make must be 100 characters or fewer";
    - a service's refusal lands on the input at fault (add_refusal, used by inclusion.web.form_refuse).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            replacement = GOVUK_WIDGETS.get(type(field.widget))
            if replacement is not None:
                # The form's own copy of the widget (fields are deep-copied per form), as the subclass that only
                # changes its classes: its choices, attributes and state stay as the field made them.
                field.widget.__class__ = replacement
            if isinstance(field, forms.CharField) and field.max_length:
                label = str(field.label or "").removesuffix(" (optional)") or "The answer"
                field.error_messages.setdefault("max_length", f"{label} must be {field.max_length} characters or fewer")

    def add_refusal(self, field: str | None, message) -> None:
        """An error found after validation (a rule, or a service's refusal) on `field` (None: the whole form);
        a date's is pinned on its day input, so the summary's link lands on it."""
        if field is not None and isinstance(self.fields.get(field), DateField):
            self.fields[field].pin_error(str(message))
        self.add_error(field, message)

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


MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def month_number(text: str) -> int | None:
    """The month a person typed: '4', '04', 'April', 'apr', 'Sept.' → 4 or 9; None if it is not one."""
    text = (text or "").strip().lower().rstrip(".")
    if text.isdigit():
        return int(text)
    found = [number for number, name in enumerate(MONTHS, start=1) if len(text) >= 3 and name.startswith(text)]
    return found[0] if len(found) == 1 else None


class DateField(DateInputField):
    """Day, month and year inputs, the one date field the staff forms share, with GOV.UK's date error messages,
    each pinned on the input at fault so the error summary links (and moves focus) to it. `noun` starts the
    messages: "Return date must be a real date". `when` = "past" or "future" also refuses dates after, or
    before, today.

    It forgives what people type: a month by name ("April", "apr"), and a two-digit year: with `two_digit_years`
    "past" (a date of birth, and by default when `when` is "past") the latest such date not after today, so
    '61' is 1961; otherwise the year nearest this one ('27' is 2027), which `when` then checks like any other.
    (GOV.UK's date input pattern allows both.)"""

    def __init__(self, *, noun: str, when: str | None = None, two_digit_years: str | None = None, **kwargs):
        kwargs.setdefault("require_all_fields", False)
        super().__init__(**kwargs)
        self.noun = noun
        self.when = when
        self.two_digit_years = two_digit_years or ("past" if when == "past" else "nearest")
        self.error_messages["required"] = f"Enter the {noun.lower()}"
        real = f"{noun} must be a real date"
        for part, name in zip(self.fields, ("day", "month", "year"), strict=True):
            part.error_messages["incomplete"] = f"{noun} must include a {name}"
            part.validators = [RegexValidator(r"^[0-9]+$" if name != "month" else r"^([0-9]+|[A-Za-z]+\.?)$", real)]
        for widget in self.widget.widgets:
            widget.attrs["inputmode"] = "numeric"

    def pin_error(self, message: str, part: int | None = None) -> None:
        """Show `message` on one input (day 0, month 1, year 2), or on the whole date (linked from its day).
        crispy-forms-gds marks the inputs that carry an error red."""
        self.fields[part or 0].widget.errors = [message]

    def clean(self, value):
        try:
            day = super().clean(value)
        except forms.ValidationError as error:
            if getattr(error, "code", None) == "required":
                self.pin_error(error.messages[0])
            raise
        today = timezone.localdate()
        if day and ((self.when == "past" and day > today) or (self.when == "future" and day < today)):
            message = f"{self.noun} must be today or in the {self.when}"
            self.pin_error(message)
            raise forms.ValidationError(message, code=f"not_{self.when}")
        return day

    def full_year(self, year: str, month: int, day: int) -> int:
        """The year meant by what was typed: as typed with three digits or more; else as two_digit_years says."""
        if len(year) > 2:
            return int(year)
        today = timezone.localdate()
        century = today.year // 100 * 100
        candidates = [century + offset + int(year) for offset in (-100, 0, 100)]
        if self.two_digit_years == "past":
            return max(c for c in candidates if (c, month, day) <= (today.year, today.month, today.day))
        return min(candidates, key=lambda c: abs(c - today.year))

    def compress(self, data_list):
        if not data_list or not all(data_list):
            return None
        day_text, month_text, year_text = data_list
        message = f"{self.noun} must be a real date"
        month = month_number(month_text)
        if month is None or not 1 <= month <= 12:
            self.pin_error(message, 1)
            raise forms.ValidationError(message, code="invalid")
        year = self.full_year(year_text, month, int(day_text))
        if year < 1000:
            self.pin_error(message, 2)
            raise forms.ValidationError(message, code="invalid")
        try:
            return date(year, month, int(day_text))
        except ValueError:
            self.pin_error(message, 0)
            raise forms.ValidationError(message, code="invalid") from None


def whole_number(field: forms.Field, low: int, high: int, noun: str) -> None:
    """Make `field` a whole-number answer in GOV.UK's words: "Most per resident must be a whole number between
    1 and 20", typed in a text input (GOV.UK advises against number inputs)."""
    message = f"{noun} must be a whole number between {low} and {high}"
    field.validators = [MinValueValidator(low, message), MaxValueValidator(high, message)]
    field.error_messages.update(required=f"Enter {noun.lower()} as a number", invalid=message)
    field.widget = forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false", "autocomplete": "off"})


def choices_without_blank(field: forms.ChoiceField) -> None:
    """A choice field that must be answered: no empty choice to pick."""
    field.choices = [choice for choice in field.choices if choice[0] != ""]


class GOVUKForm(GOVUKFormMixin, forms.Form):
    pass


class GOVUKModelForm(GOVUKFormMixin, forms.ModelForm):
    pass


class PhoneInput(GovukErrorStyle, RegionalPhoneNumberWidget):
    """The phone widget with GOV.UK input styles. crispy-forms-gds only styles the widget classes it knows
    (TextInput and friends), so it would render this one as a bare browser input, error state included."""
