from django.db import migrations, models

# Loans reported stolen before this field existed: the report's history entry says so.
FILL = """
UPDATE devices_loan AS loan SET stolen = true
FROM devices_deviceevent AS event
WHERE event.action = 'report lost' AND event.data ? 'loan' AND (event.data ->> 'loan') = loan.id::text
  AND (event.data ->> 'stolen') = 'true' AND loan.outcome = 'lost'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0009_loan_accessories_missing"),
    ]

    operations = [
        migrations.AddField(
            model_name="loan",
            name="stolen",
            field=models.BooleanField(default=False, help_text="Reported stolen, not lost (outcome 'lost')"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
