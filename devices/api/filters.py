"""Filters for the devices partner API's lists.

No filter may say anything of another organisation's records: a choice is one of the caller's own (a batch),
or a plain value matched within the caller's own list (a resident's id, an asset tag), so another
organisation's record and one that does not exist get the same answer."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .. import selectors
from ..models import Device, DeviceKind, DeviceStatus, Loan, Voucher, VoucherStatus

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
        # What each status means is decided once, in selectors.loans_with_status (the list is already the
        # organisation's own).
        return selectors.loans_with_status(queryset, value)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A whole-number id, compared as it is: no lookup that could say whether another organisation's row exists."""

    field_class = forms.IntegerField


class VoucherFilter(django_filters.FilterSet):
    # Plain values rather than model choices: a choice field looks the id up among every organisation's
    # batches and residents, and its "not one of the available choices" told ids that exist from ids that do not.
    status = django_filters.ChoiceFilter(choices=VoucherStatus.choices)
    batch = IdFilter(field_name="batch_id", label="The batch's id")
    resident = django_filters.UUIDFilter(field_name="resident_id", label="The resident's id")

    class Meta:
        model = Voucher
        fields = []
