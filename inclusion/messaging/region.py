"""The messaging app's part of the region-scale dataset (inclusion/region.py, `manage.py build_region`): reminders
already sent to residents over the last three years (delivered, sent, failed, or not sent with the reason), each
a digest with its one due item, as the sweep (sweeps.py) writes them. None is pending, so nothing built here is
ever sent. Set-based SQL only.

The items name no source row (`source_type` "region"): they are history, and nothing checks whether a sent
item is still due.
"""

from inclusion.region import Region

from .models import Message, MessageItem

# Out of every 20 messages: 15 delivered, 2 sent (no receipt), 1 failed, 2 not sent.
STATUSES = "(ARRAY['delivered','delivered','delivered','delivered','delivered','delivered','delivered','delivered'," \
    "'delivered','delivered','delivered','delivered','delivered','delivered','delivered','sent','sent','failed'," \
    "'skipped','skipped'])[1 + mod(m, 20)]"  # fmt: skip
TEMPLATES = "(ARRAY['loan_due_soon','loan_due_tomorrow','loan_overdue','loan_overdue_final','loan_still_using'])"


def build_messages(region: Region) -> dict[str, int]:
    size = region.size
    resident = f"(1 + mod((m - 1)::bigint * 104729, {size.residents}))::int"  # 104,729 is prime: spread out
    messages = region.insert_select(
        Message,
        {
            "natural_key": "'region:' || m",
            "kind": "'digest'",
            "audience": "'resident'",
            "organisation_id": region.organisation_id_sql("org_index"),
            "resident_id": region.resident_id_sql("r"),
            "channel": "CASE WHEN status = 'skipped' THEN 'none' WHEN mod(m, 3) = 0 THEN 'email' ELSE 'sms' END",
            "recipient": "CASE WHEN status = 'skipped' THEN '' WHEN mod(m, 3) = 0 THEN 'resident' || r || "
            "'@example.com' ELSE '+447400' || lpad(mod(r, 1000000)::text, 6, '0') END",
            "body": "CASE WHEN status = 'skipped' THEN '' ELSE 'Hello. The laptop you borrowed is due back soon. "
            "From your digital inclusion partner.' END",
            "status": "status",
            "status_reason": "CASE status WHEN 'skipped' THEN 'No current consent to contact them by text or email' "
            "WHEN 'failed' THEN 'The number is not in use' ELSE '' END",
            "send_after": "created",
            "queued_at": "CASE WHEN status <> 'skipped' THEN created END",
            "attempts": "CASE WHEN status = 'skipped' THEN 0 ELSE 1 END",
            "sent_at": "CASE WHEN status IN ('delivered', 'sent', 'failed') THEN created + interval '1 minute' END",
            "delivered_at": "CASE WHEN status = 'delivered' THEN created + interval '2 minutes' END",
            "failed_at": "CASE WHEN status = 'failed' THEN created + interval '2 minutes' END",
            "created_at": "created",
            "updated_at": "created",
        },
        f"(SELECT m, r, {region.organisation_index_sql('r')} AS org_index, {STATUSES} AS status, "
        "date_trunc('day', now() - interval '1 day' - random() * interval '1095 days') + interval '9 hours' AS created "
        f"FROM (SELECT m, {resident} AS r FROM generate_series(1, {size.messages}) m) numbered) s "
        "ORDER BY created",  # stored in the order they were sent
    )
    items = region.insert_select(
        MessageItem,
        {
            "natural_key": "message.natural_key",
            "kind": f"{TEMPLATES}[1 + mod(message.id, 5)]",
            "audience": "'resident'",
            "organisation_id": "message.organisation_id",
            "resident_id": "message.resident_id",
            "template": f"{TEMPLATES}[1 + mod(message.id, 5)]",
            "due_on": "(message.created_at + interval '3 days')::date",
            "source_type": "'region'",
            "source_id": "message.id::text",
            "data": "jsonb_build_object('kind', 'laptop', 'asset_tag', 'RG-' || lpad(mod(message.id, 100000)::text, "
            "6, '0'), 'due_on', (message.created_at + interval '3 days')::date::text)",
            "message_id": "message.id",
            "created_at": "message.created_at",
        },
        f"{Message._meta.db_table} message WHERE message.natural_key LIKE 'region:%%'",
    )
    return {"messages": messages, "message items": items}
