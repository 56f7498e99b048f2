"""Staff web pages for data vouchers: stock and batches, importing a batch, issuing from the resident's
page, the one-time code confirmation, showing a code again, and marking a voucher activated, not working
or withdrawn.

Codes are bearer secrets. A whole code is on two pages only: the confirmation right after issuing (once:
the session says which voucher was just issued) and the page a "Show code" POST returns (voucher_reveal
puts that on the resident's timeline). Both are sent with no-store. Everywhere else, and in every message,
a voucher is its masked code (••••1234).

Another organisation's voucher or batch is 404 for everyone; the stock pages and imports are for
coordinators and administrators (others get 403). Importing a batch is the upload → preview → confirm flow
of inclusion/imports.py: the file is checked again on confirmation.
"""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from devices.templatetags.vouchers import kind_in_sentence
from inclusion.access import Capability, membership_can, resident_get_visible
from inclusion.errors import DomainError
from inclusion.imports import ImportCheck, Importer, ImportRefused, Problem, import_confirm, import_upload
from inclusion.pdf import pdf_response
from inclusion.privacy.models import AccessAction
from inclusion.privacy.services import access_log_record
from inclusion.spreadsheets import csv_response
from inclusion.web import actor_for, form_refuse, paginate, posted, staff_view

from . import selectors
from .exports import VOUCHER_HEADINGS, voucher_export_rows
from .forms import (
    VoucherActivateForm,
    VoucherBatchImportForm,
    VoucherFailForm,
    VoucherFilterForm,
    VoucherIssueForm,
    VoucherWithdrawForm,
)
from .imports import problems_masked, voucher_file_read
from .models import Voucher, VoucherStatus, mask_code
from .services import (
    voucher_activate,
    voucher_batch_import,
    voucher_fail,
    voucher_issue,
    voucher_reveal,
    voucher_withdraw,
)

V = VoucherStatus
PAGE_SIZE = 50
PREVIEW_ROWS = 500  # rows listed on the preview page; all of them are imported

UPLOAD_PURPOSE = "devices:voucher-import"  # the cache key's prefix (inclusion.uploads)
# The vouchers just issued in this session, whose codes the confirmation page may show once.
JUST_ISSUED = "devices:vouchers-just-issued"


def _refuse(request):
    return render(request, "inclusion/no_access.html", {"capability": Capability.MANAGE_STOCK}, status=403)


def _voucher(request, voucher_pk) -> Voucher:
    """The organisation's voucher, with `resident_visible` set, or 404."""
    organisation = request.membership.organisation
    voucher = selectors.voucher_get(organisation=organisation, pk=voucher_pk)
    if voucher is None:
        raise Http404("No such voucher")
    return selectors.vouchers_mark_resident_visible(organisation=organisation, vouchers=[voucher])[0]


def _back_url(request, voucher: Voucher) -> str:
    """Where an action returns to: the resident's page when it was started there (and they are still
    ours to see), else the voucher's page."""
    wanted = request.POST.get("return_to") or request.GET.get("return_to")
    if wanted == "resident" and voucher.resident_id and voucher.resident_visible:
        return reverse("resident-detail", kwargs={"pk": voucher.resident_id}) + "#vouchers"
    return reverse("devices:voucher-detail", kwargs={"voucher_pk": voucher.pk})


def _describe(voucher: Voucher) -> str:
    """'Network 3 data voucher code ••••1234', for messages and headings: never the whole code."""
    return f"{voucher.provider} {kind_in_sentence(voucher.batch.kind)} {voucher.masked}"


# Stock


@staff_view(Capability.MANAGE_STOCK)
def voucher_stock(request):
    organisation = request.membership.organisation
    batches = list(selectors.voucher_batch_list(organisation=organisation))
    form = VoucherFilterForm(request.GET or None, batches=batches)
    filters = {"status": "", "batch": None}
    if form.is_valid():
        filters.update(form.cleaned_data)
    page = _page(request, selectors.voucher_list(organisation=organisation, **filters))
    return render(
        request,
        "devices/vouchers/stock.html",
        {
            "stock": selectors.voucher_stock_labelled(organisation=organisation),
            "batches": batches,
            "form": form,
            "page": page,
            "filtered": bool(filters["status"] or filters["batch"]),
            "today": timezone.localdate(),
        },
    )


@require_GET
@staff_view(Capability.MANAGE_STOCK)
def voucher_export_csv(request):
    """The (filtered) voucher list as CSV, codes masked, no resident details."""
    organisation = request.membership.organisation
    form = VoucherFilterForm(request.GET or None, batches=list(selectors.voucher_batch_list(organisation=organisation)))
    filters = {"status": "", "batch": None}
    if form.is_valid():
        filters.update(form.cleaned_data)
    rows = voucher_export_rows(selectors.voucher_list(organisation=organisation, **filters))
    access_log_record(actor=actor_for(request), action=AccessAction.EXPORT_DOWNLOADED, request=request)
    return csv_response(VOUCHER_HEADINGS, rows, f"{organisation.slug}-vouchers-{timezone.localdate():%Y-%m-%d}.csv")


@staff_view()
def voucher_batch_detail(request, batch_pk):
    organisation = request.membership.organisation
    batch = selectors.voucher_batch_get(organisation=organisation, pk=batch_pk)
    if batch is None:
        raise Http404("No such batch")  # before the role check: another organisation's batch is 404 for all
    if not membership_can(request.membership, Capability.MANAGE_STOCK):
        return _refuse(request)
    form = VoucherFilterForm(request.GET or None, batches=None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = _page(request, selectors.voucher_list(organisation=organisation, batch=batch, status=status))
    counts = [(label, getattr(batch, f"n_{status}")) for status, label in V.choices]
    return render(
        request,
        "devices/vouchers/batch_detail.html",
        {"batch": batch, "form": form, "page": page, "counts": counts, "filtered": bool(status),
         "expired": batch.expires_on < timezone.localdate()},
    )  # fmt: skip


def _page(request, vouchers):
    page = paginate(request, vouchers)
    page.object_list = selectors.vouchers_mark_resident_visible(
        organisation=request.membership.organisation, vouchers=page.object_list
    )
    return page


# Import: the upload → preview → confirm flow of inclusion/imports.py


class VoucherBatchImporter(Importer):
    """A batch of vouchers: devices.vouchers.imports reads the file, the service checks the rows (a dry run,
    counted against the hourly limit and recorded) and imports them. A web import is a check, a recheck on
    confirming and the import. The batch's details are on the upload page's form, so problems are shown there."""

    purpose = UPLOAD_PURPOSE
    form_class = VoucherBatchImportForm
    upload_template = "devices/vouchers/import.html"
    preview_template = "devices/vouchers/import_preview.html"
    upload_url = "devices:voucher-import"
    problems_on_upload_page = True

    def check(self, request, form, *, filename, content):
        read = voucher_file_read(filename=filename, content=content)
        if read.file_error:
            return ImportCheck(filename=read.filename, file_error=read.file_error)
        errors = []
        if read.rows:
            report = voucher_batch_import(actor=actor_for(request), rows=read.rows, dry_run=True,
                                          **form.batch_details())  # fmt: skip
            errors = report.errors
        return _import_check(read.filename, read.rows, read.problems + errors)

    def confirm(self, request, form, *, filename, content):
        # Everything is checked again: the batch details (the form, by the flow) and every row (codes someone else
        # imported meanwhile); the service checks the rows once more, inside its transaction.
        check = self.check(request, form, filename=filename, content=content)
        if not check.ok:
            raise ImportRefused(check)
        report = voucher_batch_import(actor=actor_for(request), rows=check.rows, dry_run=False, **form.batch_details())
        if not report.ok:  # changed between our check and the service's
            raise ImportRefused(_import_check(check.filename, check.rows, report.errors))
        return report

    def done(self, request, result, *, filename):
        count = result.imported
        messages.success(request, f"{count} voucher{'s' if count != 1 else ''} imported from {filename}.")
        return redirect("devices:voucher-batch-detail", batch_pk=result.batch.pk)

    def preview_context(self, request, form, check):
        rows = [
            {"line": row.line, "code": mask_code(row.code), "iccid": mask_code(row.iccid),
             "sim_serial": mask_code(row.sim_serial)}
            for row in check.rows[:PREVIEW_ROWS]
        ]  # fmt: skip
        details = form.cleaned_data
        return {"rows": rows, "more_rows": max(0, len(check.rows) - PREVIEW_ROWS), "details": details,
                "kind_label": dict(form.fields["kind"].choices)[details["kind"]],
                "columns": [c for c in ("code", "iccid", "sim_serial") if any(getattr(r, c) for r in check.rows)]}  # fmt: skip


def _import_check(filename: str, rows: list, problems: list[tuple[int, str]]) -> ImportCheck:
    """The rows and their problems (line 0 is the whole file), with every code in a message masked."""
    masked = sorted(problems_masked(problems, rows))
    return ImportCheck(
        filename=filename, rows=rows, problems=[Problem(line or None, "", reason) for line, reason in masked]
    )


VOUCHER_BATCH_IMPORTER = VoucherBatchImporter()


@staff_view(Capability.MANAGE_STOCK)
def voucher_import(request):
    return import_upload(request, VOUCHER_BATCH_IMPORTER)


@require_POST
@staff_view(Capability.MANAGE_STOCK)
def voucher_import_confirm(request):
    return import_confirm(request, VOUCHER_BATCH_IMPORTER)


# Issuing


@staff_view()
def voucher_issue_for_resident(request, pk):
    organisation = request.membership.organisation
    resident = resident_get_visible(organisation, pk)
    form = VoucherIssueForm(
        posted(request),
        stock=selectors.voucher_issue_choices(organisation=organisation),
        action=request.path,
        heading=True,
    )
    if request.method == "POST" and form.is_valid():
        kind, provider = form.cleaned_data["kind"], form.cleaned_data["provider"]
        if not form.cleaned_data["confirmed"]:
            # It uses the resident's allowance for months: say so, and ask before issuing.
            allowance = selectors.voucher_allowance(organisation=organisation, kind=kind, provider=provider)
            until = timezone.localdate() + timedelta(days=allowance["window_days"]) if allowance else None
            return render(request, "devices/vouchers/issue_confirm.html", {
                "resident": resident, "kind": kind, "provider": provider, "allowance": allowance, "until": until,
                "months": round(allowance["window_days"] / 30.44) if allowance else 0,
            })  # fmt: skip
        try:
            voucher = voucher_issue(actor=actor_for(request), resident=resident, kind=kind, provider=provider)
        except DomainError as error:
            form_refuse(form, error)
        else:
            _just_issued_add(request, voucher)
            return redirect("devices:voucher-issued", voucher_pk=voucher.pk)
    return render(
        request,
        "devices/vouchers/issue.html",
        {"form": form, "resident": resident},
    )


def _just_issued_add(request, voucher: Voucher) -> None:
    """Let the confirmation page show this voucher's code, once. (The session holds the id, never the code.)"""
    request.session[JUST_ISSUED] = [*request.session.get(JUST_ISSUED, [])[-9:], voucher.pk]


def _just_issued_take(request, voucher: Voucher) -> bool:
    issued = request.session.get(JUST_ISSUED, [])
    if voucher.pk not in issued:
        return False
    request.session[JUST_ISSUED] = [pk for pk in issued if pk != voucher.pk]
    return True


@never_cache
@staff_view()
def voucher_issued(request, voucher_pk):
    """The code, whole, once: right after issuing. Afterwards this address shows the voucher's page."""
    voucher = _voucher(request, voucher_pk)
    if not _just_issued_take(request, voucher):
        return redirect("devices:voucher-detail", voucher_pk=voucher.pk)
    return render(
        request, "devices/vouchers/code.html", {"voucher": voucher, "code": voucher.identifier, "just_issued": True}
    )


@never_cache
@require_POST
@staff_view()
def voucher_show_code(request, voucher_pk):
    """Show a code again (a POST: each time goes on the resident's timeline)."""
    voucher = _voucher(request, voucher_pk)
    try:
        code = voucher_reveal(actor=actor_for(request), voucher=voucher)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_back_url(request, voucher))
    return render(
        request,
        "devices/vouchers/code.html",
        {"voucher": voucher, "code": code, "just_issued": False, "back_url": _back_url(request, voucher)},
    )


SLIP_LANGUAGES = "devices/vouchers/slips/{}.html"  # one template per language; English when none exists


def slip_template(language: str) -> str:
    """The slip template in the resident's preferred language ("Polish" → slips/polish.html), else English."""
    slug = "".join(ch for ch in (language or "").lower() if ch.isalpha())
    return select_template([SLIP_LANGUAGES.format(slug), SLIP_LANGUAGES.format("english")]).template.name


@never_cache
@require_POST
@staff_view()
def voucher_slip_pdf(request, voucher_pk):
    """A printable slip with the code and how to activate it, as a PDF. Putting the code on paper reveals it, so
    this is the same check as "Show code" (voucher_reveal: the owning organisation's staff, an issued voucher) and
    goes on the resident's timeline the same way."""
    voucher = _voucher(request, voucher_pk)
    try:
        code = voucher_reveal(actor=actor_for(request), voucher=voucher)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_back_url(request, voucher))
    language = voucher.resident.preferred_language if voucher.resident_visible else ""
    context = {
        "voucher": voucher, "code": code, "organisation": request.membership.organisation,
        "resident_name": voucher.resident.display_name if voucher.resident_visible else "",
        "body_template": slip_template(language),
    }  # fmt: skip
    return pdf_response(request, "devices/vouchers/slips/slip_pdf.html", context,
                        filename=f"voucher-slip-{voucher.pk}.pdf")  # fmt: skip


# A voucher's page and what happened to it


@staff_view()
def voucher_detail(request, voucher_pk):
    voucher = _voucher(request, voucher_pk)
    replaced_by = Voucher.objects.filter(replacement_for=voucher).first()
    return render(
        request,
        "devices/vouchers/detail.html",
        {
            "voucher": voucher,
            "replaced_by": replaced_by,
            "can_withdraw": _may_withdraw(request, voucher),
            "history": selectors.voucher_history(voucher=voucher),
        },
    )


def _may_withdraw(request, voucher: Voucher) -> bool:
    """Staff withdraw an issued voucher; taking one out of stock is for those who manage stock."""
    return voucher.status == V.ISSUED or (
        voucher.status == V.AVAILABLE and membership_can(request.membership, Capability.MANAGE_STOCK)
    )


def _action_form(request, form_class):
    """The action's form; on GET it carries on where the page was opened from (?return_to=resident)."""
    return_to = "resident" if request.GET.get("return_to") == "resident" else ""
    return form_class(posted(request), initial={"return_to": return_to})


def _action_page(request, voucher, form, template: str):
    return render(request, template, {"voucher": voucher, "form": form, "back_url": _back_url(request, voucher)})


@staff_view()
def voucher_mark_activated(request, voucher_pk):
    voucher = _voucher(request, voucher_pk)
    form = _action_form(request, VoucherActivateForm)
    if request.method == "POST" and form.is_valid():
        try:
            voucher_activate(actor=actor_for(request), voucher=voucher)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"{_describe(voucher)} is marked as activated.")
            return redirect(_back_url(request, voucher))
    return _action_page(request, voucher, form, "devices/vouchers/activate.html")


@staff_view()
def voucher_mark_failed(request, voucher_pk):
    voucher = _voucher(request, voucher_pk)
    form = _action_form(request, VoucherFailForm)
    if request.method == "POST" and form.is_valid():
        try:
            replacement = voucher_fail(actor=actor_for(request), voucher=voucher, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_refuse(form, error)
        else:
            if replacement is None:
                messages.error(request, f"{_describe(voucher)} is marked as not working. There was no replacement "
                                        "to give: none of that kind is left in a current batch. Ask your "
                                        "coordinator to import more, then issue one from their page.")  # fmt: skip
                return redirect(_back_url(request, voucher))
            messages.success(request, f"{_describe(voucher)} is marked as not working, and a replacement was issued.")
            _just_issued_add(request, replacement)
            return redirect("devices:voucher-issued", voucher_pk=replacement.pk)
    return _action_page(request, voucher, form, "devices/vouchers/fail.html")


@staff_view()
def voucher_mark_withdrawn(request, voucher_pk):
    voucher = _voucher(request, voucher_pk)
    if voucher.status == V.AVAILABLE and not membership_can(request.membership, Capability.MANAGE_STOCK):
        return _refuse(request)
    form = _action_form(request, VoucherWithdrawForm)
    if request.method == "POST" and form.is_valid():
        try:
            voucher_withdraw(actor=actor_for(request), voucher=voucher, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"{_describe(voucher)} is withdrawn.")
            return redirect(_back_url(request, voucher))
    return _action_page(request, voucher, form, "devices/vouchers/withdraw.html")
