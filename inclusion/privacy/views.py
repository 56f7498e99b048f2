"""Access log pages: coordinators see who has looked at their organisation's residents; administrators
search the whole log. Subject access (a page, a PDF, JSON), restriction, the contact updates linked
organisations propose to the owner, and the retention review."""

import json

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from inclusion import services as core_services
from inclusion.access import NO_SUCH_RESIDENT, Capability
from inclusion.errors import DomainError
from inclusion.forms.residents import ContactProposalForm
from inclusion.models import ContactProposal
from inclusion.pdf import pdf_response
from inclusion.web import actor_for, form_refuse, load_resident, paginate, posted, staff_view

from . import erasure, proposals, retention, selectors, services
from .forms import AccessLogSearchForm, AnonymiseForm, RestrictionForm, RetentionDecisionForm


@staff_view(Capability.OVERSEE)
def access_log_own(request):
    """Who has looked at our residents: every entry about them, our own staff's included."""
    page = paginate(request, selectors.access_log_for_owner(organisation=request.membership.organisation))
    return render(request, "privacy/access_log.html", {"page": page})


@staff_view(Capability.ADMINISTER)
def access_log_all(request):
    """The whole scheme's access log, searched by resident, person, organisation, action and dates."""
    form = AccessLogSearchForm(request.GET or None)
    entries = None
    if form.is_bound and form.is_valid():
        criteria = form.cleaned_data
        entries = selectors.access_log_search(
            resident_id=criteria["resident"], email=criteria["email"] or "", organisation=criteria["organisation"],
            action=criteria["action"], since=criteria["since"], until=criteria["until"],
        )  # fmt: skip
    elif not form.is_bound:
        entries = selectors.access_log_search()
    page = paginate(request, entries) if entries is not None else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "privacy/access_log_all.html", {"form": form, "page": page, "query": query.urlencode()})


@staff_view(Capability.OVERSEE, load=load_resident)
def resident_restriction(request, resident):
    """Restrict a resident's record (UK GDPR Art. 18: read-only, no messages) or lift the restriction. The
    owning organisation's coordinators only."""
    if resident.owning_organisation_id != request.membership.organisation_id:
        raise Http404(NO_SUCH_RESIDENT)
    restricting = resident.restricted_at is None
    form = RestrictionForm(posted(request), button="Restrict their record" if restricting else "Lift the restriction")
    if form.is_valid():
        try:
            core_services.resident_restriction_set(actor=actor_for(request), resident=resident, restricted=restricting,
                                                   reason=form.cleaned_data["reason"])  # fmt: skip
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, "Their record is restricted." if restricting else "The restriction is lifted.")
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "privacy/restriction.html", {"form": form, "resident": resident, "restricting": restricting})


@staff_view(load=load_resident)
def contact_propose(request, resident):
    """A linked organisation proposes new contact details to the resident's owner (the owner edits them)."""
    if resident.owning_organisation_id == request.membership.organisation_id:
        return redirect("resident-edit", pk=resident.pk)
    form = ContactProposalForm(posted(request), instance=resident)
    if form.is_valid():
        try:
            proposals.contact_update_propose(actor=actor_for(request), resident=resident, **form.changes)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"Your proposal is sent to {resident.owning_organisation}.")
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "privacy/contact_propose.html", {"form": form, "resident": resident})


def _load_proposal(request, pk, proposal_pk):
    resident = load_resident(request, pk)["resident"]
    if resident.owning_organisation_id != request.membership.organisation_id:
        raise Http404(NO_SUCH_RESIDENT)
    return {"resident": resident, "proposal": get_object_or_404(ContactProposal, pk=proposal_pk, resident=resident)}


@staff_view(load=_load_proposal)
@require_POST
def contact_proposal_decide(request, resident, proposal):
    """The owner's staff accept or reject a proposed contact update (the buttons on the resident's page)."""
    accept = request.POST.get("decision") == "accept"
    try:
        if accept:
            proposals.contact_proposal_accept(actor=actor_for(request), proposal=proposal)
        else:
            proposals.contact_proposal_reject(actor=actor_for(request), proposal=proposal)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Their contact details are updated." if accept else "The proposal is rejected.")
    return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#contact-proposals")


@staff_view(Capability.OVERSEE)
def retention_review(request):
    """The retention review: our residents with no activity for RETENTION_INACTIVE_YEARS, each to confirm for
    anonymising or keep; and the confirmations the nightly task has still to carry out."""
    organisation = request.membership.organisation
    page = paginate(request, retention.residents_due_for_review(organisation=organisation))
    return render(request, "privacy/retention_review.html", {
        "page": page, "confirmed": retention.retention_reviews_confirmed(organisation=organisation),
        "years": settings.RETENTION_INACTIVE_YEARS,
    })  # fmt: skip


def _load_own_resident(request, pk):
    """A resident of the membership's own organisation, else 404 (a linked partner's look is no different)."""
    resident = load_resident(request, pk)["resident"]
    if resident.owning_organisation_id != request.membership.organisation_id:
        raise Http404(NO_SUCH_RESIDENT)
    return {"resident": resident}


@staff_view(Capability.OVERSEE, load=_load_own_resident)
def retention_decide(request, resident):
    """Confirm one resident for anonymising, or keep their record with a reason."""
    current = retention.retention_review_current(resident=resident)
    confirmed = current is not None and current.status == retention.S.CONFIRMED
    form = RetentionDecisionForm(posted(request), confirmed=confirmed)
    if form.is_valid():
        try:
            retention.retention_decide(actor=actor_for(request), resident=resident, **form.cleaned_data)
        except DomainError as error:
            form_refuse(form, error)
        else:
            kept = form.cleaned_data["decision"] == retention.KEEP
            messages.success(request, f"{resident.display_name}'s record is kept." if kept else
                             f"{resident.display_name}'s record will be anonymised tonight.")  # fmt: skip
            return redirect("retention-review")
    return render(request, "privacy/retention_decide.html", {
        "form": form, "resident": resident, "current": current, "confirmed": confirmed,
        "last_active_at": retention.resident_last_activity(resident), "years": settings.RETENTION_INACTIVE_YEARS,
    })  # fmt: skip


def _subject_access(request, resident) -> dict:
    """What every form of the subject access export shows (the access log records each one produced)."""
    try:
        export = services.subject_access_produce(actor=actor_for(request), resident=resident, request=request)
    except DomainError:  # not the owner: as unknown as any resident it may not see
        raise Http404(NO_SUCH_RESIDENT) from None
    return {"resident": resident, "export": export, "sections": selectors.subject_access_readable(export),
            "organisation": request.membership.organisation, "produced_at": timezone.now()}  # fmt: skip


@staff_view(Capability.OVERSEE, load=_load_own_resident)
def subject_access(request, resident):
    """Everything held on the resident across every app, readable, with the PDF and JSON to send them."""
    return render(request, "privacy/subject_access.html", _subject_access(request, resident))


@staff_view(Capability.OVERSEE, load=_load_own_resident)
def subject_access_pdf(request, resident):
    return pdf_response(request, "privacy/subject_access_pdf.html", _subject_access(request, resident),
                        filename=f"subject-access-{resident.pk}.pdf")  # fmt: skip


@staff_view(Capability.OVERSEE, load=_load_own_resident)
def subject_access_json(request, resident):
    export = _subject_access(request, resident)["export"]
    response = HttpResponse(json.dumps(export, indent=2, ensure_ascii=False, default=str),
                            content_type="application/json; charset=utf-8")  # fmt: skip
    response["Content-Disposition"] = f'attachment; filename="subject-access-{resident.pk}.json"'
    add_never_cache_headers(response)
    response["Cache-Control"] += ", private"
    return response


@staff_view(Capability.OVERSEE, load=_load_own_resident)
def resident_anonymise(request, resident):
    """Anonymise a resident's record on their request (UK GDPR Art. 17), for every partner, keeping what the
    reports count. The owning organisation's coordinators only; the retention review does the same for
    residents long inactive."""
    if erasure.resident_is_erased(resident):
        return redirect("resident-detail", pk=resident.pk)
    form = AnonymiseForm(posted(request))
    if form.is_valid():
        try:
            erasure.resident_erase(actor=actor_for(request), resident=resident, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, "Their record is anonymised.")
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "privacy/anonymise.html", {"form": form, "resident": resident})
