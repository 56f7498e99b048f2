"""What the vouchers domain writes about what happened: each voucher's history (VoucherEvent, written in the
same transaction as the change, one row per voucher even when a whole batch changes at once) and the kinds of
entry it puts on a resident's case timeline (registered with the core in devices/vouchers/registration.py)."""

import json

from django.db import connection, models

from inclusion.actors import Actor

from .models import Voucher, VoucherEvent


class VoucherEventKind(models.TextChoices):
    VOUCHER_ISSUED = "voucher_issued", "Data voucher issued"
    VOUCHER_REVEALED = "voucher_revealed", "Voucher code shown"
    VOUCHER_ACTIVATED = "voucher_activated", "Voucher activated"
    VOUCHER_FAILED = "voucher_failed", "Voucher failed"
    VOUCHER_WITHDRAWN = "voucher_withdrawn", "Voucher withdrawn"


def voucher_event_record(
    *, voucher: Voucher, actor: Actor, action: str, from_status: str = "", to_status: str = "", note: str = "",
    data: dict | None = None,
) -> VoucherEvent:  # fmt: skip
    return VoucherEvent.objects.create(
        voucher=voucher, action=action, from_status=from_status, to_status=to_status,
        organisation=actor.organisation, actor=actor.user, api_key=actor.api_key, note=note, data=data or {},
    )  # fmt: skip


def voucher_events_record_for_batch(*, batch_id: int, actor: Actor, action: str, to_status: str, data: dict) -> int:
    """One history row for every voucher of a batch (an import of 100,000 codes), in one INSERT ... SELECT."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO devices_voucherevent (voucher_id, action, from_status, to_status, organisation_id, actor_id,"
            " api_key_id, note, data, occurred_at)"
            " SELECT id, %s, '', %s, %s, %s, %s, '', %s::jsonb, now() FROM devices_voucher WHERE batch_id = %s",
            [action, to_status, actor.organisation.pk, actor.user.pk if actor.user else None,
             actor.api_key.pk if actor.api_key else None, json.dumps(data), batch_id],
        )  # fmt: skip
        return cursor.rowcount
