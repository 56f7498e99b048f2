"""Filters for the referrals partner API's lists.

Plain values matched within the caller's own list (a referral's id), and fixed choices: no filter can say whether
another organisation's record exists."""

import django_filters

from ..models import DeliveryStatus, Referral, ReferralStatus, WebhookDelivery
from ..selectors import DIRECTIONS, STATUS_GROUPS

REFERRAL_STATUSES = [
    *ReferralStatus.choices,
    ("open", "Open: sent, accepted or started"),
    ("awaiting", "Awaiting an answer (sent)"),
    ("in_progress", "Accepted or started"),
    ("closed", "Closed: declined, completed, not completed or withdrawn"),
    ("overdue", "Sent, and no answer by its response date"),
]


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=REFERRAL_STATUSES, method="filter_status")
    direction = django_filters.ChoiceFilter(choices=[("sent", "Sent by you"), ("received", "Sent to you")],
                                            method="filter_direction")  # fmt: skip
    resident = django_filters.UUIDFilter(field_name="resident_id", label="The resident's id")

    class Meta:
        model = Referral
        fields = []

    def filter_status(self, queryset, name, value):
        if value == "overdue":
            return queryset.filter(overdue=True)
        if value in STATUS_GROUPS:
            return queryset.filter(status__in=STATUS_GROUPS[value])
        return queryset.filter(status=value)

    def filter_direction(self, queryset, name, value):
        return queryset.filter(**{DIRECTIONS[value]: self.request.user.organisation})


class WebhookDeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    referral = django_filters.UUIDFilter(field_name="referral_id", label="The referral's id")

    class Meta:
        model = WebhookDelivery
        fields = []
