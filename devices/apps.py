from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices, loans and vouchers"

    def ready(self):
        """Plug both of the app's domains into the core (inclusion/registry.py): devices and loans (here: the
        access rule's link, the resident page's section, the partner API's routes, timeline kinds, demo data)
        and data vouchers (devices/vouchers/registration.py)."""
        from inclusion import registry

        from . import demo, region, resident_sections
        from .api.urls import register as register_api_routes
        from .events import LoanEventKind
        from .selectors import resident_open_loan_ids
        from .vouchers.registration import register as register_vouchers

        # A loan shares the resident with the lending organisation while it is open.
        registry.register_resident_link("open loans", resident_open_loan_ids)
        registry.register_resident_section(registry.ResidentSection(
            key="loans", title="Device loans", template="devices/includes/resident_loans.html",
            context=resident_sections.loans_section, actions=resident_sections.lend_action, order=20,
        ))  # fmt: skip
        registry.register_referral_panel(registry.ReferralPanel(
            key="waiting list", template="devices/reservations/referral_panel.html",
            context=resident_sections.referral_waiting_list_panel, order=20,
        ))  # fmt: skip
        registry.register_api_routes(register_api_routes)
        registry.register_resident_data(registry.ResidentData(
            name="loans", title="Device loans", export=resident_sections.loans_export,
            erase=resident_sections.loans_erase, order=20,
        ))  # fmt: skip
        registry.register_resident_data(registry.ResidentData(
            name="reservations", title="Device waiting lists", export=resident_sections.reservations_export,
            erase=resident_sections.reservations_erase, order=21,
        ))  # fmt: skip
        registry.register_demo(demo.demo_load)
        registry.register_demo(demo.history_load)  # a year of loans for the impact report (after the stock)
        # Agreements, kits, open-ended loans and the waiting list: after the vouchers' and referrals' demo, used here.
        registry.register_demo(demo.lending_load, order=80)
        registry.register_region_builder(registry.RegionBuilder(name="devices", build=region.build_devices, order=20))
        registry.register_event_kinds(LoanEventKind)
        register_vouchers()
        from . import reminders  # noqa: F401  (registers its reminder sweeps with inclusion.messaging)
