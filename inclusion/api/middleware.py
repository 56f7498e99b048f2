"""Requests to /api/ before Django routes them: a path with control characters names nothing (404, not a
500 from the database), and a path without its trailing slash is served as if it had one.

Without the second, Django's CommonMiddleware answers a POST to /api/v1/residents with a 500 under DEBUG
and a 301 in production, which common HTTP clients follow with a GET: the write was silently lost.
"""

import re

from django.urls import get_urlconf, is_valid_path

from .errors import API_PREFIX, api_not_found

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class APIPathMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(API_PREFIX):
            if CONTROL_CHARACTERS.search(path):
                return api_not_found()
            if not path.endswith("/"):
                urlconf = getattr(request, "urlconf", get_urlconf())
                if not is_valid_path(path, urlconf) and is_valid_path(f"{path}/", urlconf):
                    request.path_info = f"{path}/"
                    request.path = f"{request.path}/"
        return self.get_response(request)
