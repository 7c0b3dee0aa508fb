"""The receivables ledger (docs/ledger.md): each bill line's paid, relief and open amounts and the
day it was settled, and the table of movements against charges. The figures of lines already in
the database are counted once from their allocations, refunds and relief entries, and their past
movements are written as ledger entries (a void's and a cancellation's on the day they happened,
in UTC; a line settled by relief alone, or of no amount, as settled on its period's first day)."""

from decimal import Decimal

import django.db.models.deletion
import django.db.models.expressions
import django.db.models.functions.math
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models


def _day(vendor: str, column: str) -> str:
    return f"CAST({column} AS date)" if vendor == "postgresql" else f"date({column})"


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [
        """UPDATE billing_billline SET
             paid_amount = COALESCE((SELECT SUM(a.amount) FROM billing_allocation a
                                     WHERE a.bill_line_id = billing_billline.id AND a.undone = FALSE), 0)
                         - COALESCE((SELECT SUM(r.amount) FROM billing_refund r
                                     WHERE r.bill_line_id = billing_billline.id AND r.source = 'line'), 0),
             relief_amount = COALESCE((SELECT SUM(e.amount) FROM billing_reliefentry e
                                       WHERE e.bill_line_id = billing_billline.id AND e.cancelled_at IS NULL), 0)""",
        """UPDATE billing_billline SET settled_on = COALESCE(
               (SELECT MAX(a.collected_on) FROM billing_allocation a
                WHERE a.bill_line_id = billing_billline.id AND a.undone = FALSE),
               (SELECT MAX(e.granted_on) FROM billing_reliefentry e
                WHERE e.bill_line_id = billing_billline.id AND e.cancelled_at IS NULL),
               period_start)
           WHERE cancelled_at IS NULL AND amount = paid_amount + relief_amount""",
        """INSERT INTO billing_ledgerentry (site_id, bill_line_id, kind, amount, "on", allocation_id, created_at)
           SELECT l.site_id, a.bill_line_id, 'allocation', -a.amount, a.collected_on, a.id, a.created_at
           FROM billing_allocation a JOIN billing_billline l ON l.id = a.bill_line_id""",
        f"""INSERT INTO billing_ledgerentry (site_id, bill_line_id, kind, amount, "on", allocation_id, created_at)
           SELECT l.site_id, a.bill_line_id, 'void', a.amount,
                  COALESCE({_day(vendor, "p.voided_at")}, a.collected_on), a.id, COALESCE(p.voided_at, a.created_at)
           FROM billing_allocation a JOIN billing_billline l ON l.id = a.bill_line_id
           LEFT JOIN billing_payment p ON p.id = a.payment_id
           WHERE a.undone = TRUE""",
        """INSERT INTO billing_ledgerentry (site_id, bill_line_id, kind, amount, "on", refund_id, created_at)
           SELECT r.site_id, r.bill_line_id, 'refund', r.amount, r.refunded_on, r.id, r.created_at
           FROM billing_refund r WHERE r.source = 'line' AND r.bill_line_id IS NOT NULL""",
        """INSERT INTO billing_ledgerentry (site_id, bill_line_id, kind, amount, "on", relief_entry_id, created_at)
           SELECT e.site_id, e.bill_line_id, 'relief', -e.amount, e.granted_on, e.id, e.created_at
           FROM billing_reliefentry e""",
        f"""INSERT INTO billing_ledgerentry (site_id, bill_line_id, kind, amount, "on", relief_entry_id, created_at)
           SELECT e.site_id, e.bill_line_id, 'relief_cancelled', e.amount, {_day(vendor, "e.cancelled_at")},
                  e.id, e.cancelled_at
           FROM billing_reliefentry e WHERE e.cancelled_at IS NOT NULL""",
        f"""INSERT INTO billing_ledgerentry (site_id, bill_line_id, kind, amount, "on", created_at)
           SELECT l.site_id, l.id, 'cancelled', -(l.amount - l.paid_amount - l.relief_amount),
                  {_day(vendor, "l.cancelled_at")}, l.cancelled_at
           FROM billing_billline l WHERE l.cancelled_at IS NOT NULL""",
    ]
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_relief_rule_versions"),
        ("core", "0002_fieldkeyfingerprint"),
        ("estate", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("allocation", "allocated"),
                            ("void", "payment voided"),
                            ("refund", "refunded"),
                            ("relief", "relief granted"),
                            ("relief_cancelled", "relief cancelled"),
                            ("cancelled", "line cancelled"),
                        ],
                        max_length=20,
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=12)),
                ("on", models.DateField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "ledger entry",
                "verbose_name_plural": "ledger entries",
                "ordering": ["bill_line", "id"],
            },
        ),
        migrations.AddField(
            model_name="billline",
            name="paid_amount",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=12, verbose_name="paid"
            ),
        ),
        migrations.AddField(
            model_name="billline",
            name="relief_amount",
            field=models.DecimalField(
                db_default=0, decimal_places=2, default=0, max_digits=12, verbose_name="relief"
            ),
        ),
        migrations.AddField(
            model_name="billline",
            name="settled_on",
            field=models.DateField(blank=True, null=True, verbose_name="settled on"),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="allocation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.allocation",
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="bill_line",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entries",
                to="billing.billline",
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="refund",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.refund",
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="relief_entry",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.reliefentry",
            ),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="site",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.site"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
