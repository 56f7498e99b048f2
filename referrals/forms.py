"""Staff web forms for referrals: the shape of what staff type, with clear messages. The rules (consent, who may
answer, what can happen next) are the services' (referrals/services.py), put on these forms by form_refuse."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms

from inclusion.choices import EDS_AREAS, ContactMethod, SkillLevel
from inclusion.forms.base import GOVUKForm, choices_without_blank

from .models import OUTCOME_FLAGS, DeclineReason, NotCompletedReason, ReferralNeed, Urgency
from .services import EDS_FIELDS, MESSAGE_MAX, NOTE_MAX

CONFIDENCE = [(str(n), label) for n, label in
              ((1, "1: not at all confident"), (2, "2"), (3, "3"), (4, "4"), (5, "5: very confident"))]  # fmt: skip


def _note(label="Note (optional)", help_text="", required=False, message="Enter the reason"):
    return forms.CharField(label=label, help_text=help_text, max_length=NOTE_MAX, required=required,
                           widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": message})  # fmt: skip


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.label_size = Size.SMALL
    helper.legend_size = Size.SMALL
    helper.layout = Layout(*fields, Submit("submit", submit))
    return helper


class ReferralForm(GOVUKForm):
    """Refer a resident: the service (chosen from the fits listed on the page) and the referral's details."""

    service = forms.ChoiceField(label="Which service?", widget=forms.RadioSelect,
                                error_messages={"required": "Choose a service", "invalid_choice": "Choose a service from the list"})  # fmt: skip
    need = forms.ChoiceField(label="What do they need?", choices=ReferralNeed.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Choose what they need"})  # fmt: skip
    reason = forms.CharField(label="Why are you referring them?", max_length=NOTE_MAX,
                             help_text="What they want to do, and anything the other organisation should know first",
                             widget=forms.Textarea(attrs={"rows": 4}),
                             error_messages={"required": "Enter why you are referring them"})  # fmt: skip
    urgency = forms.ChoiceField(label="How urgent is it?", choices=Urgency.choices, widget=forms.RadioSelect,
                                initial=Urgency.ROUTINE, error_messages={"required": "Choose how urgent it is"})  # fmt: skip
    preferred_contact = forms.ChoiceField(label="How would they like to be contacted? (optional)", required=False,
                                          choices=[("", "No preference"), *ContactMethod.choices])  # fmt: skip
    confidence_before = forms.TypedChoiceField(label="How confident do they feel using the internet? (optional)",
                                               choices=CONFIDENCE, coerce=int, empty_value=None, required=False,
                                               widget=forms.RadioSelect,
                                               help_text="Asked again when the course ends")  # fmt: skip

    def __init__(self, *args, service_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = service_choices
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.form_tag = False  # the page renders the service choices, with why each fits, in the same form
        self.helper.layout = Layout(
            Field.radios("need"), Field.textarea("reason"), Field.radios("urgency", inline=True),
            Field.select("preferred_contact"), Field.radios("confidence_before", inline=True),
            Submit("submit", "Send the referral"),
        )  # fmt: skip


class NoteForm(GOVUKForm):
    note = _note()

    def __init__(self, *args, submit: str, warning: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("note"), submit=submit)
        if warning:
            self.helper.layout[-1] = Submit("submit", submit, css_class="govuk-button--warning")


class DeclineForm(GOVUKForm):
    reason = forms.ChoiceField(label="Why are you declining it?", choices=DeclineReason.choices,
                               widget=forms.RadioSelect, error_messages={"required": "Choose why you are declining it"})  # fmt: skip
    note = _note(help_text="Needed if the reason is “Other”. The referring organisation sees it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.radios("reason"), Field.textarea("note"), submit="Decline the referral")


class NotCompletedForm(GOVUKForm):
    reason = forms.ChoiceField(label="Why did they not complete it?", choices=NotCompletedReason.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": "Choose why they did not complete it"})  # fmt: skip
    note = _note(help_text="Needed if the reason is “Other”")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.radios("reason"), Field.textarea("note"), submit="Record as not completed")


class OutcomeForm(GOVUKForm):
    """The outcome at completion: the Essential Digital Skills self-assessment again, area by area (each hint gives
    the resident's baseline from registration), confidence, and what changed."""

    confidence = forms.TypedChoiceField(label="How confident do they feel using the internet now?", choices=CONFIDENCE,
                                        coerce=int, empty_value=None, required=False, widget=forms.RadioSelect)  # fmt: skip
    flags = forms.MultipleChoiceField(label="What has changed for them? (optional)", choices=list(OUTCOME_FLAGS.items()),
                                      required=False, widget=forms.CheckboxSelectMultiple,
                                      help_text="Tick all that the resident says apply")  # fmt: skip
    note = _note()

    def __init__(self, *args, resident=None, confidence_before=None, at_completion=None, submit="Record completion",
                 **kwargs):  # fmt: skip
        """At completion each hint gives the resident's answer at registration; at follow-up (`at_completion`, the
        outcome recorded then) the answer at completion."""
        super().__init__(*args, **kwargs)
        levels = dict(SkillLevel.choices)
        area_fields = []
        for name in EDS_FIELDS:
            if at_completion is not None:
                before, when = getattr(at_completion, name, ""), "at completion"
            else:
                before, when = (getattr(resident, name, "") if resident is not None else ""), "at registration"
            baseline = levels.get(before, "")
            self.fields[name] = forms.ChoiceField(
                label=EDS_AREAS[name], choices=[("", "Not asked"), *SkillLevel.choices], required=False,
                widget=forms.RadioSelect,
                help_text=f"{when.capitalize()}: {baseline.lower()}" if baseline else f"Not assessed {when}",
            )  # fmt: skip
            area_fields.append(Field.radios(name, legend_size=Size.SMALL))
        if at_completion is not None and at_completion.confidence:
            self.fields["confidence"].help_text = f"At completion: {at_completion.confidence}"
        elif confidence_before:
            self.fields["confidence"].help_text = f"When referred: {confidence_before}"
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.layout = Layout(
            Fieldset(*area_fields, legend="Essential Digital Skills: what can they do now?", legend_size=Size.MEDIUM),
            Field.radios("confidence", inline=True), Field.checkboxes("flags"), Field.textarea("note"),
            Submit("submit", submit),
        )  # fmt: skip
        choices_without_blank(self.fields["confidence"])

    def outcome(self) -> dict:
        data = self.cleaned_data
        outcome = {name: data.get(name, "") for name in EDS_FIELDS}
        outcome["confidence"] = data.get("confidence")
        outcome.update({flag: flag in data.get("flags", []) for flag in OUTCOME_FLAGS})
        return outcome


class MessageForm(GOVUKForm):
    body = forms.CharField(label="Send a message to the other organisation", max_length=MESSAGE_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Enter the message"})  # fmt: skip

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("body"), submit="Send message")
        self.helper.form_action = action


class BulkForm(GOVUKForm):
    """A coordinator's answer to several received referrals at once (the ids come from the inbox's checkboxes)."""

    referrals = forms.MultipleChoiceField(error_messages={"required": "Choose at least one referral"})
    action = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")],
                               error_messages={"required": "Choose accept or decline"})  # fmt: skip
    reason = forms.ChoiceField(label="Reason for declining", choices=[("", "Choose a reason"), *DeclineReason.choices],
                               required=False)  # fmt: skip

    def __init__(self, *args, referral_choices: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referrals"].choices = [(pk, pk) for pk in referral_choices]

    def clean(self):
        data = super().clean()
        if data.get("action") == "decline" and not data.get("reason"):
            self.add_error("reason", "Choose why you are declining them")
        return data


class WebhookEndpointForm(GOVUKForm):
    url = forms.URLField(label="Address of your system", max_length=500, assume_scheme="https",
                         widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false", "autocomplete": "off"}),
                         help_text="It must start with https://", error_messages={"required": "Enter the address",
                                                                                   "invalid": "Enter a real web address, like https://crm.example.org/hooks/referrals"})  # fmt: skip
    description = forms.CharField(label="Description (optional)", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("url"), Field.text("description"), submit="Add the endpoint")
