"""The one order in which rows are locked, so that no two services can deadlock each other.

Within a transaction, take row locks in this order of kinds, and within a kind in primary-key order:

    organisation → resident → device → loan → voucher batch → voucher → service → referral → message

A service that needs a device and its resident locks the resident first; one that needs two residents
locks them by primary key. PostgreSQL would otherwise find two transactions each waiting for the other
(lending locks a device and its resident; issuing a voucher locks a resident and a voucher; an erasure
locks a resident and everything of theirs) and abort one of them.

Every lock goes through `lock_one` or `lock_rows`, which take SELECT ... FOR UPDATE in that order and, with
settings.LOCK_ORDER_CHECKS on (development and tests), refuse a lock taken out of order with
LockOrderError, so a wrong order fails a test instead of deadlocking in production once in a while.
"""

from django.conf import settings
from django.db import connection, models

LOCK_ORDER = (
    "organisation",
    "resident",
    "device",
    "loan",
    "voucherbatch",
    "voucher",
    "service",
    "referral",
    "message",
)
RANK = {kind: rank for rank, kind in enumerate(LOCK_ORDER)}


class LockOrderError(RuntimeError):
    """A row lock taken out of the order in LOCK_ORDER: a deadlock waiting to happen."""


def _kind(model) -> str:
    name = model._meta.model_name
    if name not in RANK:
        raise LockOrderError(f"{model.__name__} has no place in inclusion.locks.LOCK_ORDER: add it there")
    return name


def _check_order(kind: str) -> None:
    """Refuse `kind` if a later kind was already locked in this transaction (LOCK_ORDER_CHECKS)."""
    if not getattr(settings, "LOCK_ORDER_CHECKS", False):
        return
    if not connection.in_atomic_block:
        raise LockOrderError("Row locks are taken inside a transaction (transaction.atomic)")
    outermost = connection.atomic_blocks[0]
    held = getattr(connection, "inclusion_locks", None)
    if held is None or held[0] is not outermost:
        held = connection.inclusion_locks = (outermost, [])
    taken = held[1]
    later = [other for other in taken if RANK[other] > RANK[kind]]
    if later:
        raise LockOrderError(
            f"Locking a {kind} after a {later[0]} breaks the lock order "
            f"({' → '.join(LOCK_ORDER)}): lock the {kind} first"
        )
    taken.append(kind)


def lock_one(model: type[models.Model], pk, *, related: tuple[str, ...] = ()) -> models.Model:
    """Lock one row and return it fresh from the database (raises model.DoesNotExist)."""
    _check_order(_kind(model))
    queryset = model.objects.select_for_update(of=("self",)) if related else model.objects.select_for_update()
    if related:
        queryset = queryset.select_related(*related)
    return queryset.get(pk=pk)


def lock_rows(queryset: models.QuerySet, *, skip_locked: bool = False) -> list:
    """Lock the rows of `queryset` in primary-key order (or, with skip_locked, whichever are free: a queue)."""
    _check_order(_kind(queryset.model))
    queryset = queryset.select_for_update(skip_locked=skip_locked, of=("self",))
    return list(queryset if skip_locked else queryset.order_by("pk"))
