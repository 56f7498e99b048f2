"""WSGI entry point (gunicorn inclusion.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inclusion.settings.production")
application = get_wsgi_application()
