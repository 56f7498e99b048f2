"""Staff pages of messaging: the reminder stages (coordinators change them) and the outbox (what was sent,
held, failed or queued to print, for the organisation's own messages)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from inclusion.access import Capability, membership_can
from inclusion.errors import DomainError
from inclusion.web import actor_for, form_refuse, paginate, posted, staff_view

from . import render as wording
from . import selectors, services, stages
from .forms import StageForm
from .models import Channel, MessageStatus


@staff_view(Capability.LEND)
def stage_list(request):
    """Everyone who lends sees when residents are reminded; coordinators change it."""
    return render(request, "messaging/stage_list.html", {
        "stages": stages.stages_for(request.membership.organisation),
        "can_change": membership_can(request.membership, Capability.OVERSEE),
    })  # fmt: skip


def _stage_values(stage) -> dict:
    return {field: getattr(stage, field) for field in ("template", "channel", "escalates_to_staff",
                                                         "blocks_new_loans", "active")}  # fmt: skip


@staff_view(Capability.OVERSEE)
def stage_edit(request, offset: int | None = None):
    current = stages.stage_for(request.membership.organisation, offset) if offset is not None else None
    if offset is not None and current is None:
        raise Http404("No such stage")
    initial = _stage_values(current.stage) if current else {"channel": "preferred", "active": True}
    form = StageForm(posted(request), initial=initial, fixed_offset=current is not None)
    if request.method == "POST" and request.POST.get("reset") and current and current.own:
        try:
            stages.stage_reset(actor=actor_for(request), offset_days=offset)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, "The stage is back to the scheme's default." if current.default
                             else "The stage is removed.")  # fmt: skip
            return redirect("messaging:stage-list")
    elif form.is_valid():
        values = dict(form.cleaned_data)
        values.setdefault("offset_days", offset)
        try:
            stages.stage_save(actor=actor_for(request), **values)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, "The stage is saved. Reminders use it from the next sweep.")
            return redirect("messaging:stage-list")
    return render(request, "messaging/stage_form.html", {"form": form, "current": current})


@staff_view(Capability.SEE_RESIDENTS)
def outbox(request):
    """The organisation's messages, newest first; with no Notify key, what would have been sent."""
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    page = paginate(request, selectors.messages_for(
        request.membership.organisation,
        status=status if status in MessageStatus.values else "",
        channel=channel if channel in Channel.values else "",
    ))  # fmt: skip
    return render(request, "messaging/outbox.html", {
        "page": page, "status": status, "channel": channel, "statuses": MessageStatus.choices,
        "channels": Channel.choices, "notify_configured": selectors.notify_configured(), "now": timezone.now(),
    })  # fmt: skip


def message_from_url(request, message_pk: int, **kwargs) -> dict:
    """A staff_view loader: one of the organisation's messages to a resident it may see, else 404."""
    message = selectors.messages_for(request.membership.organisation).filter(pk=message_pk).first()
    if message is None:
        raise Http404("No such message")
    return {"message": message, **kwargs}


@staff_view(Capability.LEND, load=message_from_url)
def letter(request, message):
    """A letter queued for a resident without phone or email: print it, post it, then mark it posted."""
    if message.channel != Channel.LETTER:
        raise Http404("Not a letter")
    if request.method == "POST":
        try:
            services.message_letter_posted(actor=actor_for(request), message=message)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"The letter to {message.resident.display_name} is marked as posted.")
            return redirect("messaging:outbox")
    body = message.body or wording.message_body(message)
    return render(request, "messaging/letter.html", {"message": message, "resident": message.resident, "body": body})
