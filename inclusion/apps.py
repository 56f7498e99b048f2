from django.apps import AppConfig


class InclusionConfig(AppConfig):
    name = "inclusion"
    verbose_name = "Digital inclusion core"

    def ready(self):
        """The core registers its own parts the way every app does (inclusion/registry.py)."""
        from . import registry, selectors
        from .choices import EventKind

        registry.register_event_kinds(EventKind)
        for order, (name, title, export) in enumerate([
            ("details", "Their details", selectors.resident_export_details),
            ("consents", "Consent", selectors.resident_export_consents),
            ("timeline", "Case timeline", selectors.resident_export_timeline),
        ]):  # fmt: skip
            registry.register_resident_data(registry.ResidentData(name=name, title=title, export=export, order=order))
