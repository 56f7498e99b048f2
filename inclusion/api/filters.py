"""Filters for the partner API's lists."""

from datetime import UTC

import django_filters
from django_filters.fields import IsoDateTimeField

from .. import choices
from ..models import Resident
from ..selectors import resident_search_condition
from ..validators import postcode_search_key


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time with any offset Python accepts (under 24 hours), compared in UTC: PostgreSQL
    refuses offsets beyond ±15:59, which made ?updated_after=...+16:00 a 500."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.astimezone(UTC) if value is not None and value.tzinfo is not None else value


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class ResidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name, postcode or phone number (start of)")
    postcode = django_filters.CharFilter(method="filter_postcode", label="Postcode or its start, e.g. WV1")
    local_authority = django_filters.ChoiceFilter(choices=choices.LocalAuthority.choices)
    owning_organisation = django_filters.CharFilter(field_name="owning_organisation__slug")
    registered_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    registered_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    updated_after = UTCIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    needs_device = django_filters.BooleanFilter()
    needs_connectivity = django_filters.BooleanFilter()
    needs_skills = django_filters.BooleanFilter()

    class Meta:
        model = Resident
        fields = []

    def filter_q(self, queryset, name, value):
        condition = resident_search_condition(value)
        return queryset.none() if condition is None else queryset.filter(condition)

    def filter_postcode(self, queryset, name, value):
        return queryset.filter(postcode_key__startswith=postcode_search_key(value))
