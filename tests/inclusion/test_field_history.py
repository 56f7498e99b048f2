"""Field history by database triggers (inclusion/audit.py, django-pghistory): every insert, update and delete of
the tracked models is kept, bulk updates and raw SQL included, with who made it (the member of staff, the API
key, the task or command); the resident page, subject access and the admin show it; erasure blanks it."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from devices.models import Loan
from devices.reminders import vouchers_expire_unissued
from devices.services import loan_create, loan_return
from devices.vouchers.models import Voucher
from inclusion import audit
from inclusion.models import Consent, Membership, OrganisationAPIKey, Resident
from inclusion.selectors import resident_subject_access
from inclusion.services import api_key_create, consent_record, consent_withdraw, resident_update
from referrals.models import Referral, Service
from tests.devices.factories import DeviceFactory
from tests.devices.vouchers.factories import VoucherFactory
from tests.referrals.factories import ServiceFactory, refer, sharing_consent

from ..factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def as_staff(actor):
    """The context the web's middleware gives a request of this member of staff, for services called directly."""
    return audit.history_label(user=actor.user.pk, organisation=actor.organisation.pk)


TRACKED = [Resident, Consent, Loan, Voucher, Referral, Service, Membership, OrganisationAPIKey]


def test_every_tracked_table_has_insert_update_and_delete_triggers_and_an_append_only_history():
    """Installed by the apps' migrations (the test database is built by `migrate`), not by the Python models."""
    from devices.models import Device

    for model in [*TRACKED, Device]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text"
                " IN (%s, %s)",
                [model._meta.db_table, audit.history_model_for(model)._meta.db_table],
            )
            triggers = {
                (table, name.split("_")[1]) for table, name in cursor.fetchall() if name.startswith("pgtrigger_")
            }
        table = model._meta.db_table
        assert {(table, "insert"), (table, "update"), (table, "delete")} <= triggers, table
        assert (audit.history_model_for(model)._meta.db_table, "append") in triggers, table


def test_a_save_through_the_service_keeps_the_value_before_and_after(actor_a, resident_a):
    resident_update(actor=actor_a, resident=resident_a, last_name="Oduya-Smith")
    [change, *_] = audit.history_changes(Resident, [resident_a.pk])
    assert change.kind == "update"
    assert [(f.name, f.before, f.after) for f in change.fields] == [("last_name", "Oduya", "Oduya-Smith")]


def test_a_bulk_queryset_update_is_caught(resident_a, org_a):
    other = Resident.objects.create(owning_organisation=org_a, first_name="Ada", last_name="Byron", age_band="25_34")
    assert Resident.objects.filter(pk__in=[resident_a.pk, other.pk]).update(town="Bilston") == 2
    for resident in (resident_a, other):
        [change, *_] = audit.history_changes(Resident, [resident.pk])
        assert [(f.name, f.after) for f in change.fields] == [("town", "Bilston")]


def test_a_raw_sql_update_is_caught_and_said_to_have_no_known_author(resident_a):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inclusion_resident SET postcode = 'WV2 2BB' WHERE id = %s", [resident_a.pk])
    [change, *_] = audit.history_changes(Resident, [resident_a.pk])
    assert [(f.name, f.before, f.after) for f in change.fields] == [("postcode", "WV1 1AA", "WV2 2BB")]
    assert change.who == audit.NOT_RECORDED


def test_an_update_that_changes_nothing_tracked_writes_no_history(resident_a):
    before = resident_a.field_history.count()
    Resident.objects.filter(pk=resident_a.pk).update(updated_at=timezone.now())  # not a tracked field
    resident_a.save()
    assert resident_a.field_history.count() == before


def test_a_delete_keeps_the_row_as_it_was(actor_a, resident_a):
    membership = MembershipFactory(organisation=actor_a.organisation, role="frontline")
    pk = membership.pk
    membership.delete()
    [change, *_] = audit.history_changes(Membership, [pk])
    assert change.kind == "delete"
    assert {f.name: f.before for f in change.fields}["role"] == "Frontline"


def test_the_history_tables_refuse_update_and_delete(actor_a, resident_a):
    resident_update(actor=actor_a, resident=resident_a, town="Bilston")
    for statement in ("UPDATE inclusion_residenthistory SET town = 'x'", "DELETE FROM inclusion_residenthistory"):
        with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
    assert resident_a.field_history.filter(town="Bilston").exists()


# Who made the change


def test_a_web_change_is_recorded_as_the_member_of_staff_and_their_organisation(client_a, staff_a, resident_a):
    from .test_views import VALID_REGISTRATION

    data = {**VALID_REGISTRATION, "first_name": "Margaret", "last_name": "Oduya", "town": "Tettenhall"}
    assert client_a.post(reverse("resident-edit", args=[resident_a.pk]), data).status_code == 302
    [change, *_] = audit.history_changes(Resident, [resident_a.pk])
    assert "Tettenhall" in [f.after for f in change.fields]
    assert (change.who, change.organisation) == (staff_a.user.full_name, "Alpha Council")
    assert change.context["user"] == staff_a.user.pk
    assert change.context["url"] == reverse("resident-edit", args=[resident_a.pk])


def test_an_api_change_is_recorded_as_the_key(org_a, resident_a):
    from rest_framework.test import APIClient

    row, key = api_key_create(organisation=org_a, name="Alpha CRM")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.patch(f"/api/v1/residents/{resident_a.pk}/", {"town": "Wednesfield"}, format="json").status_code == 200
    [change, *_] = audit.history_changes(Resident, [resident_a.pk])
    assert [(f.name, f.after) for f in change.fields] == [("town", "Wednesfield")]
    assert (change.who, change.organisation) == ("API: Alpha CRM", "Alpha Council")
    assert change.context["api_key"] == row.pk and change.context["user"] is None


def test_a_celery_task_labels_its_changes(org_a):
    expired = VoucherFactory(batch__organisation=org_a, batch__expires_on=timezone.localdate() - timedelta(days=1))
    vouchers_expire_unissued.apply()
    [change, *_] = audit.history_changes(Voucher, [expired.pk])
    assert [(f.name, f.after) for f in change.fields if f.name == "status"] == [("status", "Expired")]
    assert change.who == "System (task devices.vouchers_expire_unissued)"
    # A bearer secret, and masked everywhere else: never copied into history.
    assert not {"code", "iccid", "sim_serial"} & {f.name for f in change.fields}


def test_a_management_command_labels_its_changes(org_a, monkeypatch, capsys):
    import manage

    row, _ = api_key_create(organisation=org_a, name="Old CRM")
    monkeypatch.setattr("sys.argv", ["manage.py", "revoke_api_key", row.prefix])
    # A command closes the database connections when it ends: that would end this test's transaction.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    manage.main()
    [change, *_] = audit.history_changes(OrganisationAPIKey, [row.pk])
    assert [(f.name, f.after) for f in change.fields] == [("revoked", "Yes")]
    assert change.who == "System (manage.py revoke_api_key)"
    assert "hashed_key" not in [f.name for f in audit.history_changes(OrganisationAPIKey, [row.pk])[-1].fields]


def test_a_server_command_leaves_each_request_its_own_context(org_a):
    """Were runserver one context, a server without threads would record every request as the last one's."""
    import pghistory.runtime

    with audit.history_command_label(["manage.py", "runserver", "--nothreading"]):
        assert not hasattr(pghistory.runtime._tracker, "value")
    with audit.history_command_label(["manage.py", "load_demo"]):
        assert pghistory.runtime._tracker.value.metadata == {"command": "load_demo"}


# Where it is shown


def test_the_owner_sees_who_changed_what_on_the_residents_page(client_a, actor_a, staff_a, resident_a):
    resident_update(actor=actor_a, resident=resident_a, town="Bilston", gender="woman")
    body = client_a.get(reverse("resident-detail", args=[resident_a.pk])).content.decode()
    assert "Changes to their details" in body and staff_a.user.full_name in body
    assert "Bilston" in body and "Town" in body and "Gender" in body and "Woman" in body


def test_a_linked_organisation_sees_the_changes_to_fields_it_may_read_only(client_b, actor_a, resident_a, org_b,
                                                                            sharing):  # fmt: skip
    resident_update(actor=actor_a, resident=resident_a, town="Bilston")
    resident_update(actor=actor_a, resident=resident_a, gender="woman", ethnicity="white_irish")
    sharing.share(resident_a, org_b)
    changes = audit.resident_field_history(resident=resident_a, organisation=org_b)
    assert [[f.name for f in change.fields] for change in changes if change.kind == "update"] == [["town"]]
    body = client_b.get(reverse("resident-detail", args=[resident_a.pk])).content.decode()
    assert "Bilston" in body and "Gender" not in body and "White: Irish" not in body


def test_subject_access_has_the_history_of_their_record_consent_loans_and_referrals(actor_a, actor_b, resident_a):
    with as_staff(actor_a):
        resident_update(actor=actor_a, resident=resident_a, town="Bilston")
    loan = loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=actor_a.organisation),
                       resident=resident_a, agreement_method="signed_paper")  # fmt: skip
    sharing_consent(resident_a)
    refer(actor_a, resident_a, ServiceFactory(organisation=actor_b.organisation))
    exported = resident_subject_access(resident=resident_a)["field_history"]
    records = {row["record"] for row in exported}
    assert {"resident", "consent", "loan", "referral"} <= records
    town = [row for row in exported if row["record"] == "resident" and row["change"] == "update"]
    assert town[-1]["fields"] == [{"field": "Town", "before": resident_a.town or "", "after": "Bilston"}]
    assert town[-1]["by"] == actor_a.user.full_name and town[-1]["organisation"] == "Alpha Council"
    assert any(row["record_id"] == str(loan.pk) for row in exported)


def test_the_admin_shows_a_residents_field_history_and_every_history_table(client, actor_a, resident_a):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    resident_update(actor=actor_a, resident=resident_a, town="Bilston")
    page = client.get(reverse("admin:inclusion_resident_change", args=[resident_a.pk]))
    assert page.status_code == 200 and "Field history" in page.content.decode()
    assert "Town: (blank) → Bilston" in page.content.decode() or "→ Bilston" in page.content.decode()
    for tracked in audit.tracked_models():
        meta = tracked.history_model._meta
        assert client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).status_code == 200


# Erasure


def test_erasure_blanks_personal_data_in_the_history_of_the_resident_and_their_records(actor_a, actor_b, resident_a,
                                                                                        org_a):  # fmt: skip
    other = Resident.objects.create(owning_organisation=org_a, first_name="Ada", last_name="Byron", age_band="25_34")
    with as_staff(actor_a):
        resident_update(actor=actor_a, resident=resident_a, town="Bilston", accessibility_needs="Uses a screen reader")
    consent = consent_record(actor=actor_a, resident=resident_a, purpose="contact_sms", channel="paper")
    consent_withdraw(actor=actor_a, consent=consent, channel="phone", note="Her son Tom said she moved away")
    loan = loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                       agreement_method="verbal_witnessed", witness_name="Tom Oduya")  # fmt: skip
    loan_return(actor=actor_a, loan=loan, returned_on=timezone.localdate(), condition="good",
                notes="Left at her flat on Oak Street")  # fmt: skip
    sharing_consent(resident_a)
    refer(actor_a, resident_a, ServiceFactory(organisation=actor_b.organisation), reason="Recently bereaved")

    counts = audit.history_erase_for_resident(resident_a)

    assert counts["inclusion_residenthistory"] >= 2 and counts["devices_loanhistory"] >= 2
    rows = resident_a.field_history.all()
    assert {(row.first_name, row.last_name, row.town, row.postcode, row.date_of_birth, row.accessibility_needs)
            for row in rows} == {("", "", "", "", None, "")}  # fmt: skip
    assert {row.local_authority for row in rows} == {resident_a.local_authority}  # what reports need stays
    history = audit.history_model_for
    assert set(history(Consent).objects.filter(resident=resident_a).values_list("withdrawal_note", flat=True)) == {""}
    assert set(history(Loan).objects.filter(resident=resident_a).values_list("witness_name", "closing_notes")) == {
        ("", "")}  # fmt: skip
    assert set(history(Loan).objects.filter(resident=resident_a).values_list("outcome", flat=True)) >= {"returned"}
    assert set(history(Referral).objects.filter(resident=resident_a).values_list("reason", flat=True)) == {""}
    # The rows and who made each change stay; another resident's history is untouched.
    assert resident_a.field_history.filter(pgh_label="update", pgh_context__metadata__user=actor_a.user.pk).exists()
    assert other.field_history.get().first_name == "Ada"


def test_erasure_is_the_only_way_to_change_history_rows(actor_a, resident_a):
    audit.history_erase_for_resident(resident_a)
    with pytest.raises(DatabaseError), transaction.atomic():
        Resident.field_history.rel.related_model.objects.filter(pgh_obj_id=resident_a.pk).update(first_name="Back")
