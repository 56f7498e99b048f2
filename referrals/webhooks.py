"""Webhooks: partners' systems told about referrals to or from their organisation.

Each change of a referral (referrals/services.py) makes, in the same transaction, one WebhookDelivery per active
endpoint of the two organisations, with the event as that organisation's API would show the referral (never more
personal data than that), numbered by the referral's sequence. After commit a Celery task sends them, one
endpoint and referral at a time, in sequence order: signed with HMAC-SHA256 over "<timestamp>.<body>" with the
endpoint's secret, retried with exponential backoff (WEBHOOK_BACKOFF_SECONDS doubled after each failure, up to
WEBHOOK_MAX_ATTEMPTS), then recorded as failed for good; a coordinator may send it again. A sweep every minute
(referrals.tasks.webhook_deliveries_due) sends what a lost task left behind, so nothing is lost.

Headers of each POST:
    X-Inclusion-Event: referral.created | referral.status_changed
    X-Inclusion-Delivery: <delivery id>   X-Inclusion-Timestamp: <unix seconds>
    X-Inclusion-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.events import audit_record
from inclusion.locks import lock_one, lock_rows

from .models import DeliveryStatus, ReferralEvent, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("referrals.webhooks")
SIGNATURE_HEADER = "X-Inclusion-Signature"
TIMESTAMP_HEADER = "X-Inclusion-Timestamp"
USER_AGENT = "digital-inclusion-webhooks/1"


# Signing


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Inclusion-Signature value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_verify(secret: str, timestamp: str, body: bytes, received: str, *, tolerance: int = 300) -> bool:
    """What a partner's system does (README "Webhooks"): recompute and compare in constant time, and refuse an
    event older than `tolerance` seconds (a replay)."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance
    except (TypeError, ValueError):
        return False
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), received or "")


# Endpoints


def _address_is_private(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def endpoint_url_check(url: str, *, resolve: bool = False) -> None:
    """Refuse (DomainError on "url") an address that is not https, or that points into our own network (loopback,
    private, link-local: a partner must not make our servers call inside), unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES.
    With `resolve`, the host name's addresses are checked too (at sending time)."""
    parts = urlsplit(url or "")
    if parts.scheme != "https" or not parts.hostname:
        raise DomainError("Enter an address starting with https://", field="url", code="invalid")
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost") or _address_is_private(host):
        raise DomainError("Enter the address of a system on the internet, not a local or private one", field="url",
                          code="private_address")  # fmt: skip
    if resolve:
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)}
        except OSError as error:
            raise DomainError(f"Cannot find {host}: {error}", field="url", code="unreachable") from None
        if any(_address_is_private(address) for address in addresses):
            raise DomainError(f"{host} points to a private address", field="url", code="private_address")


@transaction.atomic
def webhook_endpoint_create(*, actor: Actor, url: str, description: str = "") -> tuple[WebhookEndpoint, str]:
    """Register an https endpoint for the actor's organisation; returns it and its signing secret (shown once)."""
    url = (url or "").strip()
    endpoint_url_check(url)
    if WebhookEndpoint.objects.filter(organisation=actor.organisation, url=url, active=True).exists():
        raise DomainError("This address is already registered", field="url", code="duplicate")
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(organisation=actor.organisation, url=url, secret=secret,
                               description=(description or "").strip()[:200], created_by=actor.user)  # fmt: skip
    endpoint.full_clean()
    endpoint.save()
    audit_record(actor=actor, action="webhook_endpoint.create", obj=endpoint, after={"url": url})
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_deactivate(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop sending to an endpoint (its log stays); deliveries still waiting are not sent."""
    if endpoint.organisation_id != actor.organisation.pk:
        raise Http404("No such endpoint")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    endpoint.active = False
    audit_record(actor=actor, action="webhook_endpoint.deactivate", obj=endpoint, before={"active": True},
                 after={"active": False})  # fmt: skip
    return endpoint


@transaction.atomic
def webhook_delivery_resend(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (a coordinator's "send again", usually after a failure for good): attempts start
    again from nought, the same payload, a fresh timestamp and signature."""
    delivery = lock_one(WebhookDelivery, delivery.pk, related=("endpoint",))
    if delivery.endpoint.organisation_id != actor.organisation.pk:
        raise Http404("No such delivery")
    if not delivery.endpoint.active:
        raise DomainError("This endpoint is switched off, so nothing is sent to it.", code="endpoint_inactive")
    if delivery.status == DeliveryStatus.PENDING:
        raise DomainError("This event is already waiting to be sent.", code="already_pending")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit_record(actor=actor, action="webhook_delivery.resend", obj=delivery, after={"sequence": delivery.sequence})
    _queue(delivery.endpoint_id, delivery.referral_id)
    return delivery


# Making events (inside the referral service's transaction)


def deliveries_create(event: ReferralEvent) -> list[WebhookDelivery]:
    """One delivery per active endpoint of the referral's two organisations, its payload what that organisation's
    API shows (referrals.api.serializers), queued to send after commit."""
    from .api.serializers import referral_representation
    from .selectors import referrals_visible_to

    referral = event.referral
    endpoints = list(WebhookEndpoint.objects.filter(
        organisation_id__in=[referral.from_organisation_id, referral.to_organisation_id], active=True
    ).select_related("organisation"))  # fmt: skip
    deliveries = []
    views = {}
    for endpoint in endpoints:
        organisation = endpoint.organisation
        if organisation.pk not in views:
            seen = referrals_visible_to(organisation).prefetch_related("outcomes").get(pk=referral.pk)
            views[organisation.pk] = referral_representation(seen, organisation)
        payload = {
            "type": "referral.created" if event.action == "send" else "referral.status_changed",
            "referral_id": str(referral.pk),
            "sequence": event.sequence,
            "occurred_at": event.occurred_at.isoformat(),
            "from_status": event.from_status or None,
            "to_status": event.to_status or None,
            "referral": views[organisation.pk],
        }
        payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
        deliveries.append(WebhookDelivery(endpoint=endpoint, event=event, referral=referral, sequence=event.sequence,
                                          payload=payload))  # fmt: skip
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        _queue(delivery.endpoint_id, referral.pk)
    return deliveries


def _queue(endpoint_id: int, referral_id) -> None:
    """Send after commit. If the queue cannot be reached, the change still stands: the deliveries are saved and
    the minute's sweep (referrals.tasks.webhook_deliveries_due) sends them."""
    from .tasks import webhook_stream_send

    def send():
        try:
            webhook_stream_send.delay(endpoint_id, str(referral_id))
        except Exception:  # the broker is down: logged, and left to the sweep
            logger.exception("could not queue webhook deliveries of referral %s", referral_id)

    transaction.on_commit(send)


# Sending (Celery tasks call these)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: WEBHOOK_BACKOFF_SECONDS, doubled each time."""
    return timedelta(seconds=settings.WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST one event; (status code, error) with error "" on a 2xx."""
    import requests

    body = json.dumps({"id": delivery.pk, **delivery.payload}, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "X-Inclusion-Event": delivery.payload.get("type", ""), "X-Inclusion-Delivery": str(delivery.pk),
        TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(endpoint.secret, timestamp, body),
    }  # fmt: skip
    try:
        endpoint_url_check(endpoint.url, resolve=True)
        response = requests.post(endpoint.url, data=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                                 allow_redirects=False, verify=settings.WEBHOOK_CA_BUNDLE or True)  # fmt: skip
    except DomainError as error:
        return None, error.message
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"


def stream_send(endpoint_id: int, referral_id) -> dict:
    """Send the waiting events of one referral to one endpoint, in sequence order, until one fails (it is retried
    after its backoff; the later ones wait behind it) or none is due. Safe to run twice at once: each event is
    sent under its row lock (SKIP LOCKED), and never while an earlier one of the same stream is still waiting.

    Returns {"sent": n, "retry_in": seconds or None}."""
    sent = 0
    while True:
        with transaction.atomic():
            waiting = WebhookDelivery.objects.filter(
                endpoint_id=endpoint_id, referral_id=referral_id, status=DeliveryStatus.PENDING
            ).order_by("sequence", "id")
            rows = lock_rows(waiting[:1], skip_locked=True)
            if not rows:
                return {"sent": sent, "retry_in": None}
            delivery = rows[0]
            if waiting.filter(sequence__lt=delivery.sequence).exists():
                return {"sent": sent, "retry_in": None}  # another worker holds the earlier one and goes on after it
            endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
            if not endpoint.active:
                return {"sent": sent, "retry_in": None}
            now = timezone.now()
            if delivery.next_attempt_at > now:
                return {"sent": sent, "retry_in": (delivery.next_attempt_at - now).total_seconds()}
            status_code, error = _post(endpoint, delivery)
            delivery.attempts += 1
            delivery.last_status_code = status_code
            delivery.last_error = error
            if not error:
                delivery.status = DeliveryStatus.DELIVERED
                delivery.delivered_at = timezone.now()
                sent += 1
            elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED  # for good: the next events go on (they carry sequences)
                logger.warning("webhook delivery %s failed for good: %s", delivery.pk, error)
            else:
                delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
            delivery.save()
        if error and delivery.status == DeliveryStatus.PENDING:
            return {"sent": sent, "retry_in": backoff(delivery.attempts).total_seconds()}


def streams_due(now=None, limit: int = 500) -> list[tuple[int, str]]:
    """(endpoint, referral) pairs with an event due to be sent (for the sweep)."""
    now = now or timezone.now()
    pairs = (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True
        )  # fmt: skip
        .values_list("endpoint_id", "referral_id")
        .distinct()[:limit]
    )
    return [(endpoint_id, str(referral_id)) for endpoint_id, referral_id in pairs]
