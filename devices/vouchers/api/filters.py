"""Filters for the vouchers partner API's list.

No filter may say anything of another organisation's records: a plain value matched within the caller's own
vouchers, so another organisation's batch or resident and one that does not exist get the same answer."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ..models import Voucher, VoucherStatus


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
