from django.apps import AppConfig


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
