"""Template helpers for the report pages."""

import base64
import html
import re

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ charts|get_item:table.key }}: a dict's value by a variable key."""
    return (mapping or {}).get(key, "")


@register.filter
def chart_image(svg: str | None):
    """A chart's SVG as an image for the web page: matplotlib's SVG styles itself with a <style> element and
    style attributes, which the page's Content Security Policy rightly refuses inline; inside an <img> they are
    the image's own. Its alt text is the chart's title; the table beside it holds the numbers. (The PDF keeps
    the SVG inline: WeasyPrint has no CSP.)"""
    if not svg:
        return ""
    match = re.search(r"<title[^>]*>(.*?)</title>", svg, flags=re.DOTALL)
    alt = html.unescape(match.group(1)) if match else "Chart"
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return format_html('<img class="app-chart" src="{}" alt="{}">', source, alt)
