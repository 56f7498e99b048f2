"""Filters for the partner API's lists."""

import django_filters

from .. import choices
from ..models import Resident
from ..selectors import resident_postcode_condition, resident_search_condition


class ResidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name, postcode or phone number (start of)")
    postcode = django_filters.CharFilter(
        method="filter_postcode", label="Postcode or its start: WV1 1AA, WV1 1, or WV1 (that district, not WV10)"
    )
    local_authority = django_filters.ChoiceFilter(choices=choices.LocalAuthority.choices)
    owning_organisation = django_filters.CharFilter(field_name="owning_organisation__slug")
    registered_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    registered_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
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
        condition = resident_postcode_condition(value)
        return queryset.none() if condition is None else queryset.filter(condition)
