"""Staff web pages for kits: the kit templates (coordinators add them), lending a kit from the resident's page
(one device of each kind, one agreement, one receipt) and a kit loan's page, where its items come back one by
one (each item's return is its loan's return page)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from inclusion.access import Capability, membership_can
from inclusion.errors import DomainError
from inclusion.web import actor_for, form_refuse, load_resident, posted, staff_view

from .. import selectors, services
from ..forms.kits import KitForm, KitLendForm


@staff_view(Capability.LEND)
def kit_list(request):
    organisation = request.membership.organisation
    can_manage = membership_can(request.membership, Capability.MANAGE_STOCK)
    if request.method == "POST" and not can_manage:
        return render(request, "inclusion/no_access.html", {"capability": Capability.MANAGE_STOCK}, status=403)
    form = KitForm(posted(request)) if can_manage else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            kit = services.kit_create(actor=actor_for(request), **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"{kit.name} is added: lend it from a resident's page.")
            return redirect("devices:kit-list")
    return render(request, "devices/kit_list.html", {"form": form, "kits": selectors.kits(organisation=organisation)})


@staff_view(Capability.LEND, load=load_resident)
def kit_lend(request, resident):
    organisation = request.membership.organisation
    agreement = services.loan_agreement_current(organisation)
    kits = selectors.kits(organisation=organisation, active_only=True)
    form = KitLendForm(posted(request), kits=kits, agreement=agreement)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        devices, unknown = [], []
        for typed in data["tags"]:
            device = selectors.device_find_typed(organisation=organisation, typed=typed)
            (devices if device else unknown).append(device or typed)
        if unknown:
            form.add_error("tags", f"There is no device tagged {', '.join(unknown)} in your stock. Check the tags")
        else:
            try:
                kit_loan = services.kit_loan_create(
                    actor=actor_for(request), kit=data["kit"], resident=resident, devices=devices,
                    agreement_method=data["agreement_method"], agreement_accepted=data["agreement_accepted"],
                    witness_name=data["witness_name"], accepted_name=data.get("accepted_name", ""),
                    issue_voucher=data.get("issue_voucher", True),  # the box is shown when a kit has a voucher line
                )  # fmt: skip
            except (DomainError, ValidationError) as error:
                form_refuse(form, error, {"devices": "tags", "device": "tags", "resident": None})
            else:
                messages.success(request, f"{kit_loan.kit_name} is lent to {resident.display_name}.")
                return redirect("devices:kit-loan-detail", kit_loan_pk=kit_loan.pk)
    return render(request, "devices/kit_lend.html", {"form": form, "resident": resident, "kits": kits,
                                                     "agreement": agreement})  # fmt: skip


@staff_view(Capability.LEND)
def kit_loan_detail(request, kit_loan_pk):
    kit_loan = selectors.kit_loan_get(organisation=request.membership.organisation, pk=kit_loan_pk)
    if kit_loan is None:
        raise Http404("No such kit loan")
    items = kit_loan.item_list
    return render(request, "devices/kit_loan_detail.html", {
        "kit_loan": kit_loan, "items": items, "first": items[0] if items else None,
        "resident_visible": bool(items) and items[0].resident_visible,
        "open_count": sum(1 for item in items if item.is_open),
    })  # fmt: skip
