"""Staff web forms of the service directory: the search, a service's details and a place it runs. They check
the shape of what was typed; the rules across fields are the services' (referrals/directory/services.py)."""

from datetime import time

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms

from inclusion.forms.base import DateField, GOVUKForm, choices_without_blank, whole_number
from inclusion.imports import ImportFileForm

from .imports import MAX_BYTES, time_of_day
from .models import Delivery, ServiceKind, ServiceLevel, ServiceStatus, SkillArea, Weekday
from .selectors import place_district
from .services import SETTABLE_STATUSES

YES_NO = [("yes", "Yes"), ("no", "No")]


class TimeOfDayField(forms.CharField):
    """A time as people type it: 10, 10am, 10:30, 2.30pm, 14:30."""

    def __init__(self, *, noun: str, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)
        self.noun = noun
        self.widget.attrs.update(autocomplete="off", spellcheck="false")

    def clean(self, value):
        try:
            return time_of_day(super().clean(value))
        except ValueError:
            raise forms.ValidationError(f"{self.noun} must be a time, like 10am or 14:30", code="invalid") from None


def _time_text(value) -> str:
    return value.strftime("%H:%M") if isinstance(value, time) else (value or "")


class DirectorySearchForm(GOVUKForm):
    """The directory's filters (GET)."""

    q = forms.CharField(label="Words in the name or description", required=False, max_length=100)
    skill_area = forms.ChoiceField(
        label="Skill area", required=False, choices=[("", "Any skill area"), *SkillArea.choices]
    )
    kind = forms.ChoiceField(label="Kind of service", required=False, choices=[("", "Any kind"), *ServiceKind.choices])
    place = forms.CharField(label="Postcode or district", help_text="For example, WV10 or WV10 6QR", required=False,
                            max_length=40)  # fmt: skip
    delivery = forms.ChoiceField(label="How it is delivered", required=False,
                                 choices=[("", "In person or online"), *Delivery.choices])  # fmt: skip
    day = forms.ChoiceField(label="Day", required=False, choices=[("", "Any day"), *Weekday.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].widget.attrs.update(autocomplete="postal-code", spellcheck="false")
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(
            Field.text("q"), Field.select("skill_area"), Field.select("kind"), Field.text("place", field_width=10),
            Field.select("delivery"), Field.select("day"),
            Submit("search", "Search the directory", css_class="govuk-button--secondary"),
        )  # fmt: skip

    def clean_place(self):
        place = self.cleaned_data["place"].strip()
        if place and place_district(place) is None:
            raise forms.ValidationError("Enter a postcode or the first part of one, like WV10", code="invalid")
        return place_district(place) or ""


class ServiceForm(GOVUKForm):
    """A service's details. The add form also asks where it runs (ServiceAddForm)."""

    name = forms.CharField(label="Name of the service", max_length=200,
                           help_text="What residents and partners call it, for example Get online: computer basics")  # fmt: skip
    description = forms.CharField(label="Description", max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text="What happens, who it suits and what they will be able to do afterwards")  # fmt: skip
    kind = forms.ChoiceField(label="What kind of service is it?", choices=ServiceKind.choices, widget=forms.RadioSelect)
    skill_areas = forms.MultipleChoiceField(
        label="Which Essential Digital Skills areas does it cover? (optional)", required=False,
        help_text="Select all that apply", choices=SkillArea.choices, widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    level = forms.ChoiceField(label="Who is it for?", choices=ServiceLevel.choices, widget=forms.RadioSelect)
    delivery = forms.ChoiceField(label="How is it delivered?", choices=Delivery.choices, widget=forms.RadioSelect)
    days = forms.MultipleChoiceField(label="Which days does it run? (optional)", required=False,
                                     choices=Weekday.choices, widget=forms.CheckboxSelectMultiple)  # fmt: skip
    opens_at = TimeOfDayField(noun="Start time", label="Start time (optional)", help_text="For example, 10am or 14:30")
    closes_at = TimeOfDayField(
        noun="Finish time", label="Finish time (optional)", help_text="For example, 12pm or 16:00"
    )
    schedule_description = forms.CharField(
        label="Anything else about when it runs (optional)", max_length=300, required=False,
        help_text="For example, six weekly sessions from 14 April, or term time only",
    )  # fmt: skip
    capacity = forms.IntegerField(label="Places per course or session (optional)", required=False)
    free = forms.ChoiceField(label="Is it free?", choices=YES_NO, widget=forms.RadioSelect)
    cost_description = forms.CharField(label="What does it cost? (if not free)", max_length=200, required=False,
                                       help_text="For example, £2 a session, free for people on Universal Credit")  # fmt: skip
    eligibility = forms.CharField(label="Who can use it? (optional)", max_length=500, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text="For example, Wolverhampton residents aged 19 and over")  # fmt: skip
    minimum_age = forms.IntegerField(label="Youngest age (optional)", required=False)
    maximum_age = forms.IntegerField(label="Oldest age (optional)", required=False)
    languages = forms.CharField(label="Languages it is delivered in (optional)", max_length=600, required=False,
                                help_text="Separate them with commas, for example English, Punjabi, Polish")  # fmt: skip
    accessibility = forms.CharField(label="Accessibility (optional)", max_length=500, required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text="For example, step-free access, hearing loop, large-print handouts")  # fmt: skip
    contact_name = forms.CharField(label="Contact team or role (optional)", max_length=150, required=False,
                                   help_text="A team or role rather than a person, for example Digital skills team")  # fmt: skip
    contact_email = forms.EmailField(label="Contact email (optional)", max_length=254, required=False,
                                     help_text="A shared mailbox rather than a person's own address",
                                     error_messages={"invalid": "Enter an email address, like skills@example.org"})  # fmt: skip
    contact_phone = forms.CharField(label="Contact phone (optional)", max_length=30, required=False)
    url = forms.URLField(label="Web page (optional)", max_length=200, required=False, assume_scheme="https",
                         widget=forms.TextInput(attrs={"type": "url", "spellcheck": "false", "autocomplete": "url"}),
                         error_messages={"invalid": "Enter a web address, like https://example.org/courses"})  # fmt: skip
    referrals_open = forms.ChoiceField(label="Can partners refer residents to it now?", choices=YES_NO,
                                       widget=forms.RadioSelect)  # fmt: skip
    status = forms.ChoiceField(
        label="Is it running?", widget=forms.RadioSelect,
        choices=[(value, label) for value, label in ServiceStatus.choices if value in SETTABLE_STATUSES],
    )  # fmt: skip
    active_from = DateField(noun="First day", label="First day (optional)", required=False,
                            help_text="For a course with dates, for example 14 4 2027")  # fmt: skip
    active_until = DateField(noun="Last day", label="Last day (optional)", required=False,
                             help_text="After this day it no longer shows in searches")  # fmt: skip

    REQUIRED = {
        "name": "Enter the service's name",
        "description": "Enter a description of the service",
        "kind": "Choose what kind of service it is",
        "level": "Choose who it is for",
        "delivery": "Choose how it is delivered",
        "free": "Say whether it is free",
        "referrals_open": "Say whether partners can refer residents to it now",
        "status": "Say whether it is running",
    }

    def __init__(self, *args, service=None, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        if service is not None:
            initial = {name: getattr(service, name) for name in self.base_fields if hasattr(service, name)}
            initial.update(
                free="yes" if service.free else "no", referrals_open="yes" if service.referrals_open else "no",
                languages=", ".join(service.languages), opens_at=_time_text(service.opens_at),
                closes_at=_time_text(service.closes_at),
            )  # fmt: skip
        else:
            initial = {"free": "yes", "referrals_open": "yes", "status": ServiceStatus.ACTIVE,
                       "level": ServiceLevel.ANY, "languages": "English", **initial}  # fmt: skip
        super().__init__(*args, initial=initial, **kwargs)
        for name, message in self.REQUIRED.items():
            self.fields[name].error_messages["required"] = message
            if isinstance(self.fields[name], forms.ChoiceField):
                self.fields[name].error_messages["invalid_choice"] = message
                choices_without_blank(self.fields[name])
        for name in ("skill_areas", "days"):
            self.fields[name].error_messages["invalid_choice"] = "Choose from the list"
        whole_number(self.fields["capacity"], 1, 10000, "Places")
        whole_number(self.fields["minimum_age"], 0, 120, "Youngest age")
        whole_number(self.fields["maximum_age"], 0, 120, "Oldest age")
        self.fields["contact_phone"].widget.attrs.update(autocomplete="off", type="tel")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        small = {"legend_size": Size.SMALL, "small": True}
        self.helper.layout = Layout(
            Fieldset(
                Field.text("name"), Field.textarea("description", rows=4, max_characters=4000),
                Field.radios("kind", **small), Field.checkboxes("skill_areas", **small), Field.radios("level", **small),
                legend="The service", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.radios("delivery", **small), *self._place_fields(), Field.checkboxes("days", **small),
                Field.text("opens_at", field_width=5), Field.text("closes_at", field_width=5),
                Field.text("schedule_description"), Field.text("capacity", field_width=4),
                legend="Where and when", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.radios("free", inline=True, **small), Field.text("cost_description"),
                Field.textarea("eligibility", rows=2), Field.text("minimum_age", field_width=3),
                Field.text("maximum_age", field_width=3), Field.text("languages"), Field.textarea("accessibility", rows=2),
                legend="Who it is for", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("contact_name", field_width=20), Field.text("contact_email", field_width=20),
                Field.text("contact_phone", field_width=20), Field.text("url"),
                legend="Contact", legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.radios("referrals_open", inline=True, **small), Field.radios("status", **small),
                Field("active_from", context={"legend_size": Size.for_legend(Size.SMALL)}),
                Field("active_until", context={"legend_size": Size.for_legend(Size.SMALL)}),
                legend="Referrals and dates", legend_size=Size.MEDIUM,
            ),
        )  # fmt: skip

    def _place_fields(self):
        return []

    def clean_languages(self):
        return [part.strip() for part in self.cleaned_data["languages"].split(",") if part.strip()]

    def clean(self):
        data = super().clean()
        for name in ("free", "referrals_open"):
            if name in data:
                data[name] = data[name] == "yes"
        return data

    def service_details(self) -> dict:
        """The details as the services take them."""
        return {name: value for name, value in self.cleaned_data.items() if not name.startswith("location_")}


class LocationForm(GOVUKForm):
    """One place a service runs."""

    name = forms.CharField(label="Name of the place (optional)", max_length=200, required=False,
                           help_text="For example, Central Library, IT suite")  # fmt: skip
    address_line_1 = forms.CharField(label="Address line 1", max_length=200)
    address_line_2 = forms.CharField(label="Address line 2 (optional)", max_length=200, required=False)
    town = forms.CharField(label="Town or city", max_length=100)
    postcode = forms.CharField(label="Postcode", max_length=10)
    accessibility = forms.CharField(label="Getting in and around (optional)", max_length=500, required=False,
                                    help_text="For example, ramp at the side entrance, lift to the first floor")  # fmt: skip

    def __init__(self, *args, with_helper: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address_line_1"].error_messages["required"] = "Enter the first line of the address"
        self.fields["town"].error_messages["required"] = "Enter the town or city"
        self.fields["postcode"].error_messages["required"] = "Enter the postcode"
        self.fields["postcode"].widget.attrs.update(autocomplete="postal-code", spellcheck="false")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(
            Field.text("name"), Field.text("address_line_1"), Field.text("address_line_2"),
            Field.text("town", field_width=20), Field.text("postcode", field_width=10), Field.text("accessibility"),
        )  # fmt: skip


class ServiceAddForm(ServiceForm):
    """A new service and, for one delivered in person, the first place it runs (more can be added after)."""

    location_name = forms.CharField(label="Name of the place (optional)", max_length=200, required=False,
                                    help_text="For example, Central Library, IT suite")  # fmt: skip
    location_address_line_1 = forms.CharField(label="Address line 1", max_length=200, required=False)
    location_town = forms.CharField(label="Town or city", max_length=100, required=False)
    location_postcode = forms.CharField(label="Postcode", max_length=10, required=False)

    def _place_fields(self):
        return [
            Fieldset(
                Field.text("location_name"), Field.text("location_address_line_1"),
                Field.text("location_town", field_width=20), Field.text("location_postcode", field_width=10),
                legend="Where it runs (not needed for online services)", legend_size=Size.SMALL,
            )
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        place = {name: data.get(f"location_{name}", "") for name in ("name", "address_line_1", "town", "postcode")}
        if data.get("delivery") in (Delivery.IN_PERSON, Delivery.BLENDED) or any(place.values()):
            for name, message in (("address_line_1", "Enter the first line of the address where it runs"),
                                  ("town", "Enter the town or city where it runs"),
                                  ("postcode", "Enter the postcode where it runs")):  # fmt: skip
                if not place[name] and f"location_{name}" not in self.errors:
                    self.add_error(f"location_{name}", message)
        return data

    def locations(self) -> list[dict]:
        place = {
            name: self.cleaned_data.get(f"location_{name}", "")
            for name in ("name", "address_line_1", "town", "postcode")
        }
        return [place] if place["address_line_1"] else []


class ServiceImportForm(ImportFileForm):
    """The services import's upload (the flow is inclusion/imports.py's)."""

    max_bytes = MAX_BYTES
