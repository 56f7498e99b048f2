"""Staff web pages to import stock from a spreadsheet, export the stock list and print asset labels.

Coordinators and administrators only (they manage stock); anyone else gets 403, and another
organisation's device is 404 for everyone. The import is the upload → preview → confirm flow every import
shares (inclusion/imports.py): the upload waits in the cache for IMPORT_KEEP_SECONDS between its preview and
the confirmation, which checks it again.
"""

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from inclusion import uploads
from inclusion.access import Capability
from inclusion.imports import Importer, import_confirm, import_upload
from inclusion.privacy.models import AccessAction
from inclusion.privacy.services import access_log_record
from inclusion.web import actor_for, staff_view

from .. import exports, imports, labels, selectors, services
from ..forms.files import DeviceImportForm
from ..models import Condition, DeviceKind, DeviceStatus
from .loaders import load_device

IMPORT_KEEP_SECONDS = uploads.KEEP_SECONDS
PREVIEW_ROWS = 500  # rows listed on the preview page; all of them are imported
UPLOAD_PURPOSE = "devices:import"  # the cache key's prefix (inclusion.uploads)
FILTERS = ("status", "kind", "location", "q")


# Import: the upload → preview → confirm flow of inclusion/imports.py


class DeviceImporter(Importer):
    """A stock import: devices.imports reads and checks the file, devices.services.device_import adds it."""

    purpose = UPLOAD_PURPOSE
    form_class = DeviceImportForm
    upload_template = "devices/import.html"
    preview_template = "devices/import_preview.html"
    upload_url = "devices:device-import"

    def check(self, request, form, *, filename, content):
        return imports.device_import_check(organisation=request.membership.organisation, filename=filename,
                                           content=content)  # fmt: skip

    def confirm(self, request, form, *, filename, content):
        return services.device_import(actor=actor_for(request), filename=filename, content=content)

    def done(self, request, result, *, filename):
        count = len(result)
        messages.success(request, f"{count} device{'s' if count != 1 else ''} imported from {filename}.")
        return redirect(_after_import_url())

    def upload_context(self, request):
        return {"columns": imports.column_guide(), "required_columns": ["kind"]}

    def preview_context(self, request, form, check):
        kinds, conditions = dict(DeviceKind.choices), dict(Condition.choices)
        rows = [
            {"line": row.line, "asset_tag": row.values["asset_tag"], "kind": kinds.get(row.values["kind"], ""),
             "description": " ".join(filter(None, (row.values["make"], row.values["model"]))),
             "serial_number": row.values["serial_number"], "location": row.values["location"],
             "condition": conditions.get(row.values["condition"], "")}
            for row in check.rows[:PREVIEW_ROWS]
        ]  # fmt: skip
        organisation = request.membership.organisation
        return {"rows": rows, "more_rows": max(0, len(check.rows) - PREVIEW_ROWS), "organisation": organisation,
                "organisation_prefix": services.asset_tag_prefix(organisation)}  # fmt: skip


DEVICE_IMPORTER = DeviceImporter()


@staff_view(Capability.MANAGE_STOCK)
def device_import(request):
    return import_upload(request, DEVICE_IMPORTER)


@require_POST
@staff_view(Capability.MANAGE_STOCK)
def device_import_confirm(request):
    return import_confirm(request, DEVICE_IMPORTER)


def _after_import_url() -> str:
    """The stock list, newly received devices first, once that page exists; else back to the import page."""
    try:
        return reverse("devices:device-list") + f"?status={DeviceStatus.RECEIVED}"
    except NoReverseMatch:
        return reverse("devices:device-import")


# Export


def _filters(request) -> dict[str, str]:
    """The stock list's filters from the query string, as device_list takes them."""
    return {name: request.GET.get(name, "").strip()[:100] for name in FILTERS}


def _export_devices(request):
    return selectors.device_list(organisation=request.membership.organisation, **_filters(request))


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@staff_view(Capability.MANAGE_STOCK)
def device_export_csv(request):
    rows = exports.device_export_rows(_export_devices(request))
    access_log_record(actor=actor_for(request), action=AccessAction.EXPORT_DOWNLOADED, request=request)
    response = StreamingHttpResponse(exports.csv_stream(rows), content_type=exports.CSV_TYPE)
    return _attachment(response, exports.export_filename(request.membership.organisation.slug, "csv"))


@require_GET
@staff_view(Capability.MANAGE_STOCK)
def device_export_xlsx(request):
    content = exports.xlsx_bytes(exports.device_export_rows(_export_devices(request)))
    access_log_record(actor=actor_for(request), action=AccessAction.EXPORT_DOWNLOADED, request=request)
    response = HttpResponse(content, content_type=exports.XLSX_TYPE)
    return _attachment(response, exports.export_filename(request.membership.organisation.slug, "xlsx"))


# Labels


@require_GET
@staff_view(Capability.MANAGE_STOCK, load=load_device)
def device_label(request, device):
    label = _label(device)
    return render(request, "devices/label.html", {"sheets": [[label]], "single": device,
                                                  "organisation": request.membership.organisation})  # fmt: skip


@require_GET
@staff_view(Capability.MANAGE_STOCK)
def device_labels(request):
    organisation = request.membership.organisation
    filters = _filters(request)
    devices = list(selectors.device_list(organisation=organisation, **filters)[: labels.MAX_LABELS + 1])
    truncated = len(devices) > labels.MAX_LABELS
    printed = [_label(device) for device in devices[: labels.MAX_LABELS]]
    return render(
        request,
        "devices/label.html",
        {"sheets": labels.sheets(printed), "count": len(printed), "truncated": truncated, "organisation": organisation,
         "filters": filters, "statuses": DeviceStatus.choices, "kinds": DeviceKind.choices,
         "status_label": dict(DeviceStatus.choices).get(filters["status"], "")},
    )  # fmt: skip


def _label(device) -> dict:
    return {
        "asset_tag": device.asset_tag,
        "description": device.description,
        "qr": labels.qr_svg(device.asset_tag, description=labels.qr_description(device.asset_tag)),
    }
