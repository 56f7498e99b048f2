"""Printable documents as PDF: one helper that renders a template with WeasyPrint and answers it as a download.

    return pdf_response(request, "devices/receipts/loan_receipt_pdf.html", context, filename="receipt.pdf")

The template is a whole HTML document with its own print styles (an A4 page, no site header): it is never
served to a browser as a page, so it needs no assets and no nonces. Nothing is fetched while rendering:
WeasyPrint's URL fetcher refuses every URL, so a template cannot make the server reach out (a resident's
name cannot smuggle in a link that is followed). The response is private and never cached, as it holds
personal data.
"""

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"PDF rendering fetches nothing ({url[:40]})")


def pdf_render(template: str, context: dict, request: HttpRequest | None = None) -> bytes:
    """The PDF of `template` rendered with `context`."""
    from weasyprint import HTML  # imported here: it loads Pango and fonts, which only PDF pages need

    html = render_to_string(template, context, request=request)
    return HTML(string=html, url_fetcher=_no_fetch, base_url=None).write_pdf()


def pdf_response(request: HttpRequest, template: str, context: dict, *, filename: str) -> HttpResponse:
    """A download of `template` rendered to PDF, named `filename` (letters, digits, dots, hyphens)."""
    response = HttpResponse(pdf_render(template, context, request), content_type="application/pdf")
    safe = "".join(ch for ch in filename if ch.isalnum() or ch in ".-_") or "document.pdf"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    add_never_cache_headers(response)
    response["Cache-Control"] += ", private"
    return response
