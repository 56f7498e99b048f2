from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices, loans and vouchers"

    def ready(self):
        from inclusion import registry

        from .api.urls import register as register_api_routes
        from .selectors import resident_open_loan_ids

        # A loan shares the resident with the lending organisation while it is open.
        registry.register_resident_link("open loans", resident_open_loan_ids)
        registry.register_api_routes(register_api_routes)
