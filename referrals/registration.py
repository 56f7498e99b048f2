"""How referrals plug into the core (inclusion/registry.py): called from referrals/apps.py.

- the access rule's link: an open referral (sent, accepted or started) shares the resident with the organisation
  it was sent to, while the resident's consent to sharing with partners is current;
- the resident page's "Referrals" section, with the "Refer" button;
- the partner API's routes (/api/v1/referrals/, /api/v1/webhook-endpoints/, /api/v1/webhook-deliveries/);
- the timeline's referral kinds, what referrals hold about a resident (subject access), the demo referrals.
"""


def register() -> None:
    from inclusion import registry

    from . import resident_sections
    from .api.urls import register as register_api_routes
    from .demo import demo_load, history_load
    from .events import ReferralEventKind
    from .selectors import resident_ids_with_open_referrals

    registry.register_resident_link("open referrals", resident_ids_with_open_referrals)
    registry.register_resident_section(registry.ResidentSection(
        key="referrals", title="Referrals", template="referrals/includes/resident_referrals.html",
        context=resident_sections.referrals_section, actions=resident_sections.refer_action, order=40,
    ))  # fmt: skip
    registry.register_event_kinds(ReferralEventKind)
    registry.register_resident_data(registry.ResidentData(
        name="referrals", title="Referrals", export=resident_sections.referrals_export,
        erase=resident_sections.referrals_erase, order=40,
    ))  # fmt: skip
    registry.register_api_routes(register_api_routes)
    registry.register_demo(demo_load)
    from .region import build_referrals

    # After devices (20): the region's referrals come after its loans, as in life.
    registry.register_region_builder(registry.RegionBuilder(name="referrals", build=build_referrals, order=30))
    registry.register_demo(history_load)  # a year of referrals and outcomes for the impact report
