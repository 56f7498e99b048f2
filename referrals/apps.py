from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Service directory and referrals"

    def ready(self):
        """Plug both of the app's domains into the core (inclusion/registry.py): the service directory
        (referrals/directory/registration.py) and referrals between partners (referrals/registration.py)."""
        from .directory.registration import register as register_directory
        from .registration import register as register_referrals

        register_directory()
        register_referrals()
        from . import reminders  # noqa: F401  (registers its reminder sweeps with inclusion.messaging)
