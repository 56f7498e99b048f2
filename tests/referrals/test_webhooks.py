"""Webhooks against a real HTTPS server on this machine, with the real requests client: the signature verifies,
failures are retried with exponential backoff, a permanent failure is recorded and can be sent again, and events
arrive in sequence order per referral, carrying no more than the receiving organisation's API shows."""

import json
import ssl
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from referrals import services, tasks, webhooks
from referrals.models import DeliveryStatus, WebhookDelivery

from .factories import refer

pytestmark = pytest.mark.django_db


class Receiver:
    """A partner's system: an HTTPS server that records each request and answers with the next planned status."""

    def __init__(self, directory):
        cert, key = directory / "cert.pem", directory / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)  # fmt: skip
        self.cert = str(cert)
        self.received: list[dict] = []
        self.plan: list[int] = []  # statuses to answer, in turn; 200 once it runs out
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.plan.pop(0) if receiver.plan else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/hooks/referrals"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(tmp_path, settings):
    server = Receiver(tmp_path)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the server is on loopback
    settings.WEBHOOK_CA_BUNDLE = server.cert
    settings.WEBHOOK_BACKOFF_SECONDS = 30
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    yield server
    server.close()


@pytest.fixture
def endpoint_b(receiver, actor_b):
    endpoint, secret = webhooks.webhook_endpoint_create(actor=actor_b, url=receiver.url, description="Beta's CRM")
    return endpoint


def send(endpoint, referral):
    return webhooks.stream_send(endpoint.pk, str(referral.pk))


def make_due():
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=timezone.now())


def test_each_event_is_signed_over_timestamp_and_body_and_verifies(receiver, endpoint_b, actor_a, shared_resident,
                                                                   course_b, django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks() as queued:
        referral = refer(actor_a, shared_resident, course_b)
    assert len(queued) == 1  # the delivery task, after commit
    assert send(endpoint_b, referral) == {"sent": 1, "retry_in": None}
    [request] = receiver.received
    headers = request["headers"]
    assert headers["X-Inclusion-Event"] == "referral.created" and headers["Content-Type"] == "application/json"
    assert headers["X-Inclusion-Signature"].startswith("sha256=")
    assert webhooks.signature_verify(endpoint_b.secret, headers["X-Inclusion-Timestamp"], request["body"],
                                     headers["X-Inclusion-Signature"])  # fmt: skip
    # Any change to the body, the timestamp or the secret fails the check.
    assert not webhooks.signature_verify(endpoint_b.secret, headers["X-Inclusion-Timestamp"], request["body"] + b" ",
                                         headers["X-Inclusion-Signature"])  # fmt: skip
    assert not webhooks.signature_verify(endpoint_b.secret, str(int(headers["X-Inclusion-Timestamp"]) - 1),
                                         request["body"], headers["X-Inclusion-Signature"])  # fmt: skip
    assert not webhooks.signature_verify("whsec_other", headers["X-Inclusion-Timestamp"], request["body"],
                                         headers["X-Inclusion-Signature"])  # fmt: skip
    event = json.loads(request["body"])
    assert (event["type"], event["sequence"], event["referral_id"]) == ("referral.created", 1, str(referral.pk))
    assert event["referral"]["resident"]["name"] == "Margaret Oduya" and event["referral"]["direction"] == "received"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_an_old_signature_is_refused_as_a_replay(endpoint_b):
    body = b'{"x":1}'
    old = str(int(timezone.now().timestamp()) - 3600)
    assert not webhooks.signature_verify(endpoint_b.secret, old, body, webhooks.signature(endpoint_b.secret, old, body))


def test_failures_are_retried_with_exponential_backoff_and_later_events_wait_in_order(
    receiver, endpoint_b, actor_a, actor_b, shared_resident, course_b
):
    referral = refer(actor_a, shared_resident, course_b)
    services.referral_accept(actor=actor_b, referral=referral)
    services.referral_start(actor=actor_b, referral=referral)
    receiver.plan = [503, 500]
    before = timezone.now()
    assert send(endpoint_b, referral) == {"sent": 0, "retry_in": 30.0}
    first = WebhookDelivery.objects.get(sequence=1)
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 503)
    assert "HTTP 503" in first.last_error
    assert before + timedelta(seconds=29) < first.next_attempt_at < timezone.now() + timedelta(seconds=31)
    assert send(endpoint_b, referral)["sent"] == 0  # not due yet: nothing is sent, not even the later events
    assert len(receiver.received) == 1
    make_due()
    assert send(endpoint_b, referral) == {"sent": 0, "retry_in": 60.0}  # doubled after the second failure
    make_due()
    assert send(endpoint_b, referral) == {"sent": 3, "retry_in": None}
    assert [e["sequence"] for e in receiver.events()] == [1, 1, 1, 2, 3]
    assert [e["to_status"] for e in receiver.events()[2:]] == ["sent", "accepted", "started"]
    assert list(WebhookDelivery.objects.order_by("sequence").values_list("status", "attempts")) == [
        ("delivered", 3), ("delivered", 1), ("delivered", 1)]  # fmt: skip
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_a_permanent_failure_is_recorded_the_next_events_go_on_and_send_again_delivers_it(
    receiver, endpoint_b, actor_a, actor_b, shared_resident, course_b, coordinator_b
):
    referral = refer(actor_a, shared_resident, course_b)
    services.referral_decline(actor=actor_b, referral=referral, reason="no_capacity")
    receiver.plan = [500, 500, 500]
    for _ in range(3):
        make_due()
        send(endpoint_b, referral)
    failed = WebhookDelivery.objects.get(sequence=1)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 3, 500)
    assert WebhookDelivery.objects.get(sequence=2).status == "delivered"  # it carries its sequence number
    # After the decline, Beta's event has no resident: Beta's API no longer shows them either.
    declined = receiver.events()[-1]
    assert declined["to_status"] == "declined" and declined["referral"]["resident"] is None
    assert declined["referral"]["reason"] is None and "Margaret" not in json.dumps(declined)
    webhooks.webhook_delivery_resend(actor=coordinator_b, delivery=failed)
    assert send(endpoint_b, referral) == {"sent": 1, "retry_in": None}
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("delivered", 1)
    assert receiver.events()[-1]["sequence"] == 1


def test_an_unreachable_endpoint_is_an_error_recorded_not_a_crash(settings, actor_b, actor_a, shared_resident,
                                                                  course_b, tmp_path):  # fmt: skip
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    endpoint, _ = webhooks.webhook_endpoint_create(actor=actor_b, url="https://127.0.0.1:9/nothing-here")
    referral = refer(actor_a, shared_resident, course_b)
    assert send(endpoint, referral)["retry_in"] == settings.WEBHOOK_BACKOFF_SECONDS
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code is None and "ConnectionError" in delivery.last_error


def test_a_private_address_is_refused_at_sending_time_too(settings, actor_b, actor_a, shared_resident, course_b):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    endpoint, _ = webhooks.webhook_endpoint_create(actor=actor_b, url="https://localhost:9/x")
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    referral = refer(actor_a, shared_resident, course_b)
    send(endpoint, referral)
    assert "not a local or private one" in WebhookDelivery.objects.get().last_error


def test_the_task_schedules_itself_again_after_its_backoff_and_the_sweep_finds_what_is_due(
    receiver, endpoint_b, actor_a, shared_resident, course_b, monkeypatch
):
    scheduled, swept = [], []
    monkeypatch.setattr(
        tasks.webhook_stream_send, "apply_async", lambda args, countdown: scheduled.append((args, countdown))
    )
    monkeypatch.setattr(tasks.webhook_stream_send, "delay", lambda *args: swept.append(args))
    referral = refer(actor_a, shared_resident, course_b)
    receiver.plan = [502]
    tasks.webhook_stream_send(endpoint_b.pk, str(referral.pk))
    assert scheduled == [((endpoint_b.pk, str(referral.pk)), 30.0)]
    assert tasks.webhook_deliveries_due() == 0  # waiting for its backoff
    make_due()
    assert tasks.webhook_deliveries_due() == 1 and swept == [(endpoint_b.pk, str(referral.pk))]


def test_only_the_two_organisations_endpoints_are_told(receiver, endpoint_b, actor_a, shared_resident, course_b):
    from ..factories import MembershipFactory, OrganisationFactory

    gamma = MembershipFactory(organisation=OrganisationFactory(name="Gamma"))
    from inclusion.actors import Actor

    webhooks.webhook_endpoint_create(actor=Actor.for_membership(gamma), url=receiver.url + "/gamma")
    alpha_endpoint, _ = webhooks.webhook_endpoint_create(actor=actor_a, url=receiver.url + "/alpha")
    refer(actor_a, shared_resident, course_b)
    assert sorted(WebhookDelivery.objects.values_list("endpoint__organisation__slug", "payload__referral__direction")) == [
        ("alpha", "sent"), ("beta", "received")]  # fmt: skip
    assert alpha_endpoint.deliveries.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_referrals_events_at_once_send_each_once_in_order(receiver, org_a, org_b):
    from django.db import connection

    from inclusion.actors import Actor

    from ..factories import MembershipFactory, ResidentFactory
    from .factories import ServiceFactory, sharing_consent

    referrer = Actor.for_membership(MembershipFactory(organisation=org_a))
    answerer = Actor.for_membership(MembershipFactory(organisation=org_b))
    endpoint, _ = webhooks.webhook_endpoint_create(actor=answerer, url=receiver.url)
    resident = ResidentFactory(owning_organisation=org_a)
    sharing_consent(resident)
    referral = refer(referrer, resident, ServiceFactory(organisation=org_b))
    services.referral_accept(actor=answerer, referral=referral)
    services.referral_start(actor=answerer, referral=referral)
    services.referral_complete(actor=answerer, referral=referral)
    barrier = threading.Barrier(3)

    def worker():
        try:
            barrier.wait()
            webhooks.stream_send(endpoint.pk, str(referral.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A worker that found an earlier event taken stops; whichever holds it goes on: nothing twice, none lost.
    webhooks.stream_send(endpoint.pk, str(referral.pk))
    assert [event["sequence"] for event in receiver.events()] == [1, 2, 3, 4]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_the_readme_verification_snippet_accepts_a_real_event_and_refuses_a_changed_one(
    receiver, endpoint_b, actor_a, shared_resident, course_b
):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = readme.split("```python\nimport hashlib, hmac, time\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec("import hashlib, hmac, time\n" + snippet, namespace)  # the partner's code, as documented
    referral = refer(actor_a, shared_resident, course_b)
    send(endpoint_b, referral)
    [request] = receiver.received
    assert namespace["verify"](endpoint_b.secret, request["headers"], request["body"])
    assert not namespace["verify"](endpoint_b.secret, request["headers"], request["body"].replace(b"sent", b"done"))
