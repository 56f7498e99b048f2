"""Demo referrals (manage.py load_demo): filled in with the demo work."""


def demo_load(organisations: dict) -> None:
    return None
