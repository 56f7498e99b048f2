"""The residents list's order within one organisation, and whether a linked resident is an organisation's own
from an index alone: built without locking the table (issue 12)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("inclusion", "0011_resident_restriction")]
    operations = [
        AddIndexConcurrently(
            model_name="resident",
            index=models.Index(
                fields=["owning_organisation", "last_name", "first_name", "id"], name="resident_org_name_order"
            ),
        ),
        AddIndexConcurrently(
            model_name="resident",
            index=models.Index(fields=["id"], include=["owning_organisation"], name="resident_id_owner"),
        ),
    ]
