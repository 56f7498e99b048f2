"""Keeping an upload between its preview and its confirmation, and claiming it once.

An import shows what a file would do before it does it. upload_keep() puts the file (and the form it came
with) in the cache (Redis) under a random token, for the user and organisation that uploaded it, for
KEEP_SECONDS; upload_claim() gives it back to that same user in that same organisation, once.
"""

import re
import secrets
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.cache import cache

KEEP_SECONDS = 30 * 60
EXPIRED = (
    f"That upload has expired or was already imported: uploads are kept for {KEEP_SECONDS // 60} minutes. "
    "Upload the file again."
)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    data: dict = field(default_factory=dict)  # what else was posted with it: form field → list of values


def upload_name(filename: str) -> str:
    """The file's own name, without any folders a browser sent, for messages and histories."""
    return PurePath((filename or "").replace("\\", "/")).name[:200] or "the file"


def upload_keep(
    *, purpose: str, membership, filename: str, content: bytes, data: dict | None = None, seconds: int = KEEP_SECONDS
) -> str:
    """Keep an upload for `membership`'s user in its organisation, for `seconds`; return its token.

    purpose names the flow ("devices:import"): a token kept for one is not found by another."""
    token = secrets.token_urlsafe(32)
    kept = {
        "user": membership.user_id,
        "organisation": membership.organisation_id,
        "filename": filename,
        "content": content,
        "data": data or {},
    }
    cache.set(_key(purpose, token), kept, seconds)
    return token


def upload_claim(*, purpose: str, membership, token: str) -> Upload | None:
    """The upload kept under `token` by `membership`'s user for its organisation, removed from the cache so it
    can be used once only: of two confirmations at once, only the one whose delete succeeds gets it. None when
    there is no such upload (expired, already claimed, or not this user's in this organisation); an upload kept
    by someone else stays for them."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    key = _key(purpose, token)
    kept = cache.get(key)
    if not kept or kept["user"] != membership.user_id:
        return None
    if kept["organisation"] != membership.organisation_id or not cache.delete(key):
        return None
    return Upload(filename=kept["filename"], content=kept["content"], data=kept["data"])


def _key(purpose: str, token: str) -> str:
    return f"{purpose}:{token}"
