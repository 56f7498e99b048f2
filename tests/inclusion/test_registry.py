"""Apps plug into the core through inclusion.registry; the core imports no app."""

import ast
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from devices.vouchers.services import voucher_issue
from inclusion import registry
from inclusion.selectors import resident_subject_access

from ..devices.factories import DeviceFactory
from ..devices.vouchers.factories import VoucherFactory

pytestmark = pytest.mark.django_db
APPS = ("devices", "referrals")


def test_the_core_imports_no_app():
    offenders = []
    for path in (Path(settings.BASE_DIR) / "inclusion").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                alias.name for alias in getattr(node, "names", [])] if isinstance(node, ast.Import) else []  # fmt: skip
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] in APPS]
    assert offenders == []


def test_no_module_imports_a_private_name_of_another():
    offenders = []
    for path in Path(settings.BASE_DIR).glob("*/**/*.py"):
        if {".venv", "node_modules", "migrations", "tests"} & set(path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                offenders += [f"{path}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert offenders == []


def test_every_timeline_kind_written_has_a_registered_label():
    labels = dict(registry.event_kind_choices())
    assert {"note", "registered", "loan_started", "voucher_issued"} <= set(labels)
    assert registry.event_kind_label("loan_started") == "Device lent"


def test_a_kind_registered_twice_with_another_label_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        registry.register_event_kinds({"loan_started": "Something else"})


def test_the_resident_page_shows_the_registered_sections_in_order(client_a, resident_a):
    body = client_a.get(reverse("resident-detail", args=[resident_a.pk])).content.decode()
    assert body.index('id="devices"') < body.index('id="vouchers"')
    assert "Lend a device" in body


def test_a_viewer_gets_no_app_section(resident_a, org_a, client):
    from ..factories import MembershipFactory

    client.force_login(MembershipFactory(organisation=org_a, role="viewer").user)
    assert client.get(reverse("resident-detail", args=[resident_a.pk])).status_code == 403


def test_subject_access_gathers_every_apps_part_with_codes_masked(actor_a, org_a, resident_a):
    from devices.services import loan_create

    loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a, asset_tag="SAR-001"),
                resident=resident_a, agreement_method="signed_paper")  # fmt: skip
    VoucherFactory(batch__organisation=org_a, code="SECRETCODE-9876")
    voucher_issue(actor=actor_a, resident=resident_a, kind="data_code")
    from devices.reservations.services import reservation_create

    reservation_create(actor=actor_a, resident=resident_a, kind="tablet", note="For a course")
    data = resident_subject_access(resident=resident_a)
    assert list(data) == [
        "details",
        "consents",
        "timeline",
        "loans",
        "reservations",
        "vouchers",
        "referrals",
        "messages",
        "field_history",
        "access_log",
    ]
    assert data["reservations"][0]["note"] == "For a course"
    assert data["details"]["last_name"] == "Oduya" and data["loans"][0]["device"] == "SAR-001"
    assert data["vouchers"][0]["voucher"] == "••••9876"
    text = json.dumps(data)
    assert "SECRETCODE" not in text
