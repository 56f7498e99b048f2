from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class ReportsConfig(AppConfig):
    name = "inclusion.reports"
    label = "reports"
    verbose_name = "Monthly impact reports"

    def ready(self):
        """The core's own section (reach), then each app's: every installed app's `reports.py` registers its
        sections with inclusion/registry.py when imported here (as the admin finds `admin.py`)."""
        from .. import registry
        from . import demo
        from .api.urls import register as register_api_routes
        from .reach import SECTION

        registry.register_report_section(SECTION)
        registry.register_api_routes(register_api_routes)
        registry.register_demo(demo.demo_load)  # the year's residents: before the apps' loaders, which use them
        autodiscover_modules("reports")
        # The triggers that keep closed months' stored figures honest follow the sections' `reads`.
        from .rollups import install_triggers

        post_migrate.connect(install_triggers, sender=self, dispatch_uid="report-rollup-triggers")
