"""Filters of the directory's partner API list. Services hold no personal data: every filter works over the
whole scheme's directory, as the staff web's search does (referrals/directory/selectors.py)."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from inclusion.api.filters import StrictBooleanFilter

from ..models import Delivery, Service, ServiceKind, ServiceLocation, ServiceStatus, SkillArea, Weekday
from ..selectors import LISTED_STATUSES, place_district


class PlaceField(forms.CharField):
    """A postcode or its first part, taken as its district ('wv10 6qr' → WV10). Its length is checked as
    sent, before trimming, as the schema states it."""

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "strip": False})

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return value
        district = place_district(value)
        if district is None:
            raise forms.ValidationError("Give a UK postcode or the first part of one, like WV10.", code="invalid")
        return district


# A postcode district (WV10), or a whole postcode (WV10 6QR), any case, with spaces or none: what
# place_district() understands, so that a request the schema allows is never refused.
_INWARD_LETTER = "[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]"
PLACE_PATTERN = f"^ *(?:[A-Za-z]{{1,2}}[0-9][A-Za-z0-9]? *(?:[0-9]{_INWARD_LETTER}{{2}} *)?)?$"


@extend_schema_field({"type": "string", "pattern": PLACE_PATTERN, "maxLength": 16})
class PlaceFilter(django_filters.CharFilter):
    field_class = PlaceField


class ServiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Words in the name or description (the first ten)")
    skill_area = django_filters.ChoiceFilter(choices=SkillArea.choices, method="filter_skill_area")
    kind = django_filters.ChoiceFilter(choices=ServiceKind.choices)
    place = PlaceFilter(method="filter_place", max_length=16,
                        label="A postcode or its district (WV10 6QR or WV10): services that run there")  # fmt: skip
    delivery = django_filters.ChoiceFilter(choices=Delivery.choices, method="filter_delivery",
                                           label="in_person or online also find blended services")  # fmt: skip
    day = django_filters.ChoiceFilter(choices=Weekday.choices, method="filter_day")
    organisation = django_filters.CharFilter(field_name="organisation__slug",
                                             label="The slug of the organisation that runs it")  # fmt: skip
    referrals_open = StrictBooleanFilter()
    status = django_filters.ChoiceFilter(
        choices=ServiceStatus.choices, method="filter_status",
        label="Without it, the directory as staff see it: active or temporarily closed, within their dates.",
    )  # fmt: skip

    class Meta:
        model = Service
        fields = []

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("status"):
            today = timezone.localdate()
            queryset = queryset.filter(status__in=LISTED_STATUSES).filter(
                Q(active_until__isnull=True) | Q(active_until__gte=today)
            )
        return super().filter_queryset(queryset)

    def filter_q(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(name__icontains=word) | Q(description__icontains=word))
        return queryset

    def filter_skill_area(self, queryset, name, value):
        return queryset.filter(skill_areas__contains=[value])

    def filter_place(self, queryset, name, value):
        places = ServiceLocation.objects.filter(service=OuterRef("pk"), postcode_district=value)
        return queryset.filter(Exists(places))

    def filter_delivery(self, queryset, name, value):
        return queryset.filter(delivery__in=[value, Delivery.BLENDED] if value != Delivery.BLENDED else [value])

    def filter_day(self, queryset, name, value):
        return queryset.filter(days__contains=[value])

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)
