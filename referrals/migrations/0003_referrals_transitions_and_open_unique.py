"""Referrals' rules held by the database:

- a trigger that refuses any status change of a referral not in referrals/services.py's TRANSITIONS table
  (and a new referral in any status but 'sent'), so no code path can skip a step or reopen a closed one;
- one open referral of a resident to one service (or to one organisation with no service).

The pairs below must match TRANSITIONS: tests/referrals/test_services.py tries every pair on the database.
"""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION referrals_check_transition() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'sent' THEN
            RAISE EXCEPTION 'a referral starts as sent, not %', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'referral_status_transition';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF (OLD.status, NEW.status) NOT IN (
        ('sent', 'accepted'), ('sent', 'declined'), ('sent', 'withdrawn'),
        ('accepted', 'started'), ('accepted', 'withdrawn'),
        ('started', 'completed'), ('started', 'not_completed'), ('started', 'withdrawn')
    ) THEN
        RAISE EXCEPTION 'a referral cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'referral_status_transition';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER referral_status_transition
    BEFORE INSERT OR UPDATE OF status ON referrals_referral
    FOR EACH ROW EXECUTE FUNCTION referrals_check_transition();
"""

DROP = """
DROP TRIGGER IF EXISTS referral_status_transition ON referrals_referral;
DROP FUNCTION IF EXISTS referrals_check_transition();
"""


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_referrals_and_directory")]

    operations = [
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["sent", "accepted", "started"])),
                fields=("resident", "to_organisation", "service"),
                name="one_open_referral_per_resident_and_service",
                nulls_distinct=False,
            ),
        ),
        migrations.RunSQL(CREATE, DROP),
    ]
