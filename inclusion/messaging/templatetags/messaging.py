"""The home page's reminders summary: {% message_figures membership %} (staff who see residents)."""

from datetime import timedelta

from django import template
from django.db.models import Count, Q
from django.utils import timezone

from inclusion.access import Capability, membership_can

from ..models import Message

register = template.Library()


@register.inclusion_tag("messaging/home_figures.html")
def message_figures(membership):
    if not membership_can(membership, Capability.SEE_RESIDENTS):
        return {"show": False}
    since = timezone.now() - timedelta(days=30)
    figures = Message.objects.filter(organisation=membership.organisation, audience="resident").aggregate(
        letters=Count("pk", filter=Q(channel="letter", status="pending")),
        waiting=Count("pk", filter=Q(status__in=["pending", "sending"]) & ~Q(channel="letter")),
        failed=Count("pk", filter=Q(status="failed", created_at__gte=since)),
        not_sent=Count("pk", filter=Q(status="skipped", created_at__gte=since)),
    )
    return {"show": True, "figures": figures}
