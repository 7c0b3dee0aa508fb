"""The receivables ledger's open amount (docs/ledger.md): a stored column of each bill line,
the check 0 ≤ open ≤ amount and the index of open lines — after the figures are counted, in a
migration (a transaction) of its own: PostgreSQL alters no table with the row checks of the
count still pending."""

from decimal import Decimal

import django.db.models.expressions
import django.db.models.functions.math
import django.db.models.lookups
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0010_receivables_ledger")]

    operations = [
        migrations.AddField(
            model_name="billline",
            name="open_amount",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(
                        cancelled_at__isnull=True,
                        then=django.db.models.functions.math.Round(
                            django.db.models.expressions.CombinedExpression(
                                django.db.models.expressions.CombinedExpression(
                                    models.F("amount"), "-", models.F("paid_amount")
                                ),
                                "-",
                                models.F("relief_amount"),
                            ),
                            2,
                        ),
                    ),
                    default=models.Value(Decimal("0.00")),
                ),
                output_field=models.DecimalField(decimal_places=2, max_digits=12),
                verbose_name="open",
            ),
        ),
        migrations.AddConstraint(
            model_name="billline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("paid_amount__gte", 0), ("relief_amount__gte", 0)),
                    django.db.models.lookups.GreaterThanOrEqual(
                        django.db.models.functions.math.Round(
                            django.db.models.expressions.CombinedExpression(
                                django.db.models.expressions.CombinedExpression(
                                    models.F("amount"), "-", models.F("paid_amount")
                                ),
                                "-",
                                models.F("relief_amount"),
                            ),
                            2,
                        ),
                        0,
                    ),
                ),
                name="bill_line_open_within_amount",
            ),
        ),
        migrations.AddIndex(
            model_name="billline",
            index=models.Index(
                condition=models.Q(("open_amount__gt", 0)),
                fields=["site", "due_date"],
                name="bill_line_open_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["bill_line", "on"], name="ledger_entry_line_idx"),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["site", "on"], name="ledger_entry_site_idx"),
        ),
    ]
