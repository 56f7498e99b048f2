"""Access log pages: coordinators see who has looked at their organisation's residents; administrators
search the whole log."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from inclusion import services as core_services
from inclusion.access import NO_SUCH_RESIDENT, Capability
from inclusion.errors import DomainError
from inclusion.web import actor_for, form_refuse, load_resident, paginate, posted, staff_view

from . import selectors
from .forms import AccessLogSearchForm, RestrictionForm


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
