"""Template helpers for the report pages."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ charts|get_item:table.key }}: a dict's value by a variable key."""
    return (mapping or {}).get(key, "")
