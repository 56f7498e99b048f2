"""Devices figures for the home page (the core's home view knows nothing of devices):
{% loan_figures organisation %}: loans overdue and due back this week, with links;
{% device_work membership %}: for coordinators, devices waiting for a wipe, a check or to be marked ready."""

from django import template

from devices.models import DeviceStatus
from devices.selectors import device_counts_by_status, loan_counts
from inclusion.access import Capability, membership_can

register = template.Library()

# What is waiting for the coordinator, by status, and how the home page says it.
WAITING = {
    DeviceStatus.RECEIVED: "waiting for a wipe",
    DeviceStatus.AWAITING_CHECK: "returned, waiting to be checked",
    DeviceStatus.WIPED: "wiped, waiting to be marked ready",
}


@register.inclusion_tag("devices/includes/loan_figures.html")
def loan_figures(organisation):
    return {"counts": loan_counts(organisation=organisation)}


@register.inclusion_tag("devices/includes/device_work.html")
def device_work(membership):
    if not membership_can(membership, Capability.MANAGE_STOCK):
        return {"show": False}
    counts = {status: count for status, _, count in device_counts_by_status(organisation=membership.organisation)}
    return {"show": True, "waiting": [(status, counts[status], words) for status, words in WAITING.items()]}
