"""A device that has been out on loan must be wiped before it is ready again: `needs_wipe`, set when it is lent
and cleared by a wipe, and a constraint that no wiped or ready device needs one.

Existing devices that are not wiped, ready or just received need a wipe when a loan of theirs began after
their last recorded wipe. (A device already made ready without a wipe, before this rule, is not flagged: it
would break the constraint; it is wiped at its next return.)
"""

from django.db import migrations, models

FLAG_LENT_SINCE_LAST_WIPE = """
UPDATE devices_device AS device SET needs_wipe = true
WHERE device.status NOT IN ('wiped', 'ready', 'received')
  AND EXISTS (
    SELECT 1 FROM devices_loan AS loan
    WHERE loan.device_id = device.id
      AND loan.created_at > COALESCE(
        (SELECT max(wipe.recorded_at) FROM devices_wipe AS wipe WHERE wipe.device_id = device.id), '-infinity')
  );
"""


class Migration(migrations.Migration):

    dependencies = [
        ('devices', '0005_asset_tag_characters'),
        ('inclusion', '0003_alter_caseevent_kind'),
    ]

    operations = [
        migrations.AddField(
            model_name='device',
            name='needs_wipe',
            field=models.BooleanField(default=False, help_text='It has been out on loan since it was last wiped: a wipe must be recorded before it is ready.'),
        ),
        migrations.RunSQL(FLAG_LENT_SINCE_LAST_WIPE, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name='device',
            constraint=models.CheckConstraint(condition=models.Q(('needs_wipe', False), models.Q(('status__in', ['wiped', 'ready']), _negated=True), _connector='OR'), name='device_wiped_before_ready'),
        ),
    ]
