"""One upload → preview → confirm flow for every spreadsheet import on the staff web (devices, voucher batches
today; referrals and courses next), so that each import behaves the same for the person doing it.

What the person sees:
1. Upload: they choose a CSV or Excel file (and fill in whatever else the import needs, such as a voucher batch's
   details) and press the button. Nothing is imported yet.
2. Check: every row is read and checked, and every problem is reported with its line (the spreadsheet's row
   number, the heading row being line 1) and column. All or nothing: one bad row, and nothing can be imported.
3. Preview: with no problems, the page shows what would be imported. The upload is kept (inclusion.uploads: in the
   cache, for this person in this organisation, for KEEP_SECONDS, claimed once) under a token the page posts back.
4. Confirm: the upload is claimed, the form that came with it checked again, and the importer imports it in one
   transaction, checking every row again inside it (something may have changed since the preview: a tag or a code
   taken meanwhile). If something has, nothing is imported and the problems are shown as in step 2.

How an app plugs in: subclass Importer (one instance per kind of import) and point its two URLs at the flow:

    class DeviceImporter(Importer):
        purpose = "devices:import"              # keeps its uploads apart from other imports'
        form_class = DeviceImportForm           # a GOVUKForm with a `file` field, and any other fields
        upload_template = "devices/import.html"
        preview_template = "devices/import_preview.html"
        upload_url = "devices:device-import"

        def check(self, request, form, *, filename, content) -> ImportCheck: ...    # reads only
        def confirm(self, request, form, *, filename, content): ...                 # the service: one transaction
        def done(self, request, result, *, filename) -> HttpResponse: ...          # a message and a redirect

    @staff_view(Capability.MANAGE_STOCK)
    def device_import(request):
        return import_upload(request, DEVICE_IMPORTER)

The templates get: `form`, `check` (an ImportCheck: filename, rows, problems, ok, bad_rows), `token` (on a preview),
`rechecked` (True when the problems were found on confirming) and what the importer's upload_context and
preview_context add. The pages share includes: `templates/includes/import_file_input.html` (the form's file input),
`import_columns.html` (the column guide: `columns` and `required_columns`) and `import_problems.html` (the problems
page, told `changed_meanwhile` and `upload_url`). Reading the file itself is inclusion.spreadsheets';
what the columns mean is the importer's, read with the helpers below: sheet_read (the heading row and the rows, or
why the file cannot be read), columns_find (where each heading is),
row_values (a row's text under each), choice_lookup and choice_names (a choice as people write it).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crispy_forms_gds.helper import FormHelper
from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.datastructures import MultiValueDict

from . import uploads
from .errors import DomainError
from .forms.base import GOVUKForm
from .spreadsheets import SpreadsheetError, heading_key, spreadsheet_open
from .web import form_refuse

# Posted with the upload but never kept with it: Django's CSRF token and the button's name.
NOT_KEPT = ("csrfmiddlewaretoken", "submit")


@dataclass(frozen=True)
class Problem:
    """Why a file, a column or a row cannot be imported. line is the spreadsheet's row number (the heading row is
    line 1), or None for the whole file; column is the heading it is under, or "" for the whole row."""

    line: int | None
    column: str
    message: str


@dataclass
class ImportCheck:
    """What a file would import, or every problem that stops it. Built by an importer's check; read-only."""

    filename: str
    rows: list = field(default_factory=list)  # what would be imported, in the importer's own shape
    problems: list[Problem] = field(default_factory=list)
    file_error: str = ""  # the file cannot be read at all (wrong type, empty ...): nothing else is reported

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.problems and bool(self.rows)

    @property
    def bad_rows(self) -> int:
        """How many lines of the file have a problem (the heading row's included: it is corrected like any)."""
        return len({problem.line for problem in self.problems if problem.line is not None})

    def problems_sentence(self) -> str:
        count = len(self.problems)
        return f"{self.filename} has {count} problem{'s' if count != 1 else ''}: nothing has been imported"


@dataclass
class Columns:
    """Where each known column of a sheet is (heading key → position), and the positions with a blank heading."""

    positions: dict[str, int]
    unnamed: list[int]


def columns_find(line: int, headings: list[str], *, known: Sequence[str], required: dict[str, str],
                 problems: list[Problem]) -> Columns:  # fmt: skip
    """Where each of the `known` columns is in the heading row (`line`), in any order and any capitals. Unknown and
    repeated headings are reported once each, and each `required` column that is missing with its message."""
    columns = Columns(positions={}, unnamed=[])
    for position, heading in enumerate(headings):
        key = heading_key(heading)
        if not key:
            columns.unnamed.append(position)  # fine if empty; row_values reports values under it
        elif key not in known:
            problems.append(Problem(line, heading.strip(), f"Unknown column “{heading.strip()}”. The columns are: "
                                                           f"{', '.join(known)}"))  # fmt: skip
        elif key in columns.positions:
            problems.append(Problem(line, key, f"There are two {key} columns"))
        else:
            columns.positions[key] = position
    for column, message in required.items():
        if column not in columns.positions:
            problems.append(Problem(line, column, message))
    return columns


def sheet_read(check: ImportCheck, content: bytes, *, known: Sequence[str], required: dict[str, str], row_name: str,
               max_bytes: int, max_rows: int, max_columns: int) -> tuple[Columns, list] | None:  # fmt: skip
    """The columns (columns_find, their problems added to check) and the rows [(line, cells)] of a CSV or .xlsx
    upload called check.filename, or None with check.file_error saying why it cannot be read (not a spreadsheet,
    too large, no rows: inclusion.spreadsheets)."""
    try:
        with spreadsheet_open(filename=check.filename, content=content, known_columns=known, row_name=row_name,
                              max_bytes=max_bytes, max_rows=max_rows, max_columns=max_columns) as sheet:  # fmt: skip
            columns = columns_find(sheet.heading_line, sheet.headings, known=known, required=required,
                                   problems=check.problems)  # fmt: skip
            rows = list(sheet.rows)
    except SpreadsheetError as error:
        check.file_error = str(error)
        return None
    if not rows:
        check.file_error = f"The selected file has a heading row but no {row_name} under it"
        return None
    return columns, rows


def row_values(line: int, cells: list[str], columns: Columns, *, names: Sequence[str],
               problems: list[Problem]) -> dict[str, str]:  # fmt: skip
    """A row's text under each of `names` ("" where the file has no such column), trimmed. A NUL character (which
    PostgreSQL cannot store) and a value under a blank heading are reported."""
    values = {}
    for column in names:
        position = columns.positions.get(column)
        raw = cells[position] if position is not None and position < len(cells) else ""
        if "\x00" in raw:
            problems.append(Problem(line, column, "Contains a NUL character (an invisible control character): "
                                                  "delete the cell's contents and type them again"))  # fmt: skip
            raw = raw.replace("\x00", "")
        values[column] = raw.strip()
    for position in columns.unnamed:
        if position < len(cells) and cells[position].strip():
            problems.append(Problem(line, "", f"Column {position + 1} has a value but no heading"))
    return values


def choice_lookup(choices) -> dict[str, str]:
    """Every way a person might write a choice, lower case → its value: 'laptop', 'Laptop', 'as new', 'as_new',
    'As new', 'Fair: marks or wear', 'fair'."""
    lookup = {}
    for value, label in choices.choices:
        for spelling in (value, value.replace("_", " "), str(label), str(label).split(":")[0]):
            lookup[spelling.strip().lower()] = value
    return lookup


def choice_names(choices) -> str:
    """'Laptop, Chromebook ... or Other': a choice's labels in a sentence, without their explanations."""
    labels = [str(label).split(":")[0] for label in choices.labels]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


class ImportRefused(DomainError):
    """Raised by an importer's confirm (or the service it calls) when the file has problems after all, so nothing
    was imported; `check` lists them all."""

    def __init__(self, check: ImportCheck):
        count = len(check.problems)
        message = check.file_error or (
            f"{check.filename} has {count} problem{'s' if count != 1 else ''}, so nothing was imported."
        )
        super().__init__(message, field="file", code="import_refused")
        self.check = check


class ImportFileForm(GOVUKForm):
    """The upload of a spreadsheet, in the wording every import uses: subclass it with the import's max_bytes
    (and any fields the import needs besides the file). Its page writes its own markup for the file input."""

    max_bytes: int = 5 * 1024 * 1024

    file = forms.FileField(
        label="Upload a file",
        error_messages={"required": "Select a CSV or Excel file", "empty": "The selected file is empty",
                        "invalid": "Select a CSV or Excel file"},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        size = f"{self.max_bytes // 2**20} MB"
        self.fields["file"].help_text = f"A CSV or Excel (.xlsx) file, smaller than {size}, with a heading row"
        self.helper = FormHelper()  # the page writes its own markup; the helper lets the error summary show

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(f"The selected file must be smaller than {self.max_bytes // 2**20} MB")
        return upload


class Importer:
    """One kind of import. Subclass it, set the attributes and write check, confirm and done; see the module's
    docstring for the whole flow."""

    purpose: str  # names the flow in the upload cache ("devices:import"): a token kept for one is not found by another
    form_class: type  # a form with a `file` field (ImportFileForm); its other fields are kept with the upload and
    # checked again
    upload_template: str
    preview_template: str
    upload_url: str  # URL name of the upload page, where a confirmation whose upload has gone is sent
    # Where a file's problems are shown: on the preview page (devices: nothing else to correct), or on the upload
    # page with the form (voucher batches: the batch's details may be what is wrong).
    problems_on_upload_page = False

    def check(self, request, form, *, filename: str, content: bytes) -> ImportCheck:
        """Read and check the whole file, writing nothing (a DomainError, such as an hourly limit, is shown
        on the form)."""
        raise NotImplementedError

    def confirm(self, request, form, *, filename: str, content: bytes) -> Any:
        """Import the file in one transaction, all or nothing: raise ImportRefused when a row is bad now, or a
        DomainError naming the field. Returns what done() needs."""
        raise NotImplementedError

    def done(self, request, result, *, filename: str) -> HttpResponse:
        """After the import: a confirmation message and a redirect."""
        raise NotImplementedError

    def upload_context(self, request) -> dict:
        return {}

    def preview_context(self, request, form, check: ImportCheck) -> dict:
        return {}


def import_upload(request, importer: Importer) -> HttpResponse:
    """Steps 1 to 3: the upload page (GET), then the check and the preview, or the problems (POST)."""
    form = importer.form_class(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _upload_page(request, importer, form)
    upload = form.cleaned_data["file"]
    content = upload.read()
    try:
        check = importer.check(request, form, filename=upload.name, content=content)
    except DomainError as error:
        form_refuse(form, error)
        return _upload_page(request, importer, form)
    if check.file_error:
        form.add_error("file", check.file_error)
        return _upload_page(request, importer, form)
    if not check.ok:
        return _problems_page(request, importer, form, check)
    kept = {key: values for key, values in request.POST.lists() if key not in NOT_KEPT}
    token = uploads.upload_keep(purpose=importer.purpose, membership=request.membership, filename=check.filename,
                                content=content, data=kept)  # fmt: skip
    return _preview_page(request, importer, form, check, token)


def import_confirm(request, importer: Importer) -> HttpResponse:
    """Step 4 (POST only): claim the upload, check its form again, import it in one transaction."""
    upload = uploads.upload_claim(purpose=importer.purpose, membership=request.membership,
                                  token=request.POST.get("token", ""))  # fmt: skip
    if upload is None:
        messages.error(request, uploads.EXPIRED)
        return redirect(importer.upload_url)
    form = importer.form_class(
        MultiValueDict(upload.data), {"file": SimpleUploadedFile(upload.filename, upload.content)}
    )
    if not form.is_valid():
        return _upload_page(request, importer, form, rechecked=True)
    try:
        result = importer.confirm(request, form, filename=upload.filename, content=upload.content)
    except ImportRefused as refused:
        if refused.check.file_error:
            form.add_error("file", refused.check.file_error)
            return _upload_page(request, importer, form, rechecked=True)
        return _problems_page(request, importer, form, refused.check, rechecked=True)
    except DomainError as error:
        if importer.problems_on_upload_page:
            form_refuse(form, error)
            return _upload_page(request, importer, form, rechecked=True)
        messages.error(request, error.message)
        return redirect(importer.upload_url)
    return importer.done(request, result, filename=upload.filename)


def _upload_page(request, importer, form, *, check: ImportCheck | None = None, rechecked: bool = False):
    context = {"form": form, "check": check, "rechecked": rechecked, **importer.upload_context(request)}
    return render(request, importer.upload_template, context)


def _problems_page(request, importer, form, check: ImportCheck, *, rechecked: bool = False):
    if importer.problems_on_upload_page:
        form.add_error("file", f"{check.problems_sentence()}. Correct the file and upload it again.")
        return _upload_page(request, importer, form, check=check, rechecked=rechecked)
    return _preview_page(request, importer, form, check, "", rechecked=rechecked)


def _preview_page(request, importer, form, check: ImportCheck, token: str, *, rechecked: bool = False):
    context = {"form": form, "check": check, "token": token, "rechecked": rechecked,
               **importer.preview_context(request, form, check)}  # fmt: skip
    return render(request, importer.preview_template, context)
