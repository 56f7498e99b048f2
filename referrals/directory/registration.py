"""How the service directory plugs into the core (inclusion/registry.py): called from referrals/apps.py.

Services hold no personal data, so the directory registers no resident link, section or resident data:
only its partner API routes and its demo services."""


def register() -> None:
    from inclusion import registry

    from . import demo
    from .api.urls import register as register_api_routes

    registry.register_api_routes(register_api_routes)
    registry.register_demo(demo.demo_load)
