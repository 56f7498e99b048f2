"""Referral figures for the home page (the core's home view knows nothing of referrals):
{% referral_figures membership %}: received referrals awaiting an answer (overdue ones first) and those in
progress, and the organisation's own referrals still open, with links to the inbox."""

from django import template

from inclusion.access import Capability, membership_can

from ..models import ReferralStatus
from ..selectors import referral_counts

register = template.Library()


@register.inclusion_tag("referrals/includes/home_figures.html")
def referral_figures(membership):
    if not membership_can(membership, Capability.SEE_RESIDENTS):
        return {"show": False}
    return {"show": True, "counts": referral_counts(organisation=membership.organisation)}


@register.inclusion_tag("referrals/includes/status_tag.html")
def referral_status_tag(referral):
    colours = {ReferralStatus.SENT: "blue", ReferralStatus.ACCEPTED: "turquoise", ReferralStatus.STARTED: "purple",
               ReferralStatus.COMPLETED: "green", ReferralStatus.DECLINED: "orange",
               ReferralStatus.NOT_COMPLETED: "yellow", ReferralStatus.WITHDRAWN: "grey"}  # fmt: skip
    return {"referral": referral, "colour": colours.get(referral.status, "grey")}
