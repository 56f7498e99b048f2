"""Staff web pages for the core: home, resident search, register, resident page, edit, notes, consent.

Each view: check the form, call one service, redirect with a confirmation; reads come from selectors.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import registry, selectors, services
from .access import NO_SUCH_RESIDENT, Capability, membership_can
from .choices import ConsentPurpose
from .errors import DomainError
from .forms.residents import (
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
from .privacy.models import AccessAction
from .privacy.proposals import contact_proposals_pending, contact_proposals_sent
from .privacy.services import access_log_record
from .privacy.sharing import resident_events_shown, resident_questions_shown
from .reports.selectors import organisation_headlines
from .web import actor_for, form_refuse, load_resident, paginate, posted, staff_view

TIMELINE_PAGE_SIZE = 20


@staff_view(capability=None)
def home(request):
    organisation = request.membership.organisation
    context = {
        "figures": selectors.dashboard_figures(organisation=organisation),
        "search_form": SearchForm(),
    }
    if membership_can(request.membership, Capability.SEE_RESIDENTS):
        context["recent_notes"] = selectors.recent_notes(organisation=organisation)
    if membership_can(request.membership, Capability.SEE_REPORTS):
        context["headlines"] = organisation_headlines(organisation)
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
    form = RegisterResidentForm(posted(request))
    if request.method == "POST" and form.is_valid():
        details = {k: v for k, v in form.cleaned_data.items() if k not in ("confirm_new", "duplicates_seen")}
        try:
            duplicates = services.resident_duplicate_check(
                actor=actor_for(request), first_name=details["first_name"], last_name=details["last_name"],
                date_of_birth=details.get("date_of_birth"), phone=details.get("phone") or "",
                email=details.get("email", ""), postcode=details.get("postcode", ""),
            )  # fmt: skip
        except DomainError as error:  # the hourly limit on checks
            form_refuse(form, error)
        else:
            if duplicates and not form.cleaned_data["confirm_new"] and form.cleaned_data["duplicates_seen"]:
                # Pressed Register again without ticking the box: say so, rather than show the same page again.
                form.add_error("confirm_new", form.CONFIRM_NEEDED)
            elif not duplicates or form.cleaned_data["confirm_new"]:
                try:
                    resident = services.resident_register(actor=actor_for(request), **details)
                except (DomainError, ValidationError) as error:
                    form_refuse(form, error)
                else:
                    messages.success(request, f"{resident.display_name} is registered.")
                    return redirect("resident-detail", pk=resident.pk)
    return render(
        request, "inclusion/resident_form.html", {"form": form, "duplicates": duplicates, "registering": True}
    )


@staff_view(Capability.OVERSEE)
def duplicate_matches(request):
    """Coordinators: other partners' possible-duplicate checks that matched our residents."""
    page = paginate(request, selectors.cross_organisation_matches(organisation=request.membership.organisation))
    return render(request, "inclusion/duplicate_matches.html", {"page": page})


@staff_view(load=load_resident)
def resident_detail(request, resident):
    """The resident's page: their details, consent and timeline, and each app's section (inclusion.registry)."""
    is_owner = resident.owning_organisation_id == request.membership.organisation_id
    access_log_record(actor=actor_for(request), action=AccessAction.RESIDENT_VIEWED, resident=resident, request=request)
    events = selectors.resident_timeline(resident=resident)
    if not is_owner:
        # Leave out the notes resident_events_shown would drop, before paginating, so that pages are full.
        events = events.exclude(Q(kind="note") & ~Q(organisation=request.membership.organisation))
    # A resident of years has hundreds of entries: the page shows the latest TIMELINE_PAGE_SIZE (?page=N).
    timeline = paginate(request, events, per_page=TIMELINE_PAGE_SIZE)
    sections, actions = [], []
    for section in registry.resident_sections():
        context = section.context(request, resident)
        if context is not None:
            context = {**context, "resident": resident, "is_owner": is_owner}
            sections.append((section, render_to_string(section.template, context, request=request)))
        if section.actions is not None:
            actions += section.actions(request, resident)
    return render(
        request,
        "inclusion/resident_detail.html",
        {
            "resident": resident,
            "still_to_ask": resident_questions_shown(
                organisation=request.membership.organisation,
                resident=resident,
                groups=selectors.resident_still_to_ask(resident=resident),
            ),
            "timeline": resident_events_shown(
                organisation=request.membership.organisation, resident=resident, events=timeline.object_list
            ),
            "timeline_page": timeline,
            # The list counts down (<ol reversed>): the newest entry on this page is number `timeline_start`.
            "timeline_start": timeline.paginator.count - timeline.start_index() + 1,
            "consents": selectors.resident_consents(resident=resident),
            "readiness": selectors.resident_readiness(resident=resident),
            "note_form": NoteForm(),
            "is_owner": is_owner,
            "sections": sections,
            "section_actions": actions,
            "contact_proposals": contact_proposals_pending(resident=resident) if is_owner else [],
            "contact_proposals_sent": []
            if is_owner
            else contact_proposals_sent(organisation=request.membership.organisation, resident=resident)[:5],
        },
    )


@staff_view(load=load_resident)
def resident_edit(request, resident):
    """The owner's staff change the resident's details; a linked organisation proposes a contact update instead
    (inclusion.privacy.sharing), so this page is not there for it."""
    if resident.owning_organisation_id != request.membership.organisation_id:
        raise Http404(NO_SUCH_RESIDENT)
    form = ResidentForm(posted(request), instance=resident)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_update(actor=actor_for(request), resident=resident, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, "Their details are saved.")
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "inclusion/resident_form.html", {"form": form, "resident": resident})


# Asked when there is time, each on its own page (the resident's page says what is still to ask).
LATER_QUESTIONS = {
    "equality": (EqualityForm, "Equality monitoring", "Equality monitoring answers are saved."),
    "skills": (SkillsForm, "Essential digital skills baseline", "Their skills baseline is saved."),
}


def _later_questions(request, resident, which: str):
    if which == "equality" and resident.owning_organisation_id != request.membership.organisation_id:
        raise Http404(NO_SUCH_RESIDENT)  # only the owner reads equality answers (inclusion.privacy.sharing)
    form_class, heading, saved = LATER_QUESTIONS[which]
    form = form_class(posted(request), instance=resident)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_update(actor=actor_for(request), resident=resident, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, saved)
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "inclusion/resident_questions.html", {"form": form, "resident": resident,
                                                                 "heading": heading})  # fmt: skip


@staff_view(load=load_resident)
def resident_equality(request, resident):
    return _later_questions(request, resident, "equality")


@staff_view(load=load_resident)
def resident_skills(request, resident):
    return _later_questions(request, resident, "skills")


@staff_view(load=load_resident)
def note_add(request, resident):
    form = NoteForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.note_add(actor=actor_for(request), resident=resident, body=form.cleaned_data["body"])
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, "Note added.")
            return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#timeline")
    return render(request, "inclusion/note_form.html", {"form": form, "resident": resident})


@staff_view(load=load_resident)
def consent_record(request, resident):
    """Their answers for every purpose without a current consent, in one form ("no" kept as a refusal)."""
    latest = selectors.resident_latest_answers(resident=resident)
    current = [answer for answer in latest.values() if answer.is_current]
    purposes = [purpose for purpose in ConsentPurpose.values if not (purpose in latest and latest[purpose].is_current)]
    refused_on = {purpose: timezone.localdate(a.given_at) for purpose, a in latest.items() if a.refused}
    form = ConsentForm(posted(request), purposes=purposes, refused_on=refused_on)
    if request.method == "POST" and purposes and form.is_valid():
        try:
            recorded = services.consents_record(actor=actor_for(request), resident=resident, answers=form.answers,
                                                channel=form.cleaned_data["channel"])  # fmt: skip
        except DomainError as error:
            form_refuse(form, error)
        else:
            given = [c.get_purpose_display() for c in recorded if not c.refused]
            refused = [c.get_purpose_display() for c in recorded if c.refused]
            parts = ([f"Consent recorded: {', '.join(given)}."] if given else []) + (
                [f"Refused: {', '.join(refused)}."] if refused else []
            )
            messages.success(request, " ".join(parts))
            return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#consent")
    return render(request, "inclusion/consent_form.html", {"form": form, "resident": resident, "current": current})


def _load_consent(request, pk, consent_pk):
    resident = load_resident(request, pk)["resident"]
    return {"resident": resident, "consent": get_object_or_404(Consent, pk=consent_pk, resident=resident)}


@staff_view(load=_load_consent)
def consent_withdraw(request, resident, consent):
    form = ConsentWithdrawForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(actor=actor_for(request), consent=consent, **form.cleaned_data)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"Consent withdrawn: {consent.get_purpose_display()}.")
            return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#consent")
    return render(request, "inclusion/consent_withdraw.html", {"form": form, "resident": resident, "consent": consent})
