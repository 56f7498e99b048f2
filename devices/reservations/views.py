"""Staff web pages for the waiting list: the list itself (ordered, with why places lapsed), joining it from the
resident's page, and cancelling a place. Offers happen when a device is made ready (devices.services)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from inclusion.access import Capability
from inclusion.errors import DomainError
from inclusion.web import actor_for, form_refuse, load_resident, posted, staff_view

from . import selectors, services
from .forms import CancelReservationForm, ReserveForm


@staff_view(Capability.LEND)
def waiting_list(request):
    organisation = request.membership.organisation
    services.reservations_lapse_expired(actor=actor_for(request))  # holds that ended since the last sweep
    return render(request, "devices/reservations/waiting_list.html", {
        "queues": selectors.waiting_list(organisation=organisation),
        "closed": selectors.reservations_closed_recently(organisation=organisation),
        "hold_days": services.reservation_hold_days(),
    })  # fmt: skip


@staff_view(Capability.LEND, load=load_resident)
def reservation_create(request, resident):
    """Join the waiting list from the resident's page or, with ?referral=<id>, from a referral the organisation
    received asking for a device (the reservation keeps the link; any other referral id is 404)."""
    referral = None
    if request.GET.get("referral"):
        referral = selectors.referral_for_reservation(organisation=request.membership.organisation,
                                                      pk=request.GET["referral"])  # fmt: skip
        if referral is None or referral.resident_id != resident.pk:
            raise Http404("No such referral")
    form = ReserveForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            reservation = services.reservation_create(actor=actor_for(request), resident=resident, referral=referral,
                                                      **form.cleaned_data)  # fmt: skip
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"{resident.display_name} is on the waiting list for a "
                                      f"{reservation.get_kind_display_lower()}.")  # fmt: skip
            if referral is not None:
                return redirect(reverse("referrals:referral-detail", kwargs={"pk": referral.pk}) + "#waiting-list")
            return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#reservations")
    return render(request, "devices/reservations/reserve.html", {"form": form, "resident": resident,
                                                                 "referral": referral})  # fmt: skip


@staff_view(Capability.LEND)
def reservation_cancel(request, reservation_pk):
    reservation = selectors.reservation_get(organisation=request.membership.organisation, pk=reservation_pk)
    if reservation is None:
        raise Http404("No such reservation")
    if not reservation.is_active:
        messages.info(request, "This reservation is already closed.")
        return redirect("devices:waiting-list")
    form = CancelReservationForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.reservation_cancel(actor=actor_for(request), reservation=reservation, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, "The reservation is cancelled.")
            return redirect("devices:waiting-list")
    return render(request, "devices/reservations/cancel.html", {"form": form, "reservation": reservation})
