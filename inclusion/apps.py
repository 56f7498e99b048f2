from django.apps import AppConfig


class InclusionConfig(AppConfig):
    name = "inclusion"
    verbose_name = "Digital inclusion core"

    def ready(self):
        """The core registers its own parts the way every app does (inclusion/registry.py)."""
        from . import registry, selectors
        from .choices import EventKind
        from .privacy import erasure

        registry.register_event_kinds(EventKind)
        # Their details are anonymised by erasure.resident_erase itself, before every registered erase runs.
        for order, (name, title, export, erase) in enumerate([
            ("details", "Their details", selectors.resident_export_details, None),
            ("consents", "Consent", selectors.resident_export_consents, erasure.consents_erase),
            ("timeline", "Case timeline", selectors.resident_export_timeline, erasure.timeline_erase),
        ]):  # fmt: skip
            registry.register_resident_data(
                registry.ResidentData(name=name, title=title, export=export, erase=erase, order=order)
            )
