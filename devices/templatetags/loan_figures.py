"""{% loan_figures organisation %}: loans overdue and due back this week, with links, for the home page
(the core's home view knows nothing of devices)."""

from django import template

from devices.selectors import loan_counts

register = template.Library()


@register.inclusion_tag("devices/includes/loan_figures.html")
def loan_figures(organisation):
    return {"counts": loan_counts(organisation=organisation)}
