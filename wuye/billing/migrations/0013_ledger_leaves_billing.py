"""The receivables ledger leaves billing with its tables: bill lines, allocations and ledger
entries are now `wuye.ledger`'s (`ledger/0001_initial`), so billing's references to a line point
there and billing forgets the models — in Django's state only; no table or row is touched."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0012_approvals_leave_billing'),
        ('ledger', '0001_initial'),
        ('onlinepay', '0003_ledger_leaves_billing'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='latefee',
                name='charge_line',
                field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='late_fee_charged', to='ledger.billline'),
            ),
            migrations.AlterField(
                model_name='creditentry',
                name='bill_line',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.billline'),
            ),
            migrations.AlterField(
                model_name='reliefentry',
                name='bill_line',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reliefs', to='ledger.billline', verbose_name='bill line'),
            ),
            migrations.AlterField(
                model_name='latefee',
                name='bill_line',
                field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='late_fee', to='ledger.billline', verbose_name='principal'),
            ),
            migrations.AlterField(
                model_name='refund',
                name='bill_line',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='ledger.billline'),
            ),
            migrations.DeleteModel(name='LedgerEntry'),
            migrations.DeleteModel(name='Allocation'),
            migrations.DeleteModel(name='BillLine'),
        ], database_operations=[]),
    ]
