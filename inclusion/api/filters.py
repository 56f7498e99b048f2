"""Filters for the partner API's lists."""

from datetime import UTC

import django_filters
from django import forms
from django.db.models import Q
from django_filters.fields import IsoDateTimeField

from .. import choices
from ..models import ContactProposal, Resident
from ..selectors import resident_postcode_condition, resident_search_alternatives, resident_search_condition


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time with any offset Python accepts (under 24 hours), compared in UTC: PostgreSQL
    refuses offsets beyond ±15:59, which made ?updated_after=...+16:00 a 500."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.astimezone(UTC) if value is not None and value.tzinfo is not None else value


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class StrictBooleanField(forms.NullBooleanField):
    """true or false (or 1 / 0); anything else is an error, not "no filter" (?needs_device=maybe used to
    return everyone)."""

    widget = forms.TextInput  # the raw value: the default widgets turn anything unknown into None
    default_error_messages = {"invalid": "Use true or false."}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if str(value).lower() in ("true", "1"):
            return True
        if str(value).lower() in ("false", "0"):
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ResidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name, postcode or phone number (start of)")
    postcode = django_filters.CharFilter(
        method="filter_postcode", label="Postcode or its start: WV1 1AA, WV1 1, or WV1 (that district, not WV10)"
    )
    local_authority = django_filters.ChoiceFilter(choices=choices.LocalAuthority.choices)
    owning_organisation = django_filters.CharFilter(field_name="owning_organisation__slug")
    registered_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    registered_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    updated_after = UTCIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    needs_device = StrictBooleanFilter()
    needs_connectivity = StrictBooleanFilter()
    needs_skills = StrictBooleanFilter()

    class Meta:
        model = Resident
        fields = []

    SEARCH = ("q", "postcode")

    def filter_q(self, queryset, name, value):
        condition = resident_search_condition(value)
        return queryset.none() if condition is None else queryset.filter(condition)

    def filter_postcode(self, queryset, name, value):
        condition = resident_postcode_condition(value)
        return queryset.none() if condition is None else queryset.filter(condition)

    def search(self) -> list[Q] | None:
        """The valid filters' q and postcode as a search (selectors.resident_search_alternatives: conditions
        whose OR is what filter_q and filter_postcode apply), None without either; [] when one cannot match."""
        q, postcode = (self.form.cleaned_data.get(name) for name in self.SEARCH)
        if not (q or postcode):
            return None
        alternatives = resident_search_alternatives(q) if q else [Q()]
        postcode_condition = resident_postcode_condition(postcode) if postcode else Q()
        if alternatives is None or postcode_condition is None:
            return []
        return [alternative & postcode_condition for alternative in alternatives]

    def filter_queryset_besides_search(self, queryset):
        """filter_queryset without q and postcode (given to access.VisibleResidents apart: search())."""
        for name, value in self.form.cleaned_data.items():
            if name not in self.SEARCH:
                queryset = self.filters[name].filter(queryset, value)
        return queryset


class ContactProposalFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ContactProposal.Status.choices)
    direction = django_filters.ChoiceFilter(
        choices=[("sent", "Proposed by you"), ("received", "About your residents, for you to answer")],
        method="filter_direction",
    )

    class Meta:
        model = ContactProposal
        fields = []

    def filter_direction(self, queryset, name, value):
        organisation = self.request.user.organisation
        if value == "sent":
            return queryset.filter(organisation=organisation)
        return queryset.filter(resident__owning_organisation=organisation)
