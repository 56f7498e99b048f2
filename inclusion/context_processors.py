"""Template context every page needs: the current membership, the others the user may switch to, and what
its role may do (`can.see_residents`, `can.manage_stock`...: inclusion.access.ROLE_CAPABILITIES)."""

from .access import membership_capabilities


def membership(request):
    current = getattr(request, "membership", None)
    capabilities = membership_capabilities(current)
    return {
        "membership": current,
        "memberships": getattr(request, "memberships", []),
        "can": {capability.value: True for capability in capabilities},
    }
