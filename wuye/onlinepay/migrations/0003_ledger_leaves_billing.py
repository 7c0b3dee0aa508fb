"""An order line's bill line is the receivables ledger's now (`ledger/0001_initial`): the same
table, so in Django's state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0001_initial'),
        ('onlinepay', '0002_online_payments_channel'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='orderline',
                name='bill_line',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.billline'),
            ),
        ], database_operations=[]),
    ]
