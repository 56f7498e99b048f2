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
        from . import selectors, services

        registry.register_resident_data(registry.ResidentData(
            name="messages", title="Reminders and messages", export=selectors.resident_export_messages,
            erase=services.resident_erase_messages, order=60,
        ))  # fmt: skip
        from .region import build_messages

        registry.register_region_builder(registry.RegionBuilder(name="messages", build=build_messages, order=40))
        # The periodic schedule lives in the database: written after every migrate.
        post_migrate.connect(_install_schedule, sender=self, dispatch_uid="messaging-schedule")


def _install_schedule(sender, **kwargs):
    """The scheme's default reminder stages and the periodic schedule, written after every migrate."""
    from django.db import connection

    from .schedule import schedule_install
    from .stages import default_stages_install

    if "messaging_stage" not in connection.introspection.table_names():
        return  # migrated back to before messaging existed
    default_stages_install()
    schedule_install()
