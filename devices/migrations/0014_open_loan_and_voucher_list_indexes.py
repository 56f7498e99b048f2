"""Indexes for region scale (issue 12), built without locking the tables: an organisation's open loans'
residents (the access rule's link) and the voucher list's order."""

import django.db.models.expressions
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("devices", "0013_voucher_history_and_transitions")]
    operations = [
        AddIndexConcurrently(
            model_name="loan",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True)),
                fields=["organisation", "resident"],
                name="open_loan_org_resident",
            ),
        ),
        AddIndexConcurrently(
            model_name="voucher",
            index=models.Index(
                django.db.models.expressions.OrderBy(django.db.models.expressions.F("issued_at"), descending=True,
                                                     nulls_last=True),
                "id",
                name="voucher_list_order",
            ),
        ),
    ]
