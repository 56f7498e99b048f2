"""Revoke an organisation's API key by its prefix (the part before the dot)."""

from django.core.management.base import BaseCommand, CommandError

from inclusion.models import OrganisationAPIKey
from inclusion.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key, given its prefix. Requests with it get 401 from then on."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        try:
            api_key = OrganisationAPIKey.objects.get(prefix=prefix)
        except OrganisationAPIKey.DoesNotExist:
            raise CommandError(f"No API key with prefix '{prefix}'") from None
        api_key_revoke(api_key=api_key)
        self.stdout.write(f"Revoked '{api_key.name}' for {api_key.organisation}.")
