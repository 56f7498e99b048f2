"""Every change to data-connectivity vouchers: batch import, issuing, reveal, activation, failure,
withdrawal and expiry.

The statuses follow the TRANSITIONS table below, and nothing else sets a voucher's status: each change goes
through voucher_move (or, for expiry, one statement that keeps to the same table) and writes a VoucherEvent
(who, when, from → to, why) in the same transaction. An import is recorded once for its batch (VoucherImportRecord:
who, when, how many), not once per voucher: a row per code would double the time a 100,000-code import takes. The database holds the same table
(trigger voucher_status_follows_transitions), so a status changed any other way is refused.

Issuing is a queue: the voucher that expires soonest is taken with SELECT ... FOR UPDATE SKIP LOCKED,
so two staff issuing at the same moment get different codes and neither waits. Codes are bearer
secrets: they are returned whole only by voucher_issue and voucher_reveal (which writes a timeline
entry), and never logged.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inclusion.access import resident_check_visible
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.events import case_event_record
from inclusion.locks import lock_one, lock_rows
from inclusion.models import Organisation, Resident
from inclusion.privacy.models import AccessAction
from inclusion.privacy.services import access_log_record
from inclusion.ratelimit import rate_limit_take
from inclusion.services import resident_check_ready

from .events import VoucherEventKind, voucher_event_record
from .models import Provider, Voucher, VoucherBatch, VoucherImportRecord, VoucherKind, VoucherStatus

logger = logging.getLogger(__name__)

V = VoucherStatus
# Allowed moves: from-status → {to-status: what the move is called, as in "it cannot be ..."}. Kept in step
# with the database trigger voucher_status_follows_transitions (tests/devices/vouchers/test_transitions.py).
TRANSITIONS: dict[str, dict[str, str]] = {
    V.AVAILABLE: {V.ISSUED: "issued", V.WITHDRAWN: "withdrawn", V.EXPIRED: "expired"},
    V.ISSUED: {V.ACTIVATED: "marked activated", V.FAILED: "marked failed", V.WITHDRAWN: "withdrawn"},
    V.ACTIVATED: {},
    V.FAILED: {},
    V.EXPIRED: {},
    V.WITHDRAWN: {},
}
MOVE_NAMES = {to: name for moves in TRANSITIONS.values() for to, name in moves.items()}
# What each move is called in a voucher's history (VoucherEvent.action).
ACTIONS = {V.ISSUED: "issue", V.ACTIVATED: "activate", V.FAILED: "fail", V.WITHDRAWN: "withdraw", V.EXPIRED: "expire"}
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$")
ICCID_PATTERN = re.compile(r"^89\d{16,18}$")


def luhn_valid(digits: str) -> bool:
    """The Luhn check every ICCID (SIM card number) ends with."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# Import


@dataclass
class ImportRow:
    line: int
    code: str = ""
    iccid: str = ""
    sim_serial: str = ""


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    imported: int = 0
    batch: VoucherBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


BATCH_FIELDS = ("provider", "kind", "reference", "data_allowance_gb", "validity_days", "expires_on", "received_on",
                "max_per_resident", "eligibility_window_days", "low_stock_threshold")  # fmt: skip


CANNOT_IMPORT = "cannot be imported: check it with the provider"


def voucher_rows_validate(
    *, organisation: Organisation, provider: Provider, kind: str, rows: list[ImportRow]
) -> list[tuple[int, str]]:
    """Every problem in the rows, with its line: malformed code, bad ICCID, duplicates in the file, already
    in the organisation's stock, or held by another organisation. Reads the database once per identifier
    type, never per row.

    Codes are bearer secrets: one held by another organisation is refused without saying so ("cannot be
    imported: check it with the provider"), so an import cannot confirm a guess at someone else's code.
    (The database keeps codes unique per provider, so the import itself must still fail: imports are
    limited and recorded for that reason, see voucher_batch_import.)"""
    errors: list[tuple[int, str]] = []
    seen_codes: dict[str, int] = {}
    seen_iccids: dict[str, int] = {}
    for row in rows:
        if not (row.code or row.iccid or row.sim_serial):
            errors.append((row.line, "No code, ICCID or SIM serial"))
            continue
        if "\x00" in row.code + row.iccid + row.sim_serial:
            errors.append((row.line, "Contains a character that cannot be stored"))
            continue
        if row.code:
            if not CODE_PATTERN.match(row.code):
                errors.append(
                    (row.line, f"Code ending {row.code[-4:]} is malformed: 4 to 64 letters, digits or hyphens")
                )
            elif row.code in seen_codes:
                errors.append(
                    (row.line, f"Code ending {row.code[-4:]} is repeated (first on line {seen_codes[row.code]})")
                )
            else:
                seen_codes[row.code] = row.line
        if row.iccid:
            if not ICCID_PATTERN.match(row.iccid):
                errors.append((row.line, "ICCID must be 18 to 20 digits starting 89"))
            elif not luhn_valid(row.iccid):
                errors.append((row.line, f"ICCID ending {row.iccid[-4:]} fails its check digit (Luhn)"))
            elif row.iccid in seen_iccids:
                errors.append(
                    (row.line, f"ICCID ending {row.iccid[-4:]} is repeated (first on line {seen_iccids[row.iccid]})")
                )
            else:
                seen_iccids[row.iccid] = row.line
        if len(row.sim_serial) > 40:
            errors.append((row.line, "SIM serial is longer than 40 characters"))
        if kind == VoucherKind.SIM_CARD and not (row.iccid or row.sim_serial):
            errors.append((row.line, "A SIM card needs its ICCID or serial number"))
    # One array parameter, not one placeholder per code: a 50,000-row file is composed and sent in a moment.
    if seen_codes:
        held = Voucher.objects.filter(provider=provider).extra(where=["devices_voucher.code = ANY(%s)"],
                                                               params=[list(seen_codes)])  # fmt: skip
        errors += _held(held.values_list("code", "batch__organisation_id"), seen_codes, "Code", organisation)
    if seen_iccids:
        held = Voucher.objects.extra(where=["devices_voucher.iccid = ANY(%s)"], params=[list(seen_iccids)])
        errors += _held(held.values_list("iccid", "batch__organisation_id"), seen_iccids, "ICCID", organisation)
    return sorted(errors)


def _held(held, lines: dict[str, int], name: str, organisation: Organisation) -> list[tuple[int, str]]:
    """The problems for identifiers already held: said plainly for our own stock, never for another's."""
    return [
        (lines[value], f"{name} ending {value[-4:]} " + ("is already in your stock" if owner == organisation.pk
                                                         else CANNOT_IMPORT))
        for value, owner in held
    ]  # fmt: skip


@transaction.atomic
def voucher_batch_import(*, actor: Actor, rows: list[ImportRow], dry_run: bool, **batch_details) -> ImportReport:
    """Check every row and, unless dry_run or anything is wrong, create the batch and all its vouchers
    with one COPY. All or nothing.

    Each call (dry run or not) counts against the person's VOUCHER_IMPORTS_PER_HOUR (RateLimited beyond it)
    and is recorded as a VoucherImportRecord, with how many identifiers another organisation holds.
    """
    unknown = set(batch_details) - set(BATCH_FIELDS)
    if unknown:
        raise DomainError(f"Unknown batch fields: {', '.join(sorted(unknown))}")
    rate_limit_take(action="voucher-import", actor=actor, limit=settings.VOUCHER_IMPORTS_PER_HOUR,
                    things=("voucher import or check", "voucher imports or checks"))  # fmt: skip
    report = ImportReport(rows=len(rows))
    provider, kind = batch_details["provider"], batch_details["kind"]
    if batch_details["expires_on"] < timezone.localdate():
        report.errors.append((0, f"The batch expired on {batch_details['expires_on']:%-d %B %Y}"))
    if not rows:
        report.errors.append((0, "The file has no vouchers in it"))
    report.errors += voucher_rows_validate(organisation=actor.organisation, provider=provider, kind=kind, rows=rows)
    record = VoucherImportRecord(
        organisation=actor.organisation, user=actor.user, api_key=actor.api_key, provider=provider, kind=kind,
        dry_run=dry_run, rows=len(rows), problems=len({line for line, _ in report.errors if line}),
        held_elsewhere=sum(1 for _, reason in report.errors if reason.endswith(CANNOT_IMPORT)),
    )  # fmt: skip
    if record.held_elsewhere:
        logger.warning("Voucher import by %s (%s) named %d identifiers another organisation holds",
                       actor.organisation.slug, actor, record.held_elsewhere)  # fmt: skip
    if report.errors or dry_run:
        record.save()
        return report
    batch = VoucherBatch(organisation=actor.organisation, created_by=actor.user, **batch_details)
    batch.full_clean()
    batch.save()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(
                "COPY devices_voucher (batch_id, provider_id, code, sim_serial, iccid, status, failure_reason) "
                "FROM STDIN"
            ) as copy:
                batch_id, provider_id = batch.pk, provider.pk
                for row in rows:
                    copy.write_row((batch_id, provider_id, row.code, row.sim_serial, row.iccid, V.AVAILABLE, ""))
    except IntegrityError:
        # The same codes were imported a moment ago: the unique constraints held; nothing of ours stays.
        raise DomainError("Some of these vouchers were imported just now, while this import ran. Nothing was "
                          "imported; check the file again.", code="duplicate") from None  # fmt: skip
    record.batch = batch
    record.save()
    report.imported, report.batch = len(rows), batch
    return report


# Issuing


def _eligible_batches(
    *, actor: Actor, resident: Resident, kind: str, provider: Provider | None
) -> tuple[list[int], str]:
    """Batches of the organisation that could serve this resident now, soonest-expiring first, and why none
    could (if so)."""
    today = timezone.localdate()
    batches = VoucherBatch.objects.filter(organisation=actor.organisation, kind=kind, expires_on__gte=today).order_by(
        "expires_on", "id"
    )  # the fairness rule: the batch that expires soonest serves first
    if provider:
        batches = batches.filter(provider=provider)
    batches = list(batches)
    if not batches:
        return [], "There are no current batches of that kind."
    # A rule counts the resident's vouchers of the same provider and kind from any of our batches:
    # two batches of one offer must not let a resident have it twice.
    issued: dict[tuple[int, str], list] = {}
    for provider_id, batch_kind, issued_at in (
        Voucher.objects.filter(resident=resident, batch__organisation=actor.organisation, batch__kind=kind)
        .exclude(status=V.FAILED)
        .values_list("batch__provider_id", "batch__kind", "issued_at")
    ):
        issued.setdefault((provider_id, batch_kind), []).append(issued_at)
    eligible, reason = [], ""
    for batch in batches:
        since = timezone.now() - timedelta(days=batch.eligibility_window_days)
        recent = [at for at in issued.get((batch.provider_id, batch.kind), []) if at and at >= since]
        if len(recent) >= batch.max_per_resident:
            last = max(recent)
            reason = (f"{resident.display_name} had a {batch.provider} {batch.get_kind_display()} on "
                      f"{timezone.localtime(last):%-d %B %Y}; this batch allows {batch.max_per_resident} per resident "
                      f"every {batch.eligibility_window_days} days.")  # fmt: skip
        else:
            eligible.append(batch.pk)
    return eligible, reason


def _voucher_take(batch_ids: list[int]) -> Voucher | None:
    """Lock and return the first free voucher of the first batch (in the order given: soonest-expiring first)
    that has one, or None.

    One batch at a time, each on the `voucher_available` index (batch, id WHERE available): the first
    unlocked row is read straight from the index and the search stops there, where one statement over every
    eligible batch ordered by the batch's expiry had to sort all their available vouchers (300,000 at region
    scale). A voucher being issued by someone else is skipped (SKIP LOCKED), as is an exhausted batch.
    """
    for batch_id in batch_ids:
        taken = lock_rows(
            Voucher.objects.filter(batch_id=batch_id, status=V.AVAILABLE)
            .order_by("id")
            .select_related("batch", "batch__provider")[:1],
            skip_locked=True,
        )
        if taken:
            return taken[0]
    return None


@transaction.atomic
def voucher_issue(
    *,
    actor: Actor,
    resident: Resident,
    kind: str,
    provider: Provider | None = None,
    replacement_for: Voucher | None = None,
) -> Voucher:
    """Give the resident the available voucher that expires soonest, from a batch they are eligible for.

    Locks the resident (so their eligibility is decided one issue at a time; refused as unknown, Http404,
    if the organisation may no longer see them) and takes the voucher with FOR UPDATE SKIP LOCKED (so
    concurrent issues get different vouchers without waiting).
    """
    resident = resident_check_visible(actor.organisation, resident)
    resident_check_ready(resident=resident, receiving="voucher")
    if replacement_for is not None:
        # A replacement is not a second voucher: any current batch of the same provider and kind may serve it.
        eligible = list(
            VoucherBatch.objects.filter(organisation=actor.organisation, kind=replacement_for.batch.kind,
                                        provider=replacement_for.batch.provider_id,
                                        expires_on__gte=timezone.localdate())
            .order_by("expires_on", "id").values_list("pk", flat=True)
        )  # fmt: skip
        reason = "There is no current batch to replace it from."
    else:
        eligible, reason = _eligible_batches(actor=actor, resident=resident, kind=kind, provider=provider)
    if not eligible:
        raise DomainError(reason or "No batch can serve this resident.", field="kind", code="not_eligible")
    voucher = _voucher_take(eligible)
    if voucher is None:
        raise DomainError("None left: every voucher of that kind has been issued. Ask your coordinator to import "
                          "more.", field="kind", code="out_of_stock")  # fmt: skip
    voucher_move(actor=actor, voucher=voucher, to_status=V.ISSUED, resident=resident, issued_at=timezone.now(),
                 issued_by=actor.user, issued_via=actor.api_key, replacement_for=replacement_for,
                 data={"replacement_for": replacement_for.pk} if replacement_for else None)  # fmt: skip
    what = f"{voucher.batch.provider} {voucher.batch.get_kind_display()}"
    case_event_record(resident=resident, actor=actor, kind=VoucherEventKind.VOUCHER_ISSUED,
                      summary=f"Issued {what} {voucher.masked}" + (" (replacement)" if replacement_for else ""),
                      data={"voucher": voucher.pk})  # fmt: skip
    # Issuing shows the code (on screen, or in the API's answer): on the access log like a reveal.
    access_log_record(actor=actor, action=AccessAction.VOUCHER_CODE_REVEALED, resident=resident, obj=voucher)
    return voucher


def _lock_voucher(voucher: Voucher, actor: Actor) -> Voucher:
    """Lock the voucher's resident, if it has one (checking the organisation may still see them), then the
    voucher: the resident first, as everywhere."""
    if voucher.resident_id:
        resident_check_visible(actor.organisation, voucher.resident_id)
    locked = lock_one(Voucher, voucher.pk, related=("batch", "batch__provider", "resident"))
    if locked.batch.organisation_id != actor.organisation.pk:
        raise DomainError("This voucher belongs to another organisation.", code="not_your_voucher")
    if locked.resident_id != voucher.resident_id:
        # Issued since the caller read it: its resident was not checked (nor locked in order). Start again.
        raise DomainError("This voucher was issued while you were working on it: look at it again.",
                          code="voucher_changed")  # fmt: skip
    return locked


def voucher_reveal(*, actor: Actor, voucher: Voucher) -> str:
    """Show a code again to staff of the owning organisation; each reveal goes on the resident's timeline."""
    with transaction.atomic():
        voucher = _lock_voucher(voucher, actor)
        if voucher.resident is None:
            raise DomainError("Only an issued voucher's code can be shown.", code="not_issued")
        case_event_record(resident=voucher.resident, actor=actor, kind=VoucherEventKind.VOUCHER_REVEALED,
                          summary=f"Code {voucher.masked} shown to {actor}", data={"voucher": voucher.pk})  # fmt: skip
        access_log_record(
            actor=actor, action=AccessAction.VOUCHER_CODE_REVEALED, resident=voucher.resident, obj=voucher
        )
    return voucher.identifier


def voucher_check_move(voucher: Voucher, to_status: str) -> None:
    """Refuse (DomainError "illegal_transition") a move TRANSITIONS does not allow, saying what is possible."""
    moves = TRANSITIONS[voucher.status]
    if to_status in moves:
        return
    message = f"This voucher is {voucher.get_status_display().lower()}, so it cannot be {MOVE_NAMES[to_status]}."
    message += f" It can be {' or '.join(moves.values())}." if moves else " Nothing more can be done with it."
    raise DomainError(message, code="illegal_transition")


def voucher_move(
    *, actor: Actor, voucher: Voucher, to_status: str, note: str = "", data: dict | None = None, **fields
) -> Voucher:
    """Move the voucher to `to_status` if TRANSITIONS allows it, with the fields that go with the move
    (issued_at, activated_at ...), and write its history row (VoucherEvent).

    Expects the voucher locked (lock_one/lock_rows) in the caller's transaction; the service that calls it owns
    the rest of the rule (who may, what the resident must have)."""
    voucher_check_move(voucher, to_status)
    from_status = voucher.status
    voucher.status = to_status
    for name, value in fields.items():
        setattr(voucher, name, value)
    voucher.save()
    voucher_event_record(voucher=voucher, actor=actor, action=ACTIONS[to_status], from_status=from_status,
                         to_status=to_status, note=note, data=data)  # fmt: skip
    return voucher


@transaction.atomic
def voucher_activate(*, actor: Actor, voucher: Voucher) -> Voucher:
    voucher = _lock_voucher(voucher, actor)
    voucher_move(actor=actor, voucher=voucher, to_status=V.ACTIVATED, activated_at=timezone.now())
    case_event_record(resident=voucher.resident, actor=actor, kind=VoucherEventKind.VOUCHER_ACTIVATED,
                      summary=f"Voucher {voucher.masked} activated", data={"voucher": voucher.pk})  # fmt: skip
    return voucher


@transaction.atomic
def voucher_fail(*, actor: Actor, voucher: Voucher, reason: str, replace: bool = True) -> Voucher | None:
    """Mark an issued voucher as not working; by default issue a replacement from the same batch,
    linked to the failed one. Returns the replacement (or None)."""
    voucher = _lock_voucher(voucher, actor)
    voucher_check_move(voucher, V.FAILED)
    if not reason.strip():
        raise DomainError("Say what went wrong.", field="reason", code="required")
    voucher_move(actor=actor, voucher=voucher, to_status=V.FAILED, note=reason.strip()[:300], failed_at=timezone.now(),
                 failure_reason=reason.strip()[:300])  # fmt: skip
    case_event_record(resident=voucher.resident, actor=actor, kind=VoucherEventKind.VOUCHER_FAILED,
                      summary=f"Voucher {voucher.masked} did not work", body=reason, data={"voucher": voucher.pk})  # fmt: skip
    if not replace:
        return None
    try:
        with transaction.atomic():
            return voucher_issue(
                actor=actor, resident=voucher.resident, kind=voucher.batch.kind, replacement_for=voucher
            )
    except DomainError:
        return None  # the failure stays recorded; the caller says no replacement was available


@transaction.atomic
def voucher_withdraw(*, actor: Actor, voucher: Voucher, reason: str = "") -> Voucher:
    """Take a voucher out of use: an available one (damaged, lost) or an issued one (never used)."""
    voucher = _lock_voucher(voucher, actor)
    voucher_move(actor=actor, voucher=voucher, to_status=V.WITHDRAWN, note=reason.strip()[:300],
                 withdrawn_at=timezone.now(), failure_reason=reason.strip()[:300])  # fmt: skip
    if voucher.resident:
        case_event_record(resident=voucher.resident, actor=actor, kind=VoucherEventKind.VOUCHER_WITHDRAWN,
                          summary=f"Voucher {voucher.masked} withdrawn", body=reason, data={"voucher": voucher.pk})  # fmt: skip
    return voucher


EXPIRE = """
WITH expired AS (
    UPDATE devices_voucher AS voucher SET status = %(expired)s, expired_at = %(now)s
    FROM devices_voucherbatch AS batch
    WHERE voucher.batch_id = batch.id AND voucher.status = %(available)s AND batch.expires_on < %(today)s
    RETURNING voucher.id, batch.organisation_id, batch.expires_on
)
INSERT INTO devices_voucherevent (voucher_id, action, from_status, to_status, organisation_id, actor_id, api_key_id,
                                  note, data, occurred_at)
SELECT id, %(action)s, %(available)s, %(expired)s, organisation_id, NULL, NULL, '',
       jsonb_build_object('batch_expired_on', expires_on::text), %(now)s
FROM expired
"""


def voucher_expire_unissued(*, today: date | None = None) -> int:
    """Mark available vouchers of batches past their expiry date as expired, each with its history row
    (by "System", for the batch's organisation). One statement, whatever the number; safe to run twice.

    A voucher being issued at that moment is locked: the update waits for it and then skips it, since it is no
    longer available (PostgreSQL re-reads the row), so an issued voucher is never expired."""
    params = {"expired": V.EXPIRED, "available": V.AVAILABLE, "action": ACTIONS[V.EXPIRED], "now": timezone.now(),
              "today": today or timezone.localdate()}  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(EXPIRE, params)
        return cursor.rowcount
