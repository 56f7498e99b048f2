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
    messages = Message.objects.filter(organisation=membership.organisation, audience="resident")
    # Two reads, each on its own index: what is still to send (message_org_unsent_idx) and the last 30 days
    # (message_org_created_idx). One read with both as an OR read all of the organisation's messages.
    figures = messages.filter(status__in=["pending", "sending"]).aggregate(
        letters=Count("pk", filter=Q(channel="letter", status="pending")),
        waiting=Count("pk", filter=~Q(channel="letter")),
    )
    figures |= messages.filter(created_at__gte=since).aggregate(
        failed=Count("pk", filter=Q(status="failed")),
        not_sent=Count("pk", filter=Q(status="skipped")),
    )
    return {"show": True, "figures": figures}
