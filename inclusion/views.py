"""Staff web pages for the core: home, resident search, register, resident page, edit, notes, consent.

Each view: check the form, call one service, redirect with a confirmation; reads come from selectors.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from devices.selectors import loans_for_resident
from devices.voucher_forms import VoucherIssueForm
from devices.voucher_selectors import voucher_stock, vouchers_for_resident

from . import selectors, services
from .access import (
    membership_can_manage_stock,
    membership_can_see_residents,
    membership_is_coordinator,
    resident_get_visible,
)
from .actors import Actor
from .choices import ConsentPurpose
from .errors import DomainError
from .forms import (
    ConsentForm,
    ConsentWithdrawForm,
    EqualityForm,
    NoteForm,
    RegisterResidentForm,
    ResidentForm,
    SearchForm,
    SkillsForm,
)
from .middleware import SESSION_KEY
from .models import Consent


def staff_view(*, residents: bool = True):
    """Signed in, with an active membership; `residents` views also need a role that sees residents."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "inclusion/no_access.html", status=403)
            if residents and not membership_can_see_residents(request.membership):
                return render(request, "inclusion/no_access.html", {"reports_only": True}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def stock_manager_view(refused_template: str):
    """Coordinators and administrators only (access.membership_can_manage_stock); anyone else gets a 403
    page that explains, in `refused_template`, who can do it instead."""

    def decorator(view):
        @staff_view(residents=False)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not membership_can_manage_stock(request.membership):
                return render(request, refused_template, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _posted(request):
    """The submitted data, or None on GET. (An empty POST is still a submission, to be validated.)"""
    return request.POST if request.method == "POST" else None


def _actor(request) -> Actor:
    return Actor.for_membership(request.membership)


def _apply_errors(form, error) -> None:
    """Put a service's refusal on the form, on the field it names where it names one."""
    if isinstance(error, DomainError):
        form.add_error(error.field if error.field in form.fields else None, error.message)
    elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))


@staff_view(residents=False)
def home(request):
    organisation = request.membership.organisation
    context = {
        "figures": selectors.dashboard_figures(organisation=organisation),
        "search_form": SearchForm(),
    }
    if membership_can_see_residents(request.membership):
        context["recent_notes"] = selectors.recent_notes(organisation=organisation)
    return render(request, "inclusion/home.html", context)


@login_required
@require_POST
def switch_organisation(request):
    chosen = request.POST.get("membership")
    membership = next((m for m in request.memberships if str(m.pk) == chosen), None)
    if membership is None:
        messages.error(request, "You are not a member of that organisation.")
    else:
        request.session[SESSION_KEY] = membership.pk
        messages.success(request, f"You are now working as {membership.organisation}.")
    return redirect("home")


@staff_view()
def resident_search(request):
    form = SearchForm(request.GET or None)
    results, searched = [], False
    if form.is_valid() and form.cleaned_data["q"]:
        searched = True
        query = form.cleaned_data["q"]
        if len(query.strip()) < selectors.SEARCH_MIN_LENGTH:
            form.add_error("q", f"Enter at least {selectors.SEARCH_MIN_LENGTH} characters")
        else:
            results = list(selectors.resident_search(organisation=request.membership.organisation, query=query))
    return render(request, "inclusion/resident_search.html", {"form": form, "results": results, "searched": searched})


@staff_view()
def resident_register(request):
    duplicates = []
    form = RegisterResidentForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        details = {k: v for k, v in form.cleaned_data.items() if k not in ("confirm_new", "duplicates_seen")}
        try:
            duplicates = services.resident_duplicate_check(
                actor=_actor(request), first_name=details["first_name"], last_name=details["last_name"],
                date_of_birth=details.get("date_of_birth"), phone=details.get("phone") or "",
                email=details.get("email", ""), postcode=details.get("postcode", ""),
            )  # fmt: skip
        except DomainError as error:  # the hourly limit on checks
            _apply_errors(form, error)
        else:
            if duplicates and not form.cleaned_data["confirm_new"] and form.cleaned_data["duplicates_seen"]:
                # Pressed Register again without ticking the box: say so, rather than show the same page again.
                form.add_error("confirm_new", form.CONFIRM_NEEDED)
            elif not duplicates or form.cleaned_data["confirm_new"]:
                try:
                    resident = services.resident_register(actor=_actor(request), **details)
                except (DomainError, ValidationError) as error:
                    _apply_errors(form, error)
                else:
                    messages.success(request, f"{resident.display_name} is registered.")
                    return redirect("resident-detail", pk=resident.pk)
    return render(
        request, "inclusion/resident_form.html", {"form": form, "duplicates": duplicates, "registering": True}
    )


@staff_view()
def duplicate_matches(request):
    """Coordinators: other partners' possible-duplicate checks that matched our residents."""
    if not membership_is_coordinator(request.membership):
        return render(request, "inclusion/coordinators_only.html", status=403)
    page = Paginator(selectors.cross_organisation_matches(organisation=request.membership.organisation), 50)
    return render(request, "inclusion/duplicate_matches.html", {"page": page.get_page(request.GET.get("page"))})


@staff_view()
def resident_detail(request, pk):
    resident = resident_get_visible(request.membership.organisation, pk)
    return render(
        request,
        "inclusion/resident_detail.html",
        {
            "resident": resident,
            "still_to_ask": selectors.resident_still_to_ask(resident=resident),
            "timeline": selectors.resident_timeline(resident=resident),
            "consents": selectors.resident_consents(resident=resident),
            "readiness": selectors.resident_readiness(resident=resident),
            "note_form": NoteForm(),
            "is_owner": resident.owning_organisation_id == request.membership.organisation_id,
            "loans": loans_for_resident(organisation=request.membership.organisation, resident=resident),
            "vouchers": vouchers_for_resident(organisation=request.membership.organisation, resident=resident),
            "voucher_issue_form": VoucherIssueForm(
                stock=voucher_stock(organisation=request.membership.organisation),
                action=reverse("devices:voucher-issue", kwargs={"pk": resident.pk}),
            ),
            "can_manage_stock": membership_can_manage_stock(request.membership),
        },
    )


@staff_view()
def resident_edit(request, pk):
    resident = resident_get_visible(request.membership.organisation, pk)
    form = ResidentForm(_posted(request), instance=resident)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_update(actor=_actor(request), resident=resident, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Their details are saved.")
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "inclusion/resident_form.html", {"form": form, "resident": resident})


# Asked when there is time, each on its own page (the resident's page says what is still to ask).
LATER_QUESTIONS = {
    "equality": (EqualityForm, "Equality monitoring", "Equality monitoring answers are saved."),
    "skills": (SkillsForm, "Essential digital skills baseline", "Their skills baseline is saved."),
}


def _later_questions(request, pk, which: str):
    form_class, heading, saved = LATER_QUESTIONS[which]
    resident = resident_get_visible(request.membership.organisation, pk)
    form = form_class(_posted(request), instance=resident)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_update(actor=_actor(request), resident=resident, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, saved)
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "inclusion/resident_questions.html", {"form": form, "resident": resident,
                                                                 "heading": heading})  # fmt: skip


@staff_view()
def resident_equality(request, pk):
    return _later_questions(request, pk, "equality")


@staff_view()
def resident_skills(request, pk):
    return _later_questions(request, pk, "skills")


@staff_view()
def note_add(request, pk):
    resident = resident_get_visible(request.membership.organisation, pk)
    form = NoteForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.note_add(actor=_actor(request), resident=resident, body=form.cleaned_data["body"])
        except DomainError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Note added.")
            return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#timeline")
    return render(request, "inclusion/note_form.html", {"form": form, "resident": resident})


@staff_view()
def consent_record(request, pk):
    """Their answers for every purpose without a current consent, in one form ("no" kept as a refusal)."""
    resident = resident_get_visible(request.membership.organisation, pk)
    latest = selectors.resident_latest_answers(resident=resident)
    current = [answer for answer in latest.values() if answer.is_current]
    purposes = [purpose for purpose in ConsentPurpose.values if not (purpose in latest and latest[purpose].is_current)]
    refused_on = {purpose: timezone.localdate(a.given_at) for purpose, a in latest.items() if a.refused}
    form = ConsentForm(_posted(request), purposes=purposes, refused_on=refused_on)
    if request.method == "POST" and purposes and form.is_valid():
        try:
            recorded = services.consents_record(actor=_actor(request), resident=resident, answers=form.answers,
                                                channel=form.cleaned_data["channel"])  # fmt: skip
        except DomainError as error:
            _apply_errors(form, error)
        else:
            given = [c.get_purpose_display() for c in recorded if not c.refused]
            refused = [c.get_purpose_display() for c in recorded if c.refused]
            parts = ([f"Consent recorded: {', '.join(given)}."] if given else []) + (
                [f"Refused: {', '.join(refused)}."] if refused else []
            )
            messages.success(request, " ".join(parts))
            return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#consent")
    return render(request, "inclusion/consent_form.html", {"form": form, "resident": resident, "current": current})


@staff_view()
def consent_withdraw(request, pk, consent_pk):
    resident = resident_get_visible(request.membership.organisation, pk)
    consent = get_object_or_404(Consent, pk=consent_pk, resident=resident)
    form = ConsentWithdrawForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(actor=_actor(request), consent=consent, **form.cleaned_data)
        except DomainError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"Consent withdrawn: {consent.get_purpose_display()}.")
            return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#consent")
    return render(request, "inclusion/consent_withdraw.html", {"form": form, "resident": resident, "consent": consent})
