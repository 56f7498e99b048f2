"""Safe retries: a POST sent with an `Idempotency-Key` header does its work once.

The same key (for the same API key) with the same request within IDEMPOTENCY_KEY_TTL gets the first
response again, marked `Idempotent-Replayed: true`; the same key with a different request is a 422. Only
successful (2xx) responses are kept: after a refusal the client may fix the request and retry with the key.

How two identical requests racing with one key make one effect: each runs in one transaction that first
inserts the key's row (INSERT ... ON CONFLICT DO NOTHING) and then locks it (SELECT ... FOR UPDATE). The
first holds the row until it commits with its response; the second waits on the unique index, finds the
finished row and replays it. If the first fails, its row is rolled back and the second does the work.
"""

import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.exceptions import ErrorDetail, ValidationError

from ..locks import lock_rows
from ..models import IdempotencyRecord, OrganisationAPIKey
from ..services import idempotency_records_purge
from .exceptions import IdempotencyKeyReused

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as in the IETF draft's examples
PURGE_EVERY = 60 * 60  # seconds: expired records are swept at most hourly, by whichever request comes first


def key_from(request) -> str | None:
    """The request's Idempotency-Key, None without one; a malformed key is a 400."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise ValidationError({HEADER: [ErrorDetail(
            "Give 1 to 255 visible ASCII characters, such as a UUID.", code="invalid")]})  # fmt: skip
    return key


def fingerprint(request) -> str:
    """What makes two requests "the same": method, path and body (as parsed, so key order does not matter)."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method}\n{request.path_info}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def run_once(
    *, api_key: OrganisationAPIKey, key: str, request_fingerprint: str, handler, on_replay=None
) -> HttpResponse:
    """The response of `handler()` (a rendered response), or the stored one of an earlier run with the key.

    `on_replay(body)`, when given, is called with the stored body before it is sent again, in the same
    transaction: what a response discloses (a voucher's whole code) is recorded each time it is disclosed.
    """
    if cache.add("idempotency:purged-recently", 1, timeout=PURGE_EVERY):
        idempotency_records_purge()
    now = timezone.now()
    with transaction.atomic():
        IdempotencyRecord.objects.filter(api_key=api_key, key=key, expires_at__lte=now).delete()
        IdempotencyRecord.objects.bulk_create(
            [IdempotencyRecord(api_key=api_key, key=key, fingerprint=request_fingerprint,
                               expires_at=now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL))],
            ignore_conflicts=True,
        )  # fmt: skip
        [record] = lock_rows(IdempotencyRecord.objects.filter(api_key=api_key, key=key))
        if record.status_code is not None:  # finished by an earlier request
            if record.fingerprint != request_fingerprint:
                raise IdempotencyKeyReused()
            if on_replay is not None:
                on_replay(json.loads(bytes(record.body)))
            return _replay(record)
        response = handler()
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "application/json")
            record.body = response.content
            record.save(update_fields=["status_code", "content_type", "body"])
        else:
            transaction.set_rollback(True)  # not kept: the key is free for a corrected request
        return response
