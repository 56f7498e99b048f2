"""The API's one parser: JSON, with a limit on the body's size answered by a 413 in the API's error format.

Most endpoints take at most settings.API_MAX_BODY_BYTES; a view (or action) marked `large_body = True`,
such as the voucher batch import, takes up to settings.API_IMPORT_MAX_BODY_BYTES.
"""

import io
import json

from django.conf import settings
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError

from .exceptions import RequestTooLarge


def body_limit(view) -> int:
    return settings.API_IMPORT_MAX_BODY_BYTES if getattr(view, "large_body", False) else settings.API_MAX_BODY_BYTES


class JSONParser(parsers.BaseParser):
    """DRF's JSON parsing, reading the stream itself: DRF gives its own JSONParser (and subclasses) the whole
    body through Django's request.body, which refuses anything over DATA_UPLOAD_MAX_MEMORY_SIZE."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = body_limit(parser_context.get("view"))
        request = parser_context.get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge(f"The request body is larger than this endpoint accepts ({limit:,} bytes).")
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(f"The request body is larger than this endpoint accepts ({limit:,} bytes).")
        data = parsers.JSONParser().parse(io.BytesIO(body), media_type, parser_context)
        try:  # JSON may spell lone UTF-16 surrogates ("\\ud800"), which no database text can hold
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - a string holds an unpaired surrogate (\\ud800-\\udfff).") from None
        return data
