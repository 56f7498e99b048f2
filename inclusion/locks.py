"""The one order in which rows are locked, so that no two services can deadlock each other.

Within a transaction, take row locks in this order of kinds, and within a kind in primary-key order:

    idempotency record → organisation → loan policy → resident → contact proposal → retention review → consent
        → device → loan → reservation → voucher batch → voucher → service → referral → message → webhook delivery

A service that needs a device and its resident locks the resident first; one that needs two residents
locks them by primary key. PostgreSQL would otherwise find two transactions each waiting for the other
(lending locks a device and its resident; issuing a voucher locks a resident and a voucher; an erasure
locks a resident and everything of theirs) and abort one of them.

Every lock goes through `lock_one` or `lock_rows`, which take SELECT ... FOR UPDATE in that order and, with
settings.LOCK_ORDER_CHECKS on (development and tests), refuse a lock taken out of order with
LockOrderError, so a wrong order fails a test instead of deadlocking in production once in a while.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connection, models

LOCK_ORDER = (
    "idempotencyrecord",  # an API request's retry guard, held while the request's service runs
    "organisation",
    "loanpolicy",
    "resident",
    "contactproposal",  # decided under its resident's lock (inclusion.privacy.proposals)
    "retentionreview",  # decided and carried out under its resident's lock (inclusion.privacy.retention)
    "consent",
    "device",
    "loan",
    "reservation",  # a waiting-list place: offered a device already locked, fulfilled by the loan just made
    "voucherbatch",
    "voucher",
    "service",
    "referral",
    "message",
    "webhookdelivery",  # a referral's webhook events for one endpoint, sent one at a time in sequence order
)
RANK = {kind: rank for rank, kind in enumerate(LOCK_ORDER)}


class LockOrderError(RuntimeError):
    """A row lock taken out of the order in LOCK_ORDER: a deadlock waiting to happen."""


def _kind(model) -> str:
    name = model._meta.model_name
    if name not in RANK:
        raise LockOrderError(f"{model.__name__} has no place in inclusion.locks.LOCK_ORDER: add it there")
    return name


def _service_transaction(base: int):
    """What tells one service transaction from the next: its database transaction's id, or inside a test's
    transaction the savepoint its atomic block made (each call of a service makes a new one)."""
    if base == 0:
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")
            return ("transaction", cursor.fetchone()[0])
    return ("savepoint", connection.savepoint_ids[base - 1], id(connection.atomic_blocks[base]))


def _check_order(kind: str, pks) -> None:
    """Refuse locking `kind` rows `pks` if a later kind was already locked in this service's transaction
    (LOCK_ORDER_CHECKS). Locking again a row already held is no new lock, so it is always allowed."""
    if not getattr(settings, "LOCK_ORDER_CHECKS", False) or getattr(connection, "inclusion_locks_exempt", False):
        return
    if not connection.in_atomic_block:
        raise LockOrderError("Row locks are taken inside a transaction (transaction.atomic)")
    # The service's own transaction: the outermost atomic block, above any the test harness opened around
    # the test (tests/conftest.py sets inclusion_lock_base to their number; in production it is 0).
    base = getattr(connection, "inclusion_lock_base", 0)
    if len(connection.atomic_blocks) <= base:
        return  # a lock taken by the test itself, outside any service
    transaction_key = _service_transaction(base)
    held = getattr(connection, "inclusion_locks", None)
    if held is None or held[0] != transaction_key:
        held = connection.inclusion_locks = (transaction_key, set())
    taken = held[1]
    pks = set(pks) if pks is not None else None
    if pks is None or not all((kind, pk) in taken for pk in pks):
        later = sorted({other for other, _ in taken if RANK[other] > RANK[kind]}, key=RANK.get)
        if later:
            raise LockOrderError(
                f"Locking a {kind} after a {later[0]} breaks the lock order "
                f"({' → '.join(LOCK_ORDER)}): lock the {kind} first"
            )
    taken.update((kind, pk) for pk in pks or ())
    if pks is None:
        taken.add((kind, None))


@contextmanager
def ordering_exempt(reason: str):
    """For a batch that locks many rows of several kinds in one transaction, run by one process with nothing
    else writing (manage.py load_demo): the order check does not apply. Say why in `reason`."""
    previous = getattr(connection, "inclusion_locks_exempt", False)
    connection.inclusion_locks_exempt = reason or True
    try:
        yield
    finally:
        connection.inclusion_locks_exempt = previous


def lock_one(model: type[models.Model], pk, *, related: tuple[str, ...] = ()) -> models.Model:
    """Lock one row and return it fresh from the database (raises model.DoesNotExist)."""
    _check_order(_kind(model), [pk])
    queryset = model.objects.select_for_update(of=("self",)) if related else model.objects.select_for_update()
    if related:
        queryset = queryset.select_related(*related)
    return queryset.get(pk=pk)


def lock_rows(queryset: models.QuerySet, *, skip_locked: bool = False) -> list:
    """Lock the rows of `queryset` in primary-key order; with skip_locked, the first free rows in the
    queryset's own order (a queue: slice it, e.g. `queryset[:1]`, to take one)."""
    _check_order(_kind(queryset.model), None)
    if not skip_locked:
        queryset = queryset.order_by("pk")
    return list(queryset.select_for_update(skip_locked=skip_locked, of=("self",)))
