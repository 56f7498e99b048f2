"""Staff web pages of the service directory (/directory/): the whole scheme's services, searchable by every
member of staff; a coordinator's own organisation's services, which they add, change and retire.

Reading needs no capability (services hold no personal data); changing needs Capability.MANAGE_REFERRALS and
is scoped to the membership's organisation: another organisation's service is 404 on every page that changes.
"""

import csv

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from inclusion.access import Capability, membership_can
from inclusion.errors import DomainError
from inclusion.imports import Importer, import_confirm, import_upload
from inclusion.web import actor_for, form_refuse, paginate, posted, staff_view

from . import imports, selectors, services
from .forms import DirectorySearchForm, LocationForm, ServiceAddForm, ServiceForm, ServiceImportForm
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


# Import from a spreadsheet: the upload → preview → confirm flow of inclusion/imports.py

PREVIEW_ROWS = 500  # rows listed on the preview page; all of them are imported


class ServiceImporter(Importer):
    """A services import: imports.service_import_check reads and checks the file, services.service_import adds
    it (checking it again with the organisation locked)."""

    purpose = "directory:import"
    form_class = ServiceImportForm
    upload_template = "referrals/directory/import.html"
    preview_template = "referrals/directory/import_preview.html"
    upload_url = "directory:service-import"

    def check(self, request, form, *, filename, content):
        return imports.service_import_check(organisation=request.membership.organisation, filename=filename,
                                            content=content)  # fmt: skip

    def confirm(self, request, form, *, filename, content):
        return services.service_import(actor=actor_for(request), filename=filename, content=content)

    def done(self, request, result, *, filename):
        count = len(result)
        messages.success(request, f"{count} service{'s' if count != 1 else ''} imported from {filename}.")
        return redirect("directory:service-list-own")

    def upload_context(self, request):
        return {"columns": imports.COLUMN_GUIDE, "required_columns": imports.REQUIRED}

    def preview_context(self, request, form, check):
        kinds, deliveries, days = dict(ServiceKind.choices), dict(Delivery.choices), dict(Weekday.choices)
        rows = [{"line": row.line, "name": row.details["name"], "kind": kinds.get(row.details["kind"], ""),
                 "delivery": deliveries.get(row.details["delivery"], ""),
                 "place": ", ".join(f"{p['address_line_1']}, {p['postcode'].upper()}" for p in row.locations),
                 "days": ", ".join(str(days[d]) for d in row.details["days"])}
                for row in check.rows[:PREVIEW_ROWS]]  # fmt: skip
        return {"rows": rows, "more_rows": max(0, len(check.rows) - PREVIEW_ROWS),
                "organisation": request.membership.organisation}  # fmt: skip


SERVICE_IMPORTER = ServiceImporter()


@staff_view(Capability.MANAGE_REFERRALS)
def service_import(request):
    return import_upload(request, SERVICE_IMPORTER)


@require_POST
@staff_view(Capability.MANAGE_REFERRALS)
def service_import_confirm(request):
    return import_confirm(request, SERVICE_IMPORTER)


@staff_view(Capability.MANAGE_REFERRALS)
def service_import_template(request):
    """A CSV with every column and one example row, to fill in."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="services-template.csv"'
    csv.writer(response).writerows(imports.template_rows())
    return response
