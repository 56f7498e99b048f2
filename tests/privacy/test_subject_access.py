"""Subject access (UK GDPR Art. 15): everything held on a resident across every app, as a readable page, a PDF
and JSON, for their owning organisation's coordinators only, each one produced on the access log."""

import io
import json

import pytest
from django.urls import reverse
from pypdf import PdfReader

from devices import services as device_services
from inclusion import choices, registry
from inclusion.privacy.models import AccessLogEntry
from inclusion.services import note_add

from ..devices.factories import DeviceFactory
from ..factories import MembershipFactory

pytestmark = pytest.mark.django_db

FORMS = ("subject-access", "subject-access-pdf", "subject-access-json")


@pytest.fixture
def held(actor_a, resident_a, org_a):
    note_add(actor=actor_a, resident=resident_a, body="Wants help with Universal Credit online")
    device_services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a, asset_tag="LAP-77"),
                                resident=resident_a, agreement_method="signed_paper")  # fmt: skip
    return resident_a


@pytest.fixture
def coordinator_client(client, org_a):
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    return client


def test_the_page_shows_every_registered_part_readably_and_is_logged(coordinator_client, held):
    page = coordinator_client.get(reverse("subject-access", args=[held.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    for data in registry.resident_data_providers():
        assert data.title in html, data.title
    assert "Margaret" in html and "Universal Credit online" in html and "LAP-77" in html
    assert AccessLogEntry.objects.filter(resident_id=held.pk, action="subject_access_exported").count() == 1


def test_the_pdf_reads_back_with_the_same_content(coordinator_client, held):
    response = coordinator_client.get(reverse("subject-access-pdf", args=[held.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Everything held on Margaret Oduya" in text and "Universal Credit online" in text and "LAP-77" in text
    assert "Device loans" in text and "Who has seen their record" in text


def test_the_json_has_every_part_by_name(coordinator_client, held):
    response = coordinator_client.get(reverse("subject-access-json", args=[held.pk]))
    assert response["Content-Type"].startswith("application/json") and "attachment" in response["Content-Disposition"]
    export = json.loads(response.content)
    assert set(export) == {data.name for data in registry.resident_data_providers()}
    assert export["details"]["first_name"] == "Margaret" and export["loans"][0]["device"] == "LAP-77"


def test_only_the_owners_coordinators_get_it(client, held, org_a, org_b, staff_a, sharing):
    client.force_login(staff_a.user)  # frontline at the owner
    assert [client.get(reverse(name, args=[held.pk])).status_code for name in FORMS] == [403, 403, 403]
    sharing.share(held, org_b)  # a linked partner's coordinator: as if there were no such resident
    client.force_login(MembershipFactory(organisation=org_b, role=choices.Role.COORDINATOR).user)
    assert [client.get(reverse(name, args=[held.pk])).status_code for name in FORMS] == [404, 404, 404]
    assert not AccessLogEntry.objects.filter(action="subject_access_exported").exists()


def test_the_readable_form_writes_dates_and_answers_as_people_do():
    from inclusion.privacy.selectors import _readable

    assert _readable("1970-07-13") == "13 July 1970"
    assert _readable("2026-03-05T09:30:00+00:00") == "5 March 2026, 09:30"
    assert (_readable(None), _readable(True), _readable([{"body": "Hi"}])) == ("None", "Yes", "Body: Hi")
