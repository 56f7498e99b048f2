"""A local stand-in for GOV.UK Notify's API that checks requests as Notify does and records them.

It checks the Authorization header (a JWT signed HS256 with the API key's secret, `iss` the service id, `iat`
within 30 seconds), the JSON body of each send (the documented fields, a UUID template id, a dict of
personalisation) and answers with Notify's documented shapes: 201 with the notification's id, a list for
GET /v2/notifications?reference=..., Notify's error format otherwise. Scripted failures (`fail_next`) and a
delay before answering (`delay_next`) let tests make it fail or hang.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt

SERVICE_ID = "6f4c2b5e-8a1d-4c3e-9b7a-2d5e8f1a3c4b"
SECRET = "0e9c4d7a-3b2f-4a61-8c5d-7e1f9a2b6c3d"
API_KEY = f"reminders_test-{SERVICE_ID}-{SECRET}"
SMS_TEMPLATE = "a1b2c3d4-0000-4000-8000-000000000001"
EMAIL_TEMPLATE = "a1b2c3d4-0000-4000-8000-000000000002"
TEMPLATES = {"digest": {"sms": {"English": SMS_TEMPLATE}, "email": {"English": EMAIL_TEMPLATE}}}

REQUIRED = {"sms": "phone_number", "email": "email_address"}
ALLOWED = {
    "sms": {"phone_number", "template_id", "personalisation", "reference", "sms_sender_id"},
    "email": {
        "email_address",
        "template_id",
        "personalisation",
        "reference",
        "email_reply_to_id",
        "one_click_unsubscribe_url",
    },
}


class FakeNotify:
    def __init__(self):
        self.sent: list[dict] = []  # every accepted send, in order
        self.refused: list[tuple[int, str]] = []
        self.lookups: list[str] = []
        self.fail_next: list[int] = []  # statuses to answer the next sends with, instead of accepting
        self.delay_next: list[float] = []  # seconds to wait before answering the next sends (accepted first)
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"notify": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def references(self) -> list[str]:
        with self.lock:
            return [item["body"].get("reference") for item in self.sent]

    def set_status(self, notification_id: str, status: str) -> None:
        """What Notify learns from the phone network or mail provider: delivered, permanent-failure..."""
        with self.lock:
            for item in self.sent:
                if item["answer"]["id"] == notification_id:
                    item["answer"]["status"] = status
                    item["answer"]["completed_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())

    def wait_for(self, count: int, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.sent) >= count:
                    return True
            time.sleep(0.05)
        return False


def _error(status: int, error: str, message: str) -> dict:
    return {"status_code": status, "errors": [{"error": error, "message": message}]}


class _Handler(BaseHTTPRequestHandler):
    notify: FakeNotify

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: dict):
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client went away (a worker killed mid-send)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            self._answer(401, _error(401, "AuthError", "Unauthorized: authentication token must be provided"))
            return False
        try:
            claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
        except jwt.PyJWTError as error:
            self._answer(403, _error(403, "AuthError", f"Invalid token: {error}"))
            return False
        if claims["iss"] != SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
            self._answer(403, _error(403, "AuthError", "Invalid token: API key not found or expired"))
            return False
        return True

    def do_GET(self):
        if not self._authorised():
            return
        url = urlparse(self.path)
        if url.path != "/v2/notifications":
            return self._answer(404, _error(404, "NoResultFound", "No result found"))
        reference = parse_qs(url.query).get("reference", [None])[0]
        with self.notify.lock:
            if reference is None:  # the list of recent notifications, newest first (one page here)
                found = [item["answer"] for item in reversed(self.notify.sent)]
            else:
                self.notify.lookups.append(reference)
                found = [item["answer"] for item in self.notify.sent if item["body"].get("reference") == reference]
        self._answer(200, {"notifications": found, "links": {"current": f"{self.notify.url}/v2/notifications"}})

    def do_POST(self):
        if not self._authorised():
            return
        kind = {"/v2/notifications/sms": "sms", "/v2/notifications/email": "email"}.get(self.path)
        if kind is None:
            return self._answer(404, _error(404, "NoResultFound", "No result found"))
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        except ValueError:
            return self._answer(400, _error(400, "BadRequestError", "Invalid JSON"))
        problem = _check(kind, body)
        if problem:
            self.notify.refused.append((400, problem))
            return self._answer(400, _error(400, "ValidationError", problem))
        with self.notify.lock:
            failure = self.notify.fail_next.pop(0) if self.notify.fail_next else None
            delay = self.notify.delay_next.pop(0) if self.notify.delay_next else 0
        if failure:
            self.notify.refused.append((failure, body.get("reference")))
            if failure == 400:
                return self._answer(
                    400, _error(400, "BadRequestError", "Can't send to this recipient using a team-only API key")
                )
            return self._answer(failure, _error(failure, "Exception", "Internal server error"))
        notification_id = str(uuid.uuid4())
        answer = {
            "id": notification_id, "reference": body.get("reference"), "type": kind, "status": "created",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()), "completed_at": None,
            "content": {"body": body.get("personalisation", {}).get("body", ""), "from_number": "Inclusion"},
            "uri": f"{self.notify.url}/v2/notifications/{notification_id}",
            "template": {"id": body["template_id"], "version": 1, "uri": f"{self.notify.url}/v2/template/{body['template_id']}"},
        }  # fmt: skip
        with self.notify.lock:
            self.notify.sent.append({"kind": kind, "body": body, "answer": answer})
        if delay:
            time.sleep(delay)
        self._answer(201, answer)


def _check(kind: str, body) -> str:
    if not isinstance(body, dict):
        return "Body must be a JSON object"
    unknown = set(body) - ALLOWED[kind]
    if unknown:
        return f"Additional properties are not allowed ({', '.join(sorted(unknown))} was unexpected)"
    if not body.get(REQUIRED[kind]):
        return f"{REQUIRED[kind]} is a required property"
    try:
        uuid.UUID(str(body.get("template_id")))
    except ValueError:
        return "template_id is not a valid UUID"
    if not isinstance(body.get("personalisation", {}), dict):
        return "personalisation is not of type object"
    if "reference" in body and not isinstance(body["reference"], str):
        return "reference is not of type string"
    return ""
