"""Template context every page needs: the current membership and the others the user may switch to."""

from .access import membership_can_see_residents


def membership(request):
    current = getattr(request, "membership", None)
    return {
        "membership": current,
        "memberships": getattr(request, "memberships", []),
        "can_see_residents": membership_can_see_residents(current),
    }
