"""Field history: every insert, update and delete of the records that matter (residents, consent, loans,
devices, vouchers, referrals, services, memberships, API keys), kept by database triggers (django-pghistory)
with who made it, when, and the row as it was after (or, for a delete, before) the change. Triggers catch
what the services save and also a bulk `QuerySet.update()`, a raw SQL statement or a fix typed into psql.

Everything about it is in this module:

- **What is tracked**: `field_history(...)`, the decorator each tracked model wears (beside the model, its
  fields left out and its personal fields). Its triggers are installed by the app's migrations (pgtrigger's
  migration integration) and are statement-level, so a bulk import stays fast (docs/decisions.md); the
  history tables refuse UPDATE and DELETE (pghistory's append-only trigger), except through
  `history_erase_for_resident`.
- **Who**: the context of each change (pghistory's Context row: `user`, `organisation`, `api_key`, `url`,
  `task`, `command`). `HistoryContextMiddleware` names the member of staff and their organisation for every
  web request; the API's authentication adds the key (`history_context_api_key`); Celery tasks name
  themselves (`history_tasks_label`, connected at start-up) and so do management commands (manage.py calls
  `history_command_label`).
  A change with no context (psql, a script outside the app) is kept too, as "Not recorded".
- **Reading**: `history_changes` (who changed which fields, when, from what to what), the resident page's
  section `resident_history_section` (the owner sees every field; a linked organisation only the fields it
  may read, inclusion.privacy.sharing), subject access (`history_export_for_resident`) and the admin.
- **Erasure**: `history_erase_for_resident(resident)` blanks the personal fields (declared with each tracked
  model) in the history of a resident and of their consents, loans, vouchers and referrals.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

import pghistory
import pgtrigger
from django.apps import apps
from django.db import models, transaction

INSERT, UPDATE, DELETE = "insert", "update", "delete"
NOT_RECORDED = "Not recorded (changed outside the application)"


# What is tracked


@dataclass(frozen=True)
class Tracked:
    """A tracked model: its history model, the fields holding personal data or free text about the resident
    (blanked by history_erase_for_resident), and the field naming the resident ("" for none; "pgh_obj" for
    the resident's own history)."""

    model: type[models.Model]
    history_model: type[models.Model]
    personal: tuple[str, ...] = ()
    resident: str = ""


_tracked: dict[type[models.Model], Tracked] = {}


def field_history(*, model_name: str, exclude: Iterable[str] = (), personal: Iterable[str] = (), resident: str = ""):
    """Class decorator: keep every insert, update and delete of the model in `model_name` (a history model in
    the same app, with a copy of each field but those in `exclude`: search keys, timestamps that change on
    every save, secrets). An update that changes none of the copied fields writes nothing. `personal` and
    `resident` are for erasure (see Tracked). The model's `field_history` is its history rows."""

    def decorate(model):
        model = pghistory.track(
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            exclude=list(exclude),
            model_name=model_name,
            obj_field=pghistory.ObjForeignKey(related_name="field_history"),
            append_only=True,
            level=pgtrigger.Statement,
        )(model)
        history_model = apps.get_registered_model(model._meta.app_label, model_name)
        _tracked[model] = Tracked(model=model, history_model=history_model, personal=tuple(personal),
                                  resident=resident)  # fmt: skip
        return model

    return decorate


def tracked_models() -> list[Tracked]:
    return list(_tracked.values())


def history_model_for(model: type[models.Model]) -> type[models.Model]:
    return _tracked[model].history_model


# Who made a change


def history_request_labels(request) -> dict:
    """The context of a web request's changes: the signed-in member of staff and the organisation they act
    for (none for the partner API: its authentication adds the key), and the path (never the query string,
    where a search's words are)."""
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)
    return {
        "user": user.pk if user is not None and user.is_authenticated else None,
        "organisation": membership.organisation_id if membership is not None else None,
        "url": request.path[:300],
    }


class HistoryContextMiddleware:
    """Every change a web request makes is recorded with who made it (history_request_labels). Placed after
    MembershipMiddleware, which finds the organisation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with pghistory.context(**history_request_labels(request)):
            return self.get_response(request)


def history_context_api_key(api_key) -> None:
    """Name the partner's key (and its organisation) as who makes the request's changes: called by the API's
    authentication once the key is accepted, inside the middleware's context."""
    pghistory.context(user=None, api_key=str(api_key.pk), organisation=api_key.organisation_id)


def history_label(**labels):
    """A context manager labelling the changes made inside it, e.g. history_label(command="load_demo"). Inside
    a request or a task it adds to their context."""
    return pghistory.context(**labels)


# Commands that serve requests: each request gets its own context (HistoryContextMiddleware). One around the
# whole server would swallow, in a server without threads, every request's context into one.
SERVER_COMMANDS = frozenset({"runserver", "testserver"})


def history_command_label(argv: list[str]):
    """The context manage.py runs a command in: its changes are labelled with the command's name."""
    command = argv[1] if len(argv) > 1 else "help"
    return contextlib.nullcontext() if command in SERVER_COMMANDS else history_label(command=command)


_task_contexts: dict[str, pghistory.context] = {}


def _task_started(task_id=None, task=None, **kwargs):
    context = history_label(task=task.name)
    context.__enter__()
    _task_contexts[task_id] = context


def _task_finished(task_id=None, **kwargs):
    context = _task_contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)


def history_tasks_label() -> None:
    """Label every Celery task's changes with the task's name (connected once, at start-up)."""
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="history_task_started")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="history_task_finished")


# Reading


@dataclass
class FieldChange:
    name: str
    label: str
    before: str
    after: str


@dataclass
class Change:
    """One history row read as a change: when, who, what kind (insert, update, delete) and, for an update,
    the fields that changed with their values before and after (as text); for an insert or a delete, every
    field's value (`after` for an insert, `before` for a delete)."""

    at: datetime.datetime
    sequence: int  # the history row's id: orders changes made in one transaction (they share `at`)
    kind: str
    object_id: str
    who: str
    organisation: str
    context: dict
    fields: list[FieldChange] = field(default_factory=list)


def _history_fields(history_model) -> list[models.Field]:
    return [f for f in history_model._meta.concrete_fields if not f.name.startswith("pgh_")]


def _text(model_field: models.Field, value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if model_field.choices:
        labels = {str(key): str(label) for key, label in model_field.flatchoices}
        if isinstance(value, list):
            return ", ".join(labels.get(str(item), str(item)) for item in value)
        return labels.get(str(value), str(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _who(contexts: dict) -> dict:
    """{context id: (who, organisation name)} for the given contexts' metadata, resolving users, keys and
    organisations in three queries."""
    from .models import Organisation, OrganisationAPIKey, User, actor_label

    metas = [context.metadata or {} for context in contexts.values()]
    users = User.objects.in_bulk({m["user"] for m in metas if m.get("user")})
    keys = OrganisationAPIKey.objects.in_bulk({m["api_key"] for m in metas if m.get("api_key")})
    organisations = Organisation.objects.in_bulk({m["organisation"] for m in metas if m.get("organisation")})
    named = {}
    for context_id, context in contexts.items():
        meta = context.metadata or {}
        user, key = users.get(meta.get("user")), keys.get(meta.get("api_key"))
        if user is not None or key is not None:
            who = actor_label(user, key)
        elif meta.get("task"):
            who = f"System (task {meta['task']})"
        elif meta.get("command"):
            who = f"System (manage.py {meta['command']})"
        else:
            who = "System"
        organisation = organisations.get(meta.get("organisation"))
        named[context_id] = (who, organisation.name if organisation else "")
    return named


def history_changes(model: type[models.Model], object_ids: Iterable, *, fields: Iterable[str] | None = None,
                    limit: int | None = None) -> list[Change]:  # fmt: skip
    """The history of the given objects of a tracked model as changes, newest first (at most `limit`), each
    update compared with the same object's row before it. Only `fields` (names) when given; an update that
    changed none of them is left out. Two queries and three for who made them."""
    from pghistory.models import Context

    history_model = history_model_for(model)
    model_fields = [f for f in _history_fields(history_model) if fields is None or f.name in set(fields)]
    rows = list(history_model.objects.filter(pgh_obj_id__in=list(object_ids)).order_by("pgh_obj_id", "pgh_id"))
    contexts = Context.objects.in_bulk({row.pgh_context_id for row in rows if row.pgh_context_id})
    named = _who(contexts)
    changes, previous = [], {}
    for row in rows:
        before = previous.get(row.pgh_obj_id)
        previous[row.pgh_obj_id] = row
        if row.pgh_label == UPDATE and before is not None:
            changed = [
                FieldChange(f.name, _label(f), _text(f, getattr(before, f.attname)), _text(f, getattr(row, f.attname)))
                for f in model_fields
                if getattr(before, f.attname) != getattr(row, f.attname)
            ]
            if not changed:
                continue
        else:  # an insert, a delete, or an update whose row before was never recorded
            value_side = "before" if row.pgh_label == DELETE else "after"
            changed = []
            for f in model_fields:
                text = _text(f, getattr(row, f.attname))
                changed.append(FieldChange(f.name, _label(f), text if value_side == "before" else "",
                                           text if value_side == "after" else ""))  # fmt: skip
        who, organisation = named.get(row.pgh_context_id, (NOT_RECORDED, ""))
        context = contexts[row.pgh_context_id].metadata if row.pgh_context_id in contexts else {}
        changes.append(Change(at=row.pgh_created_at, sequence=row.pgh_id, kind=row.pgh_label, object_id=str(row.pgh_obj_id), who=who,
                              organisation=organisation, context=context, fields=changed))  # fmt: skip
    changes.sort(key=lambda change: (change.at, change.sequence), reverse=True)
    return changes[:limit] if limit is not None else changes


def _label(model_field: models.Field) -> str:
    return str(model_field.verbose_name).capitalize()


# What the resident's own page shows: changes to their details, not the search keys or bookkeeping.
RESIDENT_PAGE_LEFT_OUT = frozenset({"id", "created_at", "owning_organisation", "registered_by"})
RESIDENT_PAGE_LIMIT = 50


def resident_field_history(*, resident, organisation, limit: int | None = RESIDENT_PAGE_LIMIT) -> list[Change]:
    """The changes to a resident's details that `organisation` may read, newest first: every field for the
    owning organisation; for a linked one, only the fields it may read (inclusion.privacy.sharing: not the
    equality monitoring answers), and no change that touched only those."""
    from .models import Resident
    from .privacy.sharing import resident_fields_hidden

    hidden = resident_fields_hidden(organisation=organisation, resident=resident) | RESIDENT_PAGE_LEFT_OUT
    shown = [f.name for f in _history_fields(history_model_for(Resident)) if f.name not in hidden]
    changes = history_changes(Resident, [resident.pk], fields=shown)
    return changes[:limit] if limit is not None else changes


def resident_history_section(request, resident) -> dict | None:
    """The resident page's section (registered by InclusionConfig): who changed what in their details, when."""
    changes = resident_field_history(resident=resident, organisation=request.membership.organisation, limit=None)
    return {"changes": changes[:RESIDENT_PAGE_LIMIT], "more": max(len(changes) - RESIDENT_PAGE_LIMIT, 0)}


def history_export_for_resident(resident) -> list[dict]:
    """For subject access: the history of the resident's record and of their consents, loans, vouchers and
    referrals (every tracked model with a resident), oldest first: when, what, who and the fields' values
    before and after."""
    exported = []
    for tracked in tracked_models():
        if not tracked.resident:
            continue
        if tracked.resident == "pgh_obj":
            ids = [resident.pk]
        else:
            ids = set(tracked.history_model.objects.filter(**{f"{tracked.resident}_id": resident.pk})
                      .values_list("pgh_obj_id", flat=True))  # fmt: skip
        for change in reversed(history_changes(tracked.model, ids)):
            exported.append({
                "record": str(tracked.model._meta.verbose_name), "record_id": change.object_id, "change": change.kind,
                "at": change.at.isoformat(), "by": change.who, "organisation": change.organisation,
                "fields": [{"field": f.label, "before": f.before, "after": f.after} for f in change.fields],
            })  # fmt: skip
    exported.sort(key=lambda row: row["at"])  # stable: one record's changes of the same moment stay in order
    return exported


# Erasure


def _blank(model_field: models.Field):
    return None if model_field.null else ""


@transaction.atomic
def history_erase_for_resident(resident) -> dict[str, int]:
    """Remove the personal data and free text from the history of a resident and of their consents, loans,
    vouchers and referrals: each tracked model's `personal` fields are blanked (NULL where the field allows
    it) in every history row about the resident. What reports need stays: the dates, statuses, coded reasons,
    outcomes, age band and local authority, and who made each change.

    For erasure (inclusion.privacy): call it inside the erasure's transaction, with the resident locked, after
    the erase providers have changed or deleted the live rows, so the history rows their changes wrote are
    cleared too. Returns {history table: rows changed}. The only writer of history rows besides the triggers:
    it lifts the append-only trigger for its own statements (pgtrigger.ignore)."""
    counts = {}
    for tracked in tracked_models():
        if not tracked.resident or not tracked.personal:
            continue
        history_model = tracked.history_model
        blanks = {name: _blank(history_model._meta.get_field(name)) for name in tracked.personal}
        rows = history_model.objects.filter(**{f"{tracked.resident}_id": resident.pk})
        with pgtrigger.ignore(f"{history_model._meta.label}:append_only"):
            counts[history_model._meta.db_table] = rows.update(**blanks)
    return counts
