"""The loans page's overdue and due-this-week sections show the first few, with a link to all of them: a large
partner has thousands of loans overdue (issue 12)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from devices import services
from devices.views import loans as views

from ..factories import ResidentFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db


def test_overdue_section_shows_the_first_and_links_to_all(client_a, actor_a, org_a, monkeypatch):
    monkeypatch.setattr(views, "SECTION_ROWS", 2)
    today = timezone.localdate()
    for days in (3, 2, 1):
        services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a),
                             resident=ResidentFactory(owning_organisation=org_a), agreement_method="signed_paper",
                             started_on=today - timedelta(days=20), due_on=today - timedelta(days=days))  # fmt: skip
    page = client_a.get("/devices/loans/").content.decode()
    assert page.count("days overdue") + page.count("day overdue") == 2
    assert "See all 3 overdue loans" in page and "/devices/loans/?status=overdue" in page
    everything = client_a.get("/devices/loans/?status=overdue").content.decode()
    assert everything.count("days overdue") + everything.count("day overdue") == 3
    assert "See all" not in everything
