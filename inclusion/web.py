"""The staff web's toolkit, shared by every app's views: who is acting, what they may do, and how a
service's refusal reaches a form.

A staff view reads like this:

    @staff_view(Capability.MANAGE_STOCK, load=device_from_url)
    def device_wipe(request, device):
        form = WipeForm(posted(request))
        if form.is_valid():
            try:
                services.device_wipe_record(actor=actor_for(request), device=device, **form.cleaned_data)
            except DomainError as error:
                form_refuse(form, error)
            else:
                messages.success(request, "Wipe recorded.")
                return redirect(...)
        return render(request, "devices/device_wipe.html", {"form": form, "device": device})
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.shortcuts import render

from .access import Capability, membership_can, resident_get_visible
from .actors import Actor
from .errors import DomainError

PAGE_SIZE = 50

Loader = Callable[..., dict]


def staff_view(capability: Capability | None = Capability.SEE_RESIDENTS, *, load: Loader | None = None):
    """A staff page: signed in, with an active membership whose role has `capability` (None: any role).

    `load(request, **url_kwargs)` fetches what the URL names (through selectors scoped to the membership's
    organisation, raising Http404 for anything outside it) and returns the view's keyword arguments. It
    runs before the role is checked, so another organisation's object is 404 whatever the role, and a
    403 never confirms that an object exists.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "inclusion/no_access.html", {"capability": None}, status=403)
            if load is not None:
                kwargs = load(request, **kwargs)
            if capability is not None and not membership_can(request.membership, capability):
                return render(request, "inclusion/no_access.html", {"capability": capability}, status=403)
            return view(request, *args, **kwargs)

        wrapper.capability = capability
        return wrapper

    return decorator


def load_resident(request: HttpRequest, pk, **kwargs) -> dict:
    """A staff_view loader for URLs naming a resident (`<uuid:pk>`): the resident the membership's organisation
    may see (inclusion.access), else 404."""
    return {"resident": resident_get_visible(request.membership.organisation, pk), **kwargs}


def actor_for(request: HttpRequest) -> Actor:
    """The member of staff acting through this request, for the services."""
    return Actor.for_membership(request.membership)


def posted(request: HttpRequest):
    """The submitted data, or None on GET. (An empty POST is still a submission, to be validated.)"""
    return request.POST if request.method == "POST" else None


def form_refuse(form, error: DomainError | ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form: on the field it names (renamed by `aliases` where the form calls
    it something else, e.g. the service's `device` is the form's `asset_tag`), else above the form.

    Fields that show their own errors in parts (a date's day, month and year) pin it through the form's
    add_refusal hook (inclusion.forms.GOVUKForm)."""
    aliases = aliases or {}
    if isinstance(error, DomainError):
        field = aliases.get(error.field, error.field)
        _add(form, field if field in form.fields else None, error.message)
    elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            field = aliases.get(field, field)
            for message in errors:
                _add(form, field if field in form.fields else None, message)
    else:
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        for message in messages:
            _add(form, None, message)


def _add(form, field: str | None, message) -> None:
    if hasattr(form, "add_refusal"):
        form.add_refusal(field, message)
    else:
        form.add_error(field, message)


def paginate(request: HttpRequest, items, per_page: int = PAGE_SIZE) -> Page:
    """One page of `items` from ?page=N (a bad or out-of-range page gives the nearest real one)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
