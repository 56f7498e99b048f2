from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "inclusion.privacy"
    label = "privacy"
    verbose_name = "Privacy: access log, subject access, erasure and retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """The access log is part of what is held about a resident (subject access), registered the way every
        app registers its data (inclusion/registry.py). It is never erased: it holds ids, not personal data."""
        from inclusion import registry

        from .demo import demo_load
        from .selectors import access_log_export

        registry.register_resident_data(
            registry.ResidentData(name="access_log", title="Who has seen their record", export=access_log_export,
                                  order=90)
        )  # fmt: skip
        # Long-inactive residents for the retention review: after every app's, so none lends to them or refers them.
        registry.register_demo(demo_load, order=90)
