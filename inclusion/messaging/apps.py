from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MessagingConfig(AppConfig):
    name = "inclusion.messaging"
    label = "messaging"
    verbose_name = "Reminders and messages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Register the timeline kinds messages write (inclusion/registry.py), like every app."""
        from inclusion import registry

        from .events import MessageEventKind

        registry.register_event_kinds(MessageEventKind)
        # The periodic schedule lives in the database: written after every migrate.
        post_migrate.connect(_install_schedule, sender=self, dispatch_uid="messaging-schedule")


def _install_schedule(sender, **kwargs):
    from .schedule import schedule_install

    schedule_install()
