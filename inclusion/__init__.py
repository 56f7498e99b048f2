"""The project (settings, URLs, Celery app) and the core domain: organisations, staff, residents, consent, timeline."""

from .celery import app as celery_app

__all__ = ("celery_app",)
