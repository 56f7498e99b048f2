# A device added to stock (status received, ready...) cannot have an open loan yet: a loan opened for it later in
# the same transaction is checked by the loan's own trigger. So the deferred check runs on insert only for a
# device inserted as on loan, and a 5,000-device import no longer queues 5,000 checks for its commit.

from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS device_status_agrees_with_loans ON devices_device;
CREATE CONSTRAINT TRIGGER device_status_agrees_with_loans
    AFTER UPDATE OF status ON devices_device
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION devices_check_status_and_loan();
CREATE CONSTRAINT TRIGGER device_added_on_loan_agrees_with_loans
    AFTER INSERT ON devices_device
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'on_loan')
    EXECUTE FUNCTION devices_check_status_and_loan();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS device_added_on_loan_agrees_with_loans ON devices_device;
DROP TRIGGER IF EXISTS device_status_agrees_with_loans ON devices_device;
CREATE CONSTRAINT TRIGGER device_status_agrees_with_loans
    AFTER INSERT OR UPDATE OF status ON devices_device
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION devices_check_status_and_loan();
"""


class Migration(migrations.Migration):
    dependencies = [("devices", "0021_loan_history_leaves_out_shares_resident")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
