from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices, loans and vouchers"

    def ready(self):
        """Plug into the core (inclusion/registry.py): the access rule's link, the resident page's sections,
        the partner API's routes."""
        from inclusion import registry

        from . import demo, region, resident_sections
        from .api.urls import register as register_api_routes
        from .events import LoanEventKind, VoucherEventKind
        from .selectors import resident_open_loan_ids

        # A loan shares the resident with the lending organisation while it is open.
        registry.register_resident_link("open loans", resident_open_loan_ids)
        registry.register_resident_section(registry.ResidentSection(
            key="loans", title="Device loans", template="devices/includes/resident_loans.html",
            context=resident_sections.loans_section, actions=resident_sections.lend_action, order=20,
        ))  # fmt: skip
        registry.register_resident_section(registry.ResidentSection(
            key="vouchers", title="Data vouchers", template="devices/voucher_resident_section.html",
            context=resident_sections.vouchers_section, order=30,
        ))  # fmt: skip
        registry.register_api_routes(register_api_routes)
        registry.register_resident_data(
            registry.ResidentData(name="loans", title="Device loans", export=resident_sections.loans_export, order=20)
        )
        registry.register_resident_data(
            registry.ResidentData(
                name="vouchers", title="Data vouchers", export=resident_sections.vouchers_export, order=30
            )
        )
        registry.register_demo(demo.demo_load)
        registry.register_region_builder(registry.RegionBuilder(name="devices", build=region.build_devices, order=20))
        registry.register_event_kinds(LoanEventKind)
        registry.register_event_kinds(VoucherEventKind)
