"""How referrals plug into the core (inclusion/registry.py): called from referrals/apps.py."""


def register() -> None:
    pass
