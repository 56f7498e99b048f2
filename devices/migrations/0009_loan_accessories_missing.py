import django.contrib.postgres.fields
from django.db import migrations, models

# Loans returned before this field existed: what the device listed and did not come back. (Devices did not
# lose missing accessories from their list then, so their list is still what went out.)
FILL = """
UPDATE devices_loan AS loan
SET accessories_missing = ARRAY(
    SELECT name FROM unnest(device.accessories) WITH ORDINALITY AS listed(name, position)
    WHERE NOT name = ANY(loan.accessories_returned) ORDER BY position
)
FROM devices_device AS device
WHERE device.id = loan.device_id AND loan.outcome = 'returned'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0008_asset_tags_unique_per_organisation"),
    ]

    operations = [
        migrations.AddField(
            model_name="loan",
            name="accessories_missing",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=30), blank=True, default=list, size=None
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
