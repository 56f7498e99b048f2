"""Every setting the project has, read from the environment (django-environ)."""

from pathlib import Path
from urllib.parse import unquote

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_filters",
    "crispy_forms",
    "crispy_forms_gds",
    "phonenumber_field",
    "pgtrigger",
    "pghistory",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "inclusion",
    "inclusion.privacy",
    "inclusion.messaging",
    "inclusion.reports",
    "devices",
    "referrals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so static files keep their long cache lifetimes; every other response gets
    # Cache-Control: no-store, Permissions-Policy, and a body over WEB_MAX_BODY_BYTES is a 413.
    "inclusion.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "inclusion.api.middleware.APIPathMiddleware",  # before CommonMiddleware: /api/ paths without their slash
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "inclusion.middleware.MembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Timeouts, sessions ended when a membership is deactivated, the two-step sign-in gate.
    "inclusion.security.middleware.SessionSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Who made each change that the database triggers record (inclusion/audit.py): the member of staff here,
    # the API key in the API's authentication.
    "inclusion.audit.HistoryContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "inclusion.urls"
WSGI_APPLICATION = "inclusion.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inclusion.context_processors.membership",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/inclusion")}
# A Unix socket directory arrives percent-encoded as the host (postgres://user@%2Fpath%2Fto%2Fdir/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "inclusion.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},  # 20,000 common passwords
    {"NAME": "inclusion.security.passwords.LocalWordsPasswordValidator"},  # local place names, our own words
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id first: new passwords are hashed with it, and a password hashed with another is re-hashed with it
# when its owner next signs in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)  # the emailed link lasts an hour
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): five failures for one email from one address locks it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field, which holds the email
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Also per address across emails: LOGIN_FAILURES_PER_ADDRESS failures from one address lock it out
# (inclusion.security.lockout). Higher than per email: a library's computers share one address.
AXES_HANDLER = "inclusion.security.lockout.LockoutHandler"
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)

# Two-step sign-in (inclusion.security.mfa): coordinators and administrators always (MFA_REQUIRED_ROLES in
# inclusion/access.py), everyone when MFA_REQUIRED_FOR_EVERYONE is on.
MFA_ENFORCED = env.bool("MFA_ENFORCED", default=True)
MFA_REQUIRED_FOR_EVERYONE = env.bool("MFA_REQUIRED_FOR_EVERYONE", default=False)
OTP_TOTP_ISSUER = "Digital inclusion"
# Sessions end after SESSION_IDLE_SECONDS without a request, and SESSION_ABSOLUTE_SECONDS after sign-in
# whatever happens (inclusion.security.middleware).
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=10 * 60 * 60)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True  # our forms carry the token; no script needs to read the cookie
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# HTTP security headers, in every environment (so the browser tests run under them). Production adds HSTS,
# secure cookies and the HTTPS redirect (production.py). See SECURITY.md.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy (django-csp): scripts and styles only from our own origin or carrying this
# response's nonce (templates write nonce="{{ request.csp_nonce }}"); no inline event handlers, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Features no page uses, switched off for every page (inclusion.middleware.SecurityHeadersMiddleware). The
# camera is ours only: the lend and check-in pages read QR labels with it (assets/js/scanner.js), and no
# other origin (no frame: frame-ancestors is none) may ask for it.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(self), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), interest-cohort=()"
)
# Request bodies on the staff web (not /api/, which has API_MAX_BODY_BYTES): the imports take files of up
# to 5 MB (devices.imports.MAX_BYTES); a larger body is refused with a 413 before Django reads it.
WEB_MAX_BODY_BYTES = env.int("WEB_MAX_BODY_BYTES", default=6 * 1024 * 1024)
# The longest address (path and query string) answered; a longer one is a 414 (in the API's error format
# under /api/). gunicorn lets longer request lines through to us so that the answer is ours.
MAX_URL_LENGTH = env.int("MAX_URL_LENGTH", default=8192)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
DATA_UPLOAD_MAX_NUMBER_FILES = 5

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="no-reply@digital-inclusion.example")
# Where the staff web is, for links in emails (the monthly reports' email).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

PHONENUMBER_DEFAULT_REGION = "GB"
PHONENUMBER_DB_FORMAT = "E164"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["inclusion.api.authentication.OrganisationAPIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["inclusion.api.authentication.HasOrganisationAPIKey"],
    "DEFAULT_PAGINATION_CLASS": "inclusion.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["inclusion.api.throttling.APIKeyRateThrottle"],
    # Proxies in front of the app whose X-Forwarded-For is trusted for the client's address (0: none).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_SCHEMA_CLASS": "drf_standardized_errors.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "inclusion.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["inclusion.api.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
API_KEY_CUSTOM_HEADER = "HTTP_X_API_KEY"
# Request bodies: Django's default (2.5 MB) for the API, more for the voucher batch import, whose 100,000
# rows with code, ICCID and SIM serial come to about 10 MB of JSON. A larger body is a 413.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2_621_440)
# Rate limits (inclusion/api/throttling.py), counted in Redis: per API key, and per client address for
# requests whose key is refused. Over either is a 429 with Retry-After.
API_THROTTLE_RATES = {
    "key": env("API_THROTTLE_RATE_KEY", default="1200/minute"),
    "failed_auth": env("API_THROTTLE_RATE_FAILED_AUTH", default="20/minute"),
}
# How long a POST's Idempotency-Key replays its first response (inclusion/api/idempotency.py).
IDEMPOTENCY_KEY_TTL = env.int("IDEMPOTENCY_KEY_TTL", default=24 * 60 * 60)
API_IMPORT_MAX_BODY_BYTES = env.int("API_IMPORT_MAX_BODY_BYTES", default=25 * 1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "Digital inclusion partner API",
    "DESCRIPTION": (
        "For partner organisations' systems. Authenticate every request with your organisation's key: "
        "`Authorization: Api-Key <key>`. You see your own residents and those a loan or referral shares "
        "with you; anything else is 404. Errors share one format (drf-standardized-errors)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our own static files, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Several vocabularies share field names ("kind", "status", "condition"): name each enum once.
        "OrganisationKindEnum": "inclusion.choices.OrganisationKind",
        "DeviceKindEnum": "devices.models.DeviceKind",
        "VoucherKindEnum": "devices.models.VoucherKind",
        "DeviceStatusEnum": "devices.models.DeviceStatus",
        "VoucherStatusEnum": "devices.models.VoucherStatus",
        "ConditionEnum": "devices.models.Condition",
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "inclusion.api.schema.postprocess",
    ],
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "inclusion.api.errors.PartnerExceptionHandler",
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "404", "405", "406", "413", "415", "429", "500"],
    "ERROR_SCHEMAS": {
        "413": "inclusion.api.schema.ErrorResponse413Serializer",
        "500": "inclusion.api.schema.ErrorResponse500Serializer",
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Reliability (inclusion/messaging): a task is acknowledged only when it has finished, and given back to
# the queue if its worker dies; each worker process takes one task at a time; no task runs for ever; and
# Redis redelivers an unacknowledged task only after the visibility timeout, longer than any task may run.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The schedule lives in the database (django-celery-beat), written by inclusion/messaging/schedule.py on
# migrate (every job, the reports' and referrals' included, is listed there); exactly one beat process runs it.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}

# Reminders and messages (inclusion/messaging). With no NOTIFY_API_KEY messages are recorded for the outbox
# page, not sent. Template ids: {"<kind>": {"sms": {"English": "<uuid>", ...}, "email": {...}}} as JSON.
NOTIFY_API_KEY = env("NOTIFY_API_KEY", default="")
NOTIFY_BASE_URL = env("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")
NOTIFY_TIMEOUT = env.float("NOTIFY_TIMEOUT", default=20)
NOTIFY_TEMPLATES = env.json("NOTIFY_TEMPLATES", default={})
# The bearer token Notify sends with its delivery receipts (set the same in Notify's callback settings).
NOTIFY_CALLBACK_TOKEN = env("NOTIFY_CALLBACK_TOKEN", default="")
MESSAGE_SEND_MAX_RETRIES = env.int("MESSAGE_SEND_MAX_RETRIES", default=8)
MESSAGE_RETRY_BASE_SECONDS = env.int("MESSAGE_RETRY_BASE_SECONDS", default=10)
MESSAGE_STUCK_AFTER_SECONDS = env.int("MESSAGE_STUCK_AFTER_SECONDS", default=10 * 60)
# Nothing to residents from 21:00 to 09:00 UK time, staff alerts on working days (off only for tests that run
# at whatever time of day the machine says).
MESSAGE_QUIET_HOURS = env.bool("MESSAGE_QUIET_HOURS", default=True)
MESSAGE_CATCH_UP_DAYS = env.int("MESSAGE_CATCH_UP_DAYS", default=2)
LOAN_CHECK_IN_DAYS = env.int("LOAN_CHECK_IN_DAYS", default=90)
RETURN_CHECK_FLAG_DAYS = env.int("RETURN_CHECK_FLAG_DAYS", default=7)
LOST_WRITE_OFF_DAYS = env.int("LOST_WRITE_OFF_DAYS", default=30)
VOUCHER_EXPIRY_WARNING_DAYS = env.int("VOUCHER_EXPIRY_WARNING_DAYS", default=14)
REFERRAL_CHASE_REFERRER_WORKING_DAYS = env.int("REFERRAL_CHASE_REFERRER_WORKING_DAYS", default=3)
REFERRAL_FOLLOW_UP_LATEST_WEEKS = env.int("REFERRAL_FOLLOW_UP_LATEST_WEEKS", default=12)

# Celery speaks "redis+socket://" for a Unix socket; redis-py (the cache) says "unix://".
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL.replace("redis+socket://", "unix://"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# inclusion/locks.py refuses a row lock taken out of the global order (a deadlock waiting to happen).
LOCK_ORDER_CHECKS = env.bool("LOCK_ORDER_CHECKS", default=DEBUG)

# Scheme settings
CONSENT_WORDING_VERSION = env("CONSENT_WORDING_VERSION", default="2026-01")
# Hourly limits per person (a member of staff or an API key), counted in Redis: see inclusion/ratelimit.py.
VOUCHER_IMPORTS_PER_HOUR = env.int("VOUCHER_IMPORTS_PER_HOUR", default=30)
DUPLICATE_CHECKS_PER_HOUR = env.int("DUPLICATE_CHECKS_PER_HOUR", default=40)
# Retention (inclusion/privacy/retention.py): a resident with no activity for this many years is listed for their
# organisation's coordinators to confirm for anonymising, or keep; a "keep" holds for RETENTION_KEEP_DAYS.
RETENTION_INACTIVE_YEARS = env.int("RETENTION_INACTIVE_YEARS", default=6)
RETENTION_KEEP_DAYS = env.int("RETENTION_KEEP_DAYS", default=365)

# Referrals (referrals/): a referral not answered within this many working days (Monday to Friday, not bank
# holidays in England and Wales) is flagged as overdue; webhooks to partners' systems (referrals/webhooks.py).
REFERRAL_RESPONSE_WORKING_DAYS = env.int("REFERRAL_RESPONSE_WORKING_DAYS", default=5)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_SECONDS = env.int("WEBHOOK_BACKOFF_SECONDS", default=30)  # doubled after each failed attempt
# Endpoints on loopback or private addresses are refused unless this is on (tests, a local partner sandbox).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_CA_BUNDLE = env("WEBHOOK_CA_BUNDLE", default=None)  # None: the usual public certificate authorities
