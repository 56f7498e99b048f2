"""Importing services from a spreadsheet: every bad row named with its line and column, nothing imported
unless every row is good, the same rules as the form, and the upload → preview → confirm pages."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from inclusion import choices, spreadsheets
from inclusion.models import AuditEvent
from referrals.directory import services
from referrals.directory.imports import ServiceImportRefused, service_import_check
from referrals.directory.models import Service

from ...factories import MembershipFactory
from .factories import ServiceFactory

pytestmark = pytest.mark.django_db

HEADINGS = ["name", "description", "kind", "skill_areas", "delivery", "days", "opens_at", "closes_at", "free",
            "cost_description", "languages", "address_line_1", "town", "postcode"]  # fmt: skip
GOOD = [
    HEADINGS,
    ["Get online", "Email and video calls", "Digital skills course", "Communicating; being safe", "in person",
     "Tue; Thursday", "10am", "12:30", "yes", "", "English; Punjabi", "Snow Hill", "Wolverhampton", "wv1 3ax"],
    ["Banking online", "Paying bills safely", "skills_course", "Transacting", "Online", "WE", "", "", "no",
     "£2 a session", "", "", "", ""],
    ["Tablet lending", "Borrow a tablet", "Device lending point", "", "", "mon", "9:30", "5pm", "", "", "",
     "Stafford Road", "Wolverhampton", "WV10 6QR"],
]  # fmt: skip


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows) -> bytes:
    """The rows as an Excel workbook, as our own exports write one (a bold, frozen heading row)."""
    return spreadsheets.xlsx_bytes([spreadsheets.OutputSheet(title="Services", headings=rows[0], rows=rows[1:])])


def test_a_good_file_is_read_whole(org_a):
    check = service_import_check(organisation=org_a, filename="services.csv", content=csv_bytes(GOOD))
    assert check.ok and [row.line for row in check.rows] == [2, 3, 4]
    first = check.rows[0]
    assert first.details["skill_areas"] == ["communicating", "being_safe"] and first.details["days"] == ["TU", "TH"]
    assert first.details["closes_at"].minute == 30 and first.locations[0]["postcode"] == "wv1 3ax"
    assert check.rows[1].details["delivery"] == "online" and check.rows[1].locations == []
    assert check.rows[2].details["delivery"] == "in_person" and check.rows[2].details["free"] is True


def test_every_bad_row_is_named_with_its_line_and_column(org_a):
    ServiceFactory(organisation=org_a, name="Already ours")
    rows = [
        [*HEADINGS, "colour"],
        ["", "No name", "skills course", "", "online", "", "", "", "", "", "", "", "", "", ""],
        ["Cooking", "Not ours", "Cooking class", "", "online", "", "", "", "", "", "", "", "", "", ""],
        ["Late", "Backwards", "skills course", "Knitting", "online", "Someday", "2pm", "9am", "maybe", "", "", "", "",
         "", ""],
        ["In person with no place", "x", "skills course", "", "in person", "", "", "", "", "", "", "", "", "", ""],
        ["Bad postcode", "x", "skills course", "", "in person", "", "", "", "", "", "", "Snow Hill", "Wolverhampton",
         "WV99 ZZZ", ""],
        ["Charged", "x", "skills course", "", "online", "", "", "", "no", "", "", "", "", "", ""],
        ["Already ours", "x", "skills course", "", "online", "", "", "", "", "", "", "", "", "", ""],
        ["Twice", "x", "skills course", "", "online", "", "", "", "", "", "", "", "", "", ""],
        ["twice", "x", "skills course", "", "online", "", "", "", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    check = service_import_check(organisation=org_a, filename="bad.csv", content=csv_bytes(rows))
    found = {(p.line, p.column) for p in check.problems}
    assert (1, "colour") in found
    assert (2, "name") in found
    assert (3, "kind") in found
    assert {(4, "skill_areas"), (4, "days"), (4, "free")} <= found
    assert (5, "address_line_1") in found
    assert (6, "postcode") in found
    assert (7, "cost_description") in found
    assert (8, "name") in found and (10, "name") in found and (9, "name") not in found
    assert not check.ok


def test_an_xlsx_file_is_read_too(org_a):
    check = service_import_check(organisation=org_a, filename="services.xlsx", content=xlsx_bytes(GOOD))
    assert check.ok and len(check.rows) == 3


def test_import_adds_every_service_with_its_place_and_audit_or_none(actor_a, org_a):
    made = services.service_import(actor=actor_a, filename="services.csv", content=csv_bytes(GOOD))
    assert len(made) == 3 and Service.objects.filter(organisation=org_a).count() == 3
    get_online = Service.objects.get(name="Get online")
    assert get_online.locations.get().postcode == "WV1 3AX" and get_online.languages == ["English", "Punjabi"]
    assert AuditEvent.objects.filter(action="service.create").count() == 3
    # Importing the same file again: every name is taken now, so nothing more is added.
    with pytest.raises(ServiceImportRefused) as refused:
        services.service_import(actor=actor_a, filename="services.csv", content=csv_bytes(GOOD))
    assert len(refused.value.check.problems) == 3
    assert Service.objects.count() == 3


def _client(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_upload_preview_confirm_and_only_coordinators(org_a):
    coordinator = _client(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))
    frontline = _client(MembershipFactory(organisation=org_a, role=choices.Role.FRONTLINE))
    assert frontline.get("/directory/import/").status_code == 403
    assert coordinator.get("/directory/import/template.csv").content.decode().startswith("name,description,kind")
    upload = coordinator.get("/directory/import/").content.decode()
    assert "Only <strong>name</strong>, <strong>description</strong> and <strong>kind</strong> are required" in upload
    assert '<th scope="row" class="govuk-table__header">skill_areas</th>' in upload and 'type="file"' in upload

    preview = coordinator.post("/directory/import/", {"file": SimpleUploadedFile("services.csv", csv_bytes(GOOD))})
    text = preview.content.decode()
    assert "Check the services before you import them" in text and "Tablet lending" in text
    assert not Service.objects.exists()
    token = re.search(r'name="token" value="([^"]+)"', text).group(1)
    assert frontline.post("/directory/import/confirm/", {"token": token}).status_code == 403
    done = coordinator.post("/directory/import/confirm/", {"token": token})
    assert done.status_code == 302 and Service.objects.count() == 3
    again = coordinator.post("/directory/import/confirm/", {"token": token})  # a token works once
    assert again.status_code == 302 and Service.objects.count() == 3

    bad = coordinator.post("/directory/import/", {"file": SimpleUploadedFile("services.csv", csv_bytes(GOOD))})
    assert "Fix the problems in the file" in bad.content.decode() and 'name="token"' not in bad.content.decode()
    empty = coordinator.post("/directory/import/", {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4 nothing")})
    assert "There is a problem" in empty.content.decode()


def test_a_name_taken_between_preview_and_confirm_imports_nothing_and_says_why(org_a, actor_a):
    coordinator = _client(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))
    preview = coordinator.post("/directory/import/", {"file": SimpleUploadedFile("services.csv", csv_bytes(GOOD))})
    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode()).group(1)
    services.service_create(actor=actor_a, name="Tablet lending", description="Added meanwhile", kind="lending_point",
                            delivery="online")  # fmt: skip

    refused = coordinator.post("/directory/import/confirm/", {"token": token})
    text = refused.content.decode()
    assert refused.status_code == 200 and "Fix the problems in the file" in text
    assert "something had changed since: your organisation now has a service with one of its names." in text
    assert "Correct the 1 row below" in text and "Upload a corrected file" in text
    assert "Your organisation already has a service called Tablet lending" in text
    assert list(Service.objects.values_list("name", flat=True)) == ["Tablet lending"]
    assert AuditEvent.objects.filter(action="service.create").count() == 1


def test_a_file_over_the_size_limit_is_refused_on_the_upload_page(org_a):
    from referrals.directory import imports

    coordinator = _client(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))
    big = csv_bytes(GOOD) + b"\n" * imports.MAX_BYTES
    page = coordinator.post("/directory/import/", {"file": SimpleUploadedFile("big.csv", big)})
    assert "The selected file must be smaller than 2 MB" in page.content.decode()
    assert "Upload a file" in page.content.decode() and not Service.objects.exists()


def test_a_value_under_no_heading_and_a_nul_character_are_named_too(org_a):
    rows = [
        ["name", "description", "kind", "delivery", ""],
        ["Get\x00 online", "Email", "skills course", "online", "x"],
    ]
    check = service_import_check(organisation=org_a, filename="odd.csv", content=csv_bytes(rows))
    assert [(p.line, p.column) for p in check.problems] == [(2, ""), (2, "name")]
    assert check.problems[0].message == "Column 5 has a value but no heading" and not check.ok
