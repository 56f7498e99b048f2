"""Search keys that forgive what people type, and postcode keys that keep districts apart.

Names: the keys were PostgreSQL's lower(name); now they are folded in Python (accents, apostrophes, the parts
of a double-barrelled surname: inclusion.validators.name_search_key and name_part_key), so existing rows are
filled here, in batches, with the same functions the services use. Postcodes: the key kept PostgreSQL's
compact form (WV11AA), so a search for WV1 also found WV10 to WV16; it now keeps the space (WV1 1AA).

The indexes are dropped first and built again after the fill, which is faster than updating them row by row.
"""

from django.db import migrations, models
from django.db.models.functions import Trim, Upper

from inclusion.validators import name_part_key, name_search_key

BATCH = 5000


def fill_name_keys(apps, schema_editor):
    connection = schema_editor.connection
    last = None
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT id, first_name, last_name, preferred_name FROM inclusion_resident"
                + (" WHERE id > %s" if last else "")
                + " ORDER BY id LIMIT %s",
                [last, BATCH] if last else [BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                # Run the checks the updates queued (deferred foreign keys) now: PostgreSQL will not build an
                # index on a table with pending trigger events, and the indexes come next in this transaction.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                return
            values = []
            for pk, first, surname, preferred in rows:
                values += [pk, name_search_key(first), name_search_key(surname), name_part_key(surname),
                           name_search_key(preferred)]  # fmt: skip
            cursor.execute(
                "UPDATE inclusion_resident AS r SET first_name_key = v.f, last_name_key = v.l, "
                "last_name_part_key = v.lp, preferred_name_key = v.p "
                "FROM (VALUES " + ", ".join(["(%s::uuid, %s, %s, %s, %s)"] * len(rows)) + ") AS v(id, f, l, lp, p) "
                "WHERE r.id = v.id",
                values,
            )
            last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("inclusion", "0005_consent_refused"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="resident", name="resident_org_last_name"),
        migrations.RemoveIndex(model_name="resident", name="resident_org_first_name"),
        migrations.RemoveIndex(model_name="resident", name="resident_org_pref_name"),
        migrations.RemoveIndex(model_name="resident", name="resident_org_postcode"),
        migrations.RemoveIndex(model_name="resident", name="resident_postcode"),
        migrations.RemoveField(model_name="resident", name="first_name_key"),
        migrations.RemoveField(model_name="resident", name="last_name_key"),
        migrations.RemoveField(model_name="resident", name="preferred_name_key"),
        migrations.RemoveField(model_name="resident", name="postcode_key"),
        migrations.AddField(
            model_name="resident", name="first_name_key", field=models.TextField(default="", editable=False)
        ),
        migrations.AddField(
            model_name="resident", name="last_name_key", field=models.TextField(default="", editable=False)
        ),
        migrations.AddField(
            model_name="resident", name="last_name_part_key", field=models.TextField(default="", editable=False)
        ),
        migrations.AddField(
            model_name="resident", name="preferred_name_key", field=models.TextField(default="", editable=False)
        ),
        migrations.AddField(
            model_name="resident",
            name="postcode_key",
            field=models.GeneratedField(
                db_persist=True, expression=Upper(Trim("postcode")), output_field=models.TextField()
            ),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["owning_organisation", "last_name_key"], name="resident_org_last_name",
                               opclasses=["int8_ops", "text_pattern_ops"]),
        ),  # fmt: skip
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["owning_organisation", "last_name_part_key"], name="resident_org_last_name_part",
                               opclasses=["int8_ops", "text_pattern_ops"]),
        ),  # fmt: skip
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["owning_organisation", "first_name_key"], name="resident_org_first_name",
                               opclasses=["int8_ops", "text_pattern_ops"]),
        ),  # fmt: skip
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["owning_organisation", "preferred_name_key"], name="resident_org_pref_name",
                               opclasses=["int8_ops", "text_pattern_ops"]),
        ),  # fmt: skip
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["owning_organisation", "postcode_key"], name="resident_org_postcode",
                               opclasses=["int8_ops", "text_pattern_ops"]),
        ),  # fmt: skip
        migrations.AddIndex(model_name="resident", index=models.Index(fields=["postcode_key"], name="resident_postcode")),
        # Every row was rewritten: fresh statistics, so the planner keeps choosing the prefix indexes.
        migrations.RunSQL("ANALYZE inclusion_resident", migrations.RunSQL.noop),
    ]
