"""Create an API key for a partner organisation and print it once: it is stored only as a hash."""

from django.core.management.base import BaseCommand, CommandError

from inclusion.models import Organisation
from inclusion.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an organisation (by slug). The key is printed once and never again."

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="the organisation's slug")
        parser.add_argument("--name", required=True, help="what the key is for, e.g. 'CRM integration'")

    def handle(self, *args, organisation, name, **options):
        try:
            org = Organisation.objects.get(slug=organisation, active=True)
        except Organisation.DoesNotExist:
            raise CommandError(f"No active organisation with slug '{organisation}'") from None
        api_key, key = api_key_create(organisation=org, name=name)
        self.stdout.write(f"API key '{api_key.name}' for {org} (prefix {api_key.prefix}).")
        self.stdout.write("Copy it now; it cannot be shown again:")
        self.stdout.write(key)
