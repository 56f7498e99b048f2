"""Filters for the devices partner API's lists.

No filter may say anything of another organisation's records: a plain value matched within the caller's own
list (a resident's id, an asset tag), so another organisation's record and one that does not exist get the
same answer. The vouchers' filters are in devices/vouchers/api/filters.py."""

import django_filters

from .. import selectors
from ..models import Device, DeviceKind, DeviceStatus, Loan

LOAN_STATUSES = [
    ("open", "Open"),
    ("overdue", "Overdue: open and past its due date"),
    ("due_this_week", "Due within the next 7 days"),
    ("closed", "Closed: returned, lost or gifted"),
]


class DeviceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeviceStatus.choices)
    kind = django_filters.ChoiceFilter(choices=DeviceKind.choices)
    location = django_filters.CharFilter(lookup_expr="iexact", label="Location (exact, any case)")
    asset_tag = django_filters.CharFilter(lookup_expr="istartswith", label="Asset tag or its start (any case)")

    class Meta:
        model = Device
        fields = []


class LoanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LOAN_STATUSES, method="filter_status")
    resident = django_filters.UUIDFilter(field_name="resident_id", label="The resident's id")
    device = django_filters.CharFilter(field_name="device__asset_tag", lookup_expr="iexact", label="Asset tag")

    class Meta:
        model = Loan
        fields = []

    def filter_status(self, queryset, name, value):
        # What each status means is decided once, in selectors.loan_list.
        matching = selectors.loan_list(organisation=self.request.user.organisation, status=value)
        return queryset.filter(pk__in=matching.values("pk"))
