"""The Django admin of the service directory: administrators find a service and its places, and change nothing
(services change only through referrals/directory/services.py, which checks the rules and writes the audit)."""

import pytest
from django.urls import reverse

from inclusion.models import User
from referrals.directory.models import Service

from ..factories import ServiceLocationFactory

pytestmark = pytest.mark.django_db


def test_a_service_and_its_places_are_shown_and_cannot_be_changed(client, org_a):
    client.force_login(User.objects.create_superuser("admin@example.org", "correct-horse-battery", full_name="Ada"))
    place = ServiceLocationFactory(service__organisation=org_a, service__name="Tablet lending",
                                   address_line_1="Stafford Road")  # fmt: skip
    service = place.service
    listing = client.get(reverse("admin:referrals_service_changelist"), {"q": "tablet"})
    assert listing.status_code == 200 and "Tablet lending" in listing.content.decode()
    page = client.get(reverse("admin:referrals_service_change", args=[service.pk])).content.decode()
    assert "Stafford Road" in page and 'name="name"' not in page
    assert (
        client.post(reverse("admin:referrals_service_change", args=[service.pk]), {"name": "Renamed"}).status_code
        == 403
    )
    assert client.get(reverse("admin:referrals_service_add")).status_code == 403
    assert client.post(reverse("admin:referrals_service_delete", args=[service.pk]), {"post": "yes"}).status_code == 403
    assert Service.objects.get().name == "Tablet lending"
