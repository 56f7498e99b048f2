"""How apps tell messaging what is due: each registers sweeps (one set-based INSERT of due items each) and, for
jobs that change their own rows (expiring vouchers...), plain periodic jobs. Like inclusion/registry.py, the
core never imports an app: devices/reminders.py and referrals/reminders.py register here when imported.

A sweep is `sweep(*, today, now, cursor) -> int`: it runs `items_insert(cursor, select_sql, params)` with a
SELECT giving the columns of ITEM_COLUMNS, and returns how many items it added. It must be one query (or a
few), never one per row, and idempotent: the natural key makes a second run add nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

Sweep = Callable[..., int]


@dataclass(frozen=True)
class SweepSource:
    name: str
    sweep: Sweep
    order: int = 50


_sweeps: dict[str, SweepSource] = {}


def register_sweep(name: str, sweep: Sweep, order: int = 50) -> None:
    _sweeps[name] = SweepSource(name, sweep, order)


def unregister_sweep(name: str) -> None:
    _sweeps.pop(name, None)


def sweeps() -> list[SweepSource]:
    return sorted(_sweeps.values(), key=lambda source: (source.order, source.name))


# Checked again when a message is sent (hours may pass: quiet hours, retries): `check(items) -> set of item ids
# still due`, per source type. A loan returned or extended since the sweep drops out of the message.
StillDue = Callable[[list], set]
_still_due: dict[str, StillDue] = {}


def register_still_due(source_type: str, check: StillDue) -> None:
    _still_due[source_type] = check


def items_still_due(items: list) -> list:
    """The items of a message that are still due, by each source type's registered check (none: all are)."""
    keep: set = set()
    by_type: dict[str, list] = {}
    for item in items:
        by_type.setdefault(item.source_type, []).append(item)
    for source_type, group in by_type.items():
        check = _still_due.get(source_type)
        keep |= check(group) if check else {item.pk for item in group}
    return [item for item in items if item.pk in keep]


ITEM_COLUMNS = (
    "natural_key", "kind", "audience", "organisation_id", "resident_id", "stage_id", "template", "channel_rule",
    "due_on", "source_type", "source_id", "data",
)  # fmt: skip


def items_insert(cursor, select_sql: str, params) -> int:
    """INSERT the rows of `select_sql` (the columns of ITEM_COLUMNS, in order) as items; those whose natural key
    exists already are left alone (ON CONFLICT DO NOTHING). Returns how many were added."""
    columns = ", ".join(ITEM_COLUMNS)
    cursor.execute(
        f"INSERT INTO messaging_messageitem ({columns}, created_at) SELECT *, now() FROM ({select_sql}) AS due "
        "ON CONFLICT (natural_key) DO NOTHING",
        params,
    )
    return cursor.rowcount
