"""Who is acting: a member of staff through the web, or a partner's system through an API key."""

from dataclasses import dataclass

from .models import Membership, Organisation, OrganisationAPIKey, User


@dataclass(frozen=True)
class Actor:
    organisation: Organisation
    user: User | None = None
    api_key: OrganisationAPIKey | None = None

    @classmethod
    def for_membership(cls, membership: Membership) -> "Actor":
        return cls(organisation=membership.organisation, user=membership.user)

    @classmethod
    def for_api_key(cls, api_key: OrganisationAPIKey) -> "Actor":
        return cls(organisation=api_key.organisation, api_key=api_key)

    def __str__(self):
        return str(self.user) if self.user else f"API key {self.api_key.name}"
