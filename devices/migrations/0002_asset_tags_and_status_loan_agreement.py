"""Database-held rules the ORM cannot declare:

- a sequence that numbers generated asset tags (DI-000001, ...), safe under concurrency;
- a deferred constraint trigger that refuses, at commit, any device whose status and loans disagree:
  status 'on_loan' exactly when the device has an open loan.
"""

from django.db import migrations

CREATE = """
CREATE SEQUENCE IF NOT EXISTS devices_asset_tag_seq;

CREATE OR REPLACE FUNCTION devices_check_status_and_loan() RETURNS trigger AS $$
DECLARE
    checked_device bigint;
    device_status text;
    open_loans integer;
BEGIN
    IF TG_TABLE_NAME = 'devices_loan' THEN
        checked_device := COALESCE(NEW.device_id, OLD.device_id);
    ELSE
        checked_device := NEW.id;
    END IF;
    SELECT status INTO device_status FROM devices_device WHERE id = checked_device;
    IF device_status IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO open_loans FROM devices_loan WHERE device_id = checked_device AND closed_at IS NULL;
    IF (device_status = 'on_loan') <> (open_loans = 1) THEN
        RAISE EXCEPTION 'device % has status % but % open loan(s)', checked_device, device_status, open_loans
            USING ERRCODE = 'check_violation', CONSTRAINT = 'device_status_agrees_with_loans';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER device_status_agrees_with_loans
    AFTER INSERT OR UPDATE OF status ON devices_device
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION devices_check_status_and_loan();

CREATE CONSTRAINT TRIGGER loan_agrees_with_device_status
    AFTER INSERT OR UPDATE OF closed_at, device_id ON devices_loan
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION devices_check_status_and_loan();
"""

DROP = """
DROP TRIGGER IF EXISTS loan_agrees_with_device_status ON devices_loan;
DROP TRIGGER IF EXISTS device_status_agrees_with_loans ON devices_device;
DROP FUNCTION IF EXISTS devices_check_status_and_loan();
DROP SEQUENCE IF EXISTS devices_asset_tag_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("devices", "0001_initial")]
    operations = [migrations.RunSQL(CREATE, DROP)]
