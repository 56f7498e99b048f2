"""Staff web pages to import stock from a spreadsheet, export the stock list and print asset labels.

Coordinators and administrators only (they manage stock); anyone else gets 403, and another
organisation's device is 404 for everyone. An upload waits in the cache (Redis) between its preview
and the confirmation, under a random token, for IMPORT_KEEP_SECONDS (inclusion.uploads).
"""

from crispy_forms_gds.helper import FormHelper
from django import forms
from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from inclusion import uploads
from inclusion.access import Capability
from inclusion.errors import DomainError
from inclusion.forms.base import GOVUKForm
from inclusion.web import actor_for, staff_view

from .. import exports, imports, labels, selectors, services
from ..models import Condition, DeviceKind, DeviceStatus
from .loaders import load_device

IMPORT_KEEP_SECONDS = uploads.KEEP_SECONDS
PREVIEW_ROWS = 500  # rows listed on the preview page; all of them are imported
UPLOAD_PURPOSE = "devices:import"  # the cache key's prefix (inclusion.uploads)
FILTERS = ("status", "kind", "location", "q")


class DeviceImportForm(GOVUKForm):
    file = forms.FileField(
        label="Upload a file",
        help_text=f"A CSV or Excel (.xlsx) file, smaller than {imports.MAX_BYTES // 2**20} MB, with a heading row",
        error_messages={
            "required": "Select a CSV or Excel file",
            "empty": "The selected file is empty",
            "invalid": "Select a CSV or Excel file",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()  # the page writes its own markup; the helper lets the error summary show

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(f"The selected file must be smaller than {imports.MAX_BYTES // 2**20} MB")
        return upload


def _refuse(request):
    return render(request, "inclusion/no_access.html", {"capability": Capability.MANAGE_STOCK}, status=403)


# Import


@staff_view(Capability.MANAGE_STOCK)
def device_import(request):
    form = DeviceImportForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        check = imports.device_import_check(
            organisation=request.membership.organisation, filename=upload.name, content=content
        )
        if check.file_error:
            form.add_error("file", check.file_error)
        else:
            token = ""
            if check.ok:
                token = uploads.upload_keep(
                    purpose=UPLOAD_PURPOSE,
                    membership=request.membership,
                    filename=check.filename,
                    content=content,
                    seconds=IMPORT_KEEP_SECONDS,
                )
            return _preview(request, check, token=token)
    return render(request, "devices/import.html", {"form": form, "columns": _column_guide()})


@require_POST
@staff_view(Capability.MANAGE_STOCK)
def device_import_confirm(request):
    upload = uploads.upload_claim(
        purpose=UPLOAD_PURPOSE, membership=request.membership, token=request.POST.get("token", "")
    )
    if upload is None:
        messages.error(request, uploads.EXPIRED)
        return redirect("devices:device-import")
    try:
        devices = services.device_import(actor=actor_for(request), filename=upload.filename, content=upload.content)
    except imports.DeviceImportRefused as refused:
        # Something changed since the preview (a tag taken meanwhile): show what, on the same page.
        return _preview(request, refused.check, token="", rechecked=True)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("devices:device-import")
    count = len(devices)
    messages.success(request, f"{count} device{'s' if count != 1 else ''} imported from {upload.filename}.")
    return redirect(_after_import_url())


def _preview(request, check: imports.ImportCheck, *, token: str, rechecked: bool = False):
    kinds, conditions = dict(DeviceKind.choices), dict(Condition.choices)
    rows = [
        {"line": row.line, "asset_tag": row.values["asset_tag"], "kind": kinds.get(row.values["kind"], ""),
         "description": " ".join(filter(None, (row.values["make"], row.values["model"]))),
         "serial_number": row.values["serial_number"], "location": row.values["location"],
         "condition": conditions.get(row.values["condition"], "")}
        for row in check.rows[:PREVIEW_ROWS]
    ]  # fmt: skip
    bad_lines = {problem.line for problem in check.problems if problem.line is not None}
    return render(
        request,
        "devices/import_preview.html",
        {
            "check": check, "token": token, "rows": rows, "rechecked": rechecked,
            "more_rows": max(0, len(check.rows) - PREVIEW_ROWS), "bad_rows": len(bad_lines),
            "organisation": request.membership.organisation,
            "organisation_prefix": services.asset_tag_prefix(request.membership.organisation),
        },
    )  # fmt: skip


def _after_import_url() -> str:
    """The stock list, newly received devices first, once that page exists; else back to the import page."""
    try:
        return reverse("devices:device-list") + f"?status={DeviceStatus.RECEIVED}"
    except NoReverseMatch:
        return reverse("devices:device-import")


def _column_guide() -> list[tuple[str, str]]:
    def names(choices):
        return ", ".join(label.split(":")[0] for label in choices.labels)

    return [
        (
            "asset_tag",
            "Your tag, such as LAP-0042. Leave blank and one is made for you (your initials and a number, like BCW-000123).",
        ),
        ("serial_number", "The maker's serial number."),
        ("kind", f"Required: {names(DeviceKind)}."),
        ("make", "For example Lenovo."),
        ("model", "For example ThinkPad T480."),
        ("specification", "Processor, memory, storage."),
        ("accessories", f"Separated by semicolons (;): {imports.ACCESSORY_NAMES}."),
        ("location", "Where it is kept."),
        ("source", "Purchased, Donated (if blank) or Refurbished."),
        ("donor", "Who gave it."),
        ("condition", "As new, Good (if blank), Fair or Poor."),
        ("notes", "Anything else."),
    ]


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
    response = StreamingHttpResponse(exports.csv_stream(rows), content_type=exports.CSV_TYPE)
    return _attachment(response, exports.export_filename(request.membership.organisation.slug, "csv"))


@require_GET
@staff_view(Capability.MANAGE_STOCK)
def device_export_xlsx(request):
    content = exports.xlsx_bytes(exports.device_export_rows(_export_devices(request)))
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
