from django.apps import AppConfig


class InclusionConfig(AppConfig):
    name = "inclusion"
    verbose_name = "Digital inclusion core"

    def ready(self):
        """The core registers its own parts the way every app does (inclusion/registry.py)."""
        from . import audit, registry, selectors
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
        # Field history (inclusion/audit.py): the resident page's "Changes to their details", subject access, and
        # who ran each Celery task's changes. Erasure calls audit.history_erase_for_resident itself.
        registry.register_resident_section(registry.ResidentSection(
            key="field_history", title="Changes to their details", template="inclusion/includes/field_history.html",
            context=audit.resident_history_section, order=90,
        ))  # fmt: skip
        registry.register_resident_data(registry.ResidentData(
            name="field_history", title="Changes to their records", export=audit.history_export_for_resident, order=80,
        ))  # fmt: skip
        audit.history_tasks_label()
