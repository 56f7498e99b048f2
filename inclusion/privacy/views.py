"""Access log pages: coordinators see who has looked at their organisation's residents; administrators
search the whole log."""

from django.shortcuts import render

from inclusion.access import Capability
from inclusion.web import paginate, staff_view

from . import selectors
from .forms import AccessLogSearchForm


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
