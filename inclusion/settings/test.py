"""Tests: the real PostgreSQL and Redis chosen by inclusion.embedded (environment, local servers, embedded)."""

import os

from inclusion import embedded

SERVICES = embedded.resolve(for_tests=True)
os.environ["DATABASE_URL"] = SERVICES.database_url
os.environ["REDIS_URL"] = SERVICES.redis_url

from .base import *  # noqa: E402, F403
from .base import DATABASES  # noqa: E402

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Two test runs at once on one server (two checkouts, say) each set their own name.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
# Tests sign staff in with force_login; the two-step gate is tested with it on (tests/security/).
MFA_ENFORCED = False
LOCK_ORDER_CHECKS = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Static files come from the finders here (runserver and live_server serve them); WhiteNoise is for production.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405
