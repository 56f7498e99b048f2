from django.apps import AppConfig


class InclusionConfig(AppConfig):
    name = "inclusion"
    verbose_name = "Digital inclusion core"

    def ready(self):
        from . import registry
        from .choices import EventKind

        registry.register_event_kinds(EventKind)
