"""Approval requests move to the approvals app with their table (state only): the refunds and
waivers approved keep their foreign keys as they are in the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("billing", "0011_ledger_open_amount"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="latefeewaiver",
                    name="approval",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="approvals.approvalrequest",
                    ),
                ),
                migrations.AlterField(
                    model_name="refund",
                    name="approval",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="approvals.approvalrequest",
                    ),
                ),
                migrations.DeleteModel(
                    name="ApprovalRequest",
                ),
            ],
        )
    ]
