"""A search's matches read from the indexes alone (issue 12): each per-organisation prefix index of the search keys
includes the list's order (last name, first name, id), so that `?q=smi` in a large council counts and sorts its
14,500 matches without reading them from the table (access.VisibleResidents). Each new index is built before the one
it replaces is dropped, both without locking the table (a million residents in the region)."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

KEYS = (
    ("last_name_key", "resident_last_name_cover", "resident_org_last_name"),
    ("last_name_part_key", "resident_name_part_cover", "resident_org_last_name_part"),
    ("first_name_key", "resident_first_name_cover", "resident_org_first_name"),
    ("preferred_name_key", "resident_pref_name_cover", "resident_org_pref_name"),
    ("postcode_key", "resident_postcode_cover", "resident_org_postcode"),
)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("inclusion", "0013_contact_proposals_and_sharing_agreements")]
    operations = [
        *(
            AddIndexConcurrently(
                model_name="resident",
                index=models.Index(
                    fields=["owning_organisation", key],
                    include=("last_name", "first_name", "id"),
                    name=name,
                    opclasses=["int8_ops", "text_pattern_ops"],
                ),
            )
            for key, name, _ in KEYS
        ),
        *(RemoveIndexConcurrently(model_name="resident", name=old) for _, _, old in KEYS),
    ]
