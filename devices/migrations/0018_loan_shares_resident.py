"""A loan says whether it shares another organisation's resident with the lender (issue 12): the access rule's link
then reads only those loans from a partial index (765 for the largest partner of the region), where it read all of
the partner's open loans (9,000) and looked each resident up to find the few that are another's.

The database sets the flag when a loan is inserted, from the resident's owner, so the lend service, the demo, the
region builder and any SQL agree; a resident's owner never changes, but if it did the second trigger sets the flag
of their loans again. Existing loans are flagged by one set-based UPDATE. The indexes are built and dropped without
locking the table (a million loans in the region).
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION devices_loan_shares_resident_set() RETURNS trigger AS $$
BEGIN
    NEW.shares_resident := COALESCE(
        (SELECT owning_organisation_id <> NEW.organisation_id FROM inclusion_resident WHERE id = NEW.resident_id),
        false
    );
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER loan_shares_resident_set
    BEFORE INSERT OR UPDATE OF resident_id, organisation_id, shares_resident ON devices_loan
    FOR EACH ROW EXECUTE FUNCTION devices_loan_shares_resident_set();

CREATE OR REPLACE FUNCTION devices_resident_owner_reflags_loans() RETURNS trigger AS $$
BEGIN
    UPDATE devices_loan SET shares_resident = (organisation_id <> NEW.owning_organisation_id)
     WHERE resident_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER resident_owner_reflags_loans
    AFTER UPDATE OF owning_organisation_id ON inclusion_resident
    FOR EACH ROW WHEN (OLD.owning_organisation_id IS DISTINCT FROM NEW.owning_organisation_id)
    EXECUTE FUNCTION devices_resident_owner_reflags_loans();
"""

DROP = """
DROP TRIGGER IF EXISTS resident_owner_reflags_loans ON inclusion_resident;
DROP FUNCTION IF EXISTS devices_resident_owner_reflags_loans();
DROP TRIGGER IF EXISTS loan_shares_resident_set ON devices_loan;
DROP FUNCTION IF EXISTS devices_loan_shares_resident_set();
"""

# Set-based: one statement for every loan (the trigger, already in place, flags any loan added meanwhile).
BACKFILL = """
UPDATE devices_loan AS loan SET shares_resident = true
  FROM inclusion_resident AS resident
 WHERE resident.id = loan.resident_id AND resident.owning_organisation_id <> loan.organisation_id
   AND NOT loan.shares_resident;
"""


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("devices", "0017_kit_voucher_line"), ("inclusion", "0001_initial")]
    operations = [
        migrations.AddField(
            model_name="loan",
            name="shares_resident",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunSQL(CREATE, DROP),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        AddIndexConcurrently(
            model_name="loan",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True), ("shares_resident", True)),
                fields=["organisation", "resident"],
                name="open_shared_loan_org_resident",
            ),
        ),
        RemoveIndexConcurrently(model_name="loan", name="open_loan_org_resident"),
    ]
