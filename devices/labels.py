"""Asset labels: a QR code of the tag as inline SVG, and devices laid out in sheets of sticky labels.

The sheet layout (templates/devices/label.html) is a common A4 sheet of 21 labels, 63.5 × 38.1 mm in
3 columns and 7 rows (Avery L7160 and its equivalents); one label prints the same size.
"""

from collections.abc import Sequence

import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

LABELS_PER_SHEET = 21
MAX_LABELS = 210  # ten sheets a print: more would be a slow page nobody means to print at once


def qr_svg(text: str, *, description: str) -> SafeString:
    """`text` as a QR code, an <svg> element to put straight into a page, announced as `description`.

    High error correction (segno raises it when the code stays the same size), so a scuffed label
    still scans. No fixed size: the page's styles set it in millimetres for print.
    """
    code = segno.make(text, micro=False, error="m", boost_error=True)
    svg = code.svg_inline(scale=1, border=2, omitsize=True, title=description, svgclass="app-label__qr")
    # segno escapes the title; the aria-label makes the SVG one image with a name for screen readers.
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(description)}" ', 1))  # noqa: S308


def qr_description(asset_tag: str) -> str:
    return f"QR code of asset tag {asset_tag}"


def sheets(items: Sequence, per_sheet: int = LABELS_PER_SHEET) -> list[Sequence]:
    """`items` in pages of `per_sheet`, for printing one sheet of labels per page."""
    return [items[start : start + per_sheet] for start in range(0, len(items), per_sheet)]
