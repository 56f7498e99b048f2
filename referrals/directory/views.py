"""Staff web pages of the service directory (/directory/): the whole scheme's services, searchable by every
member of staff; a coordinator's own organisation's services, which they add, change and retire.

Reading needs no capability (services hold no personal data); changing needs Capability.MANAGE_REFERRALS and
is scoped to the membership's organisation: another organisation's service is 404 on every page that changes.
"""

import csv

from crispy_forms_gds.helper import FormHelper
from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from inclusion import uploads
from inclusion.access import Capability, membership_can
from inclusion.errors import DomainError
from inclusion.forms.base import GOVUKForm
from inclusion.web import actor_for, form_refuse, paginate, posted, staff_view

from . import imports, selectors, services
from .forms import DirectorySearchForm, LocationForm, ServiceAddForm, ServiceForm
from .models import Delivery, ServiceKind, SkillArea, Weekday

ADD_FORM_ALIASES = {"postcode": "location_postcode", "address_line_1": "location_address_line_1",
                    "town": "location_town", "locations": "location_address_line_1"}  # fmt: skip


def load_service(request, pk, **kwargs) -> dict:
    """staff_view loader: any service of the directory, else 404."""
    service = selectors.service_get(pk=pk)
    if service is None:
        raise Http404("No such service")
    return {"service": service, **kwargs}


def load_own_service(request, pk, **kwargs) -> dict:
    """staff_view loader: one of the membership's organisation's services, else 404 (another's too)."""
    service = selectors.service_get_own(organisation=request.membership.organisation, pk=pk)
    if service is None:
        raise Http404("No such service")
    return {"service": service, **kwargs}


def load_own_location(request, pk, location_pk, **kwargs) -> dict:
    found = load_own_service(request, pk)
    location = selectors.location_get_own(organisation=request.membership.organisation, service=found["service"],
                                          pk=location_pk)  # fmt: skip
    if location is None:
        raise Http404("No such place")
    return {**found, "location": location, **kwargs}


def _days(service) -> str:
    names = dict(Weekday.choices)
    return ", ".join(str(names[day]) for day in service.days)


def clock(moment) -> str:
    """A time in GOV.UK style: 10am, 5:30pm, midday."""
    if moment.hour == 12 and moment.minute == 0:
        return "midday"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def _hours(service) -> str:
    if service.opens_at and service.closes_at:
        return f"{clock(service.opens_at)} to {clock(service.closes_at)}"
    if service.opens_at:
        return f"from {clock(service.opens_at)}"
    return ""


def _skill_areas(service) -> list[str]:
    names = dict(SkillArea.choices)
    return [str(names[area]) for area in service.skill_areas if area in names]


@staff_view(None)
def directory_search(request):
    form = DirectorySearchForm(request.GET or None)
    filters = {"q": "", "skill_area": "", "kind": "", "place": "", "delivery": "", "day": ""}
    searched = bool(request.GET)
    if form.is_valid():
        filters.update(form.cleaned_data)
    elif form.is_bound:
        filters = None
    results = paginate(request, selectors.service_search(**filters)) if filters is not None else None
    if results is not None:
        for service in results.object_list:
            service.day_names = _days(service)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "referrals/directory/directory_search.html", {
        "form": form, "page": results, "searched": searched and filters is not None and any(filters.values()),
        "query": query.urlencode(), "can_manage": membership_can(request.membership, Capability.MANAGE_REFERRALS),
    })  # fmt: skip


@staff_view(None, load=load_service)
def service_detail(request, service):
    own = service.organisation_id == request.membership.organisation.pk
    return render(request, "referrals/directory/service_detail.html", {
        "service": service, "day_names": _days(service), "skill_area_names": _skill_areas(service), "hours": _hours(service), "locations": list(service.locations.all()),
        "can_change": own and membership_can(request.membership, Capability.MANAGE_REFERRALS)
        and service.status != "defunct",
    })  # fmt: skip


@staff_view(Capability.MANAGE_REFERRALS)
def service_list_own(request):
    organisation = request.membership.organisation
    page = paginate(request, selectors.service_list_own(organisation=organisation))
    return render(request, "referrals/directory/service_list_own.html", {"page": page})


@staff_view(Capability.MANAGE_REFERRALS)
def service_add(request):
    form = ServiceAddForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            service = services.service_create(actor=actor_for(request), locations=form.locations(),
                                              **form.service_details())  # fmt: skip
        except DomainError as error:
            form_refuse(form, error, aliases=ADD_FORM_ALIASES)
        else:
            messages.success(request, f"{service.name} is in the directory.")
            return redirect("directory:service-detail", pk=service.pk)
    return render(request, "referrals/directory/service_form.html", {"form": form, "adding": True})


@staff_view(Capability.MANAGE_REFERRALS, load=load_own_service)
def service_edit(request, service):
    if service.status == "defunct":
        raise Http404("No such service")
    form = ServiceForm(posted(request), service=service)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_update(actor=actor_for(request), service=service, **form.service_details())
        except DomainError as error:
            form_refuse(form, error, aliases={"locations": "delivery"})
        else:
            messages.success(request, f"The details of {service.name} are saved.")
            return redirect("directory:service-detail", pk=service.pk)
    return render(request, "referrals/directory/service_form.html", {"form": form, "service": service})


@staff_view(Capability.MANAGE_REFERRALS, load=load_own_service)
def service_retire(request, service):
    if service.status == "defunct":
        raise Http404("No such service")
    error = None
    if request.method == "POST":
        try:
            services.service_retire(actor=actor_for(request), service=service)
        except DomainError as refusal:
            error = refusal.message
        else:
            messages.success(request, f"{service.name} is retired: it no longer shows in the directory.")
            return redirect("directory:service-list-own")
    return render(request, "referrals/directory/service_retire.html", {"service": service, "error": error})


@staff_view(Capability.MANAGE_REFERRALS, load=load_own_service)
def location_add(request, service):
    if service.status == "defunct":
        raise Http404("No such service")
    form = LocationForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.service_location_add(actor=actor_for(request), service=service, **form.cleaned_data)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"The place is added to {service.name}.")
            return redirect("directory:service-detail", pk=service.pk)
    return render(request, "referrals/directory/location_form.html", {"form": form, "service": service, "adding": True})


@staff_view(Capability.MANAGE_REFERRALS, load=load_own_location)
def location_edit(request, service, location):
    if service.status == "defunct":
        raise Http404("No such service")
    initial = {name: getattr(location, name) for name in services.LOCATION_FIELDS}
    form = LocationForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_location_update(actor=actor_for(request), location=location, **form.cleaned_data)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, "The place is saved.")
            return redirect("directory:service-detail", pk=service.pk)
    return render(request, "referrals/directory/location_form.html",
                  {"form": form, "service": service, "location": location})  # fmt: skip


@staff_view(Capability.MANAGE_REFERRALS, load=load_own_location)
def location_remove(request, service, location):
    if service.status == "defunct":
        raise Http404("No such service")
    error = None
    if request.method == "POST":
        try:
            services.service_location_remove(actor=actor_for(request), location=location)
        except DomainError as refusal:
            error = refusal.message
        else:
            messages.success(request, f"{location} is removed from {service.name}.")
            return redirect("directory:service-detail", pk=service.pk)
    return render(request, "referrals/directory/location_remove.html",
                  {"service": service, "location": location, "error": error})  # fmt: skip


# Import from a spreadsheet: upload, preview every row or every problem, confirm (as the devices import does).

UPLOAD_PURPOSE = "directory:import"
PREVIEW_ROWS = 500


class ServiceImportForm(GOVUKForm):
    file = forms.FileField(
        label="Upload a file",
        help_text=f"A CSV or Excel (.xlsx) file, smaller than {imports.MAX_BYTES // 2**20} MB, with a heading row",
        error_messages={"required": "Select a CSV or Excel file", "empty": "The selected file is empty",
                        "invalid": "Select a CSV or Excel file"},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()  # the page writes its own markup; the helper lets the error summary show

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(f"The selected file must be smaller than {imports.MAX_BYTES // 2**20} MB")
        return upload


COLUMN_GUIDE = [
    ("name", "Required. What residents and partners call it"),
    ("description", "Required. What happens and who it suits"),
    ("kind", "Required. Digital skills course, Device lending point, Data and connectivity hub or One-to-one digital help"),
    ("skill_areas", "Any of Foundation skills, Communicating, Handling information and content, Transacting, "
                    "Problem solving, Being safe and legal online, separated by ;"),
    ("level", "All levels (if blank), Beginners, Improvers or Confident users"),
    ("delivery", "In person (if blank), Online or In person and online (blended)"),
    ("days", "Days it runs, separated by ;, like Tue; Thu"),
    ("opens_at, closes_at", "Times, like 10am or 14:30"),
    ("schedule_description", "Anything else about when it runs"),
    ("capacity", "Places per course or session, a whole number"),
    ("free", "yes (if blank) or no; if no, say what it costs in cost_description"),
    ("eligibility, minimum_age, maximum_age", "Who can use it, and ages in whole years"),
    ("languages", "Separated by ;, like English; Punjabi"),
    ("accessibility", "Step-free access, hearing loop..."),
    ("contact_name, contact_email, contact_phone, url", "A team or role and a shared mailbox, not a person's own"),
    ("referrals_open", "yes (if blank) or no"),
    ("active_from, active_until", "First and last days, like 2027-04-14 or 14/04/2027"),
    ("place_name, address_line_1, address_line_2, town, postcode, place_accessibility",
     "Where it runs: needed for in-person and blended services. One place per row; add more on the service's page"),
]  # fmt: skip


@staff_view(Capability.MANAGE_REFERRALS)
def service_import(request):
    form = ServiceImportForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        check = imports.service_import_check(organisation=request.membership.organisation, filename=upload.name,
                                             content=content)  # fmt: skip
        if check.file_error:
            form.add_error("file", check.file_error)
        else:
            token = ""
            if check.ok:
                token = uploads.upload_keep(purpose=UPLOAD_PURPOSE, membership=request.membership,
                                            filename=check.filename, content=content)  # fmt: skip
            return _import_preview(request, check, token=token)
    return render(request, "referrals/directory/import.html", {"form": form, "columns": COLUMN_GUIDE})


@require_POST
@staff_view(Capability.MANAGE_REFERRALS)
def service_import_confirm(request):
    upload = uploads.upload_claim(purpose=UPLOAD_PURPOSE, membership=request.membership,
                                  token=request.POST.get("token", ""))  # fmt: skip
    if upload is None:
        messages.error(request, uploads.EXPIRED)
        return redirect("directory:service-import")
    try:
        made = services.service_import(actor=actor_for(request), filename=upload.filename, content=upload.content)
    except imports.ServiceImportRefused as refused:
        return _import_preview(request, refused.check, token="", rechecked=True)
    count = len(made)
    messages.success(request, f"{count} service{'s' if count != 1 else ''} imported from {upload.filename}.")
    return redirect("directory:service-list-own")


@staff_view(Capability.MANAGE_REFERRALS)
def service_import_template(request):
    """A CSV with every column and one example row, to fill in."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="services-template.csv"'
    writer = csv.writer(response)
    writer.writerow(imports.IMPORT_COLUMNS)
    example = {"name": "Get online: computer basics", "description": "Email, video calls and staying safe online",
               "kind": "Digital skills course", "skill_areas": "Communicating; Being safe and legal online",
               "level": "Beginners", "delivery": "In person", "days": "Tue; Thu", "opens_at": "10am",
               "closes_at": "12pm", "capacity": "8", "free": "yes", "languages": "English; Punjabi",
               "referrals_open": "yes", "place_name": "Central Library", "address_line_1": "Snow Hill",
               "town": "Wolverhampton", "postcode": "WV1 3AX"}  # fmt: skip
    writer.writerow([example.get(column, "") for column in imports.IMPORT_COLUMNS])
    return response


def _import_preview(request, check, *, token: str, rechecked: bool = False):
    kinds, deliveries = dict(ServiceKind.choices), dict(Delivery.choices)
    rows = [{"line": row.line, "name": row.details["name"], "kind": kinds.get(row.details["kind"], ""),
             "delivery": deliveries.get(row.details["delivery"], ""),
             "place": ", ".join(f"{p['address_line_1']}, {p['postcode'].upper()}" for p in row.locations),
             "days": ", ".join(str(dict(Weekday.choices)[d]) for d in row.details["days"])}
            for row in check.rows[:PREVIEW_ROWS]]  # fmt: skip
    bad_lines = {problem.line for problem in check.problems if problem.line is not None}
    return render(request, "referrals/directory/import_preview.html", {
        "check": check, "token": token, "rows": rows, "rechecked": rechecked, "bad_rows": len(bad_lines),
        "more_rows": max(0, len(check.rows) - PREVIEW_ROWS), "organisation": request.membership.organisation,
    })  # fmt: skip
