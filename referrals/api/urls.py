"""Partner API routes of referrals, registered on the core router (inclusion/api/urls.py)."""


def register(router) -> None:
    """Called by inclusion/api/urls.py with its router."""
