"""How data vouchers plug into the core (inclusion/registry.py), called from devices/apps.py: their section of
the resident page, what they hold about a resident, their partner API routes, timeline event kinds and demo data."""

from inclusion import registry


def register() -> None:
    from . import demo, resident_sections
    from .api.urls import register as register_api_routes
    from .events import VoucherEventKind

    registry.register_resident_section(registry.ResidentSection(
        key="vouchers", title="Data vouchers", template="devices/vouchers/resident_section.html",
        context=resident_sections.vouchers_section, order=30,
    ))  # fmt: skip
    registry.register_resident_data(registry.ResidentData(
        name="vouchers", title="Data vouchers", export=resident_sections.vouchers_export,
        erase=resident_sections.vouchers_erase, order=30,
    ))  # fmt: skip
    registry.register_api_routes(register_api_routes)
    registry.register_event_kinds(VoucherEventKind)
    registry.register_demo(demo.demo_load)
    registry.register_demo(demo.history_load)  # a year of vouchers for the impact report
