"""The receivables ledger's models leave billing with their tables (`billing_billline`,
`billing_allocation`, `billing_ledgerentry`): created in this app's state only, their content
types renamed, so their permissions — and the roles and audit entries that point at them — stay
(billing/0013 lets them go)."""


import django.db.models.deletion
import django.db.models.expressions
import django.db.models.functions.math
import django.db.models.lookups
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

MODELS = ("billline", "allocation", "ledgerentry")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="billing", model__in=MODELS).update(app_label="ledger")


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="ledger", model__in=MODELS).update(app_label="billing")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('billing', '0012_approvals_leave_billing'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0002_fieldkeyfingerprint'),
        ('estate', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='BillLine',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                    ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                    ('target', models.CharField(max_length=40)),
                    ('period_start', models.DateField(verbose_name='period from')),
                    ('period_end', models.DateField(verbose_name='period to')),
                    ('quantity', models.DecimalField(decimal_places=4, default=0, max_digits=14, verbose_name='quantity')),
                    ('rate', models.DecimalField(decimal_places=4, default=0, max_digits=12, verbose_name='rate')),
                    ('amount', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='amount (yuan)')),
                    ('due_date', models.DateField(verbose_name='due')),
                    ('note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                    ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled at')),
                    ('cancel_reason', models.CharField(blank=True, max_length=200, verbose_name='cancel reason')),
                    ('reversed', models.BooleanField(default=False)),
                    ('paid_amount', models.DecimalField(db_default=0, decimal_places=2, default=0, max_digits=12, verbose_name='paid')),
                    ('relief_amount', models.DecimalField(db_default=0, decimal_places=2, default=0, max_digits=12, verbose_name='relief')),
                    ('open_amount', models.GeneratedField(db_persist=True, expression=models.Case(models.When(cancelled_at__isnull=True, then=django.db.models.functions.math.Round(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('amount'), '-', models.F('paid_amount')), '-', models.F('relief_amount')), 2)), default=models.Value(Decimal('0.00'))), output_field=models.DecimalField(decimal_places=2, max_digits=12), verbose_name='open')),
                    ('settled_on', models.DateField(blank=True, null=True, verbose_name='settled on')),
                    ('cancelled_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('fee_item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='billing.feeitem')),
                    ('lease', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='bill_lines', to='billing.lease')),
                    ('parking_space', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='estate.parkingspace', verbose_name='parking space')),
                    ('reading', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.meterreading')),
                    ('run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='bill_lines', to='billing.billrun')),
                    ('site', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.site', verbose_name='site')),
                    ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='estate.unit', verbose_name='unit')),
                ],
                options={
                    'verbose_name': 'bill line',
                    'verbose_name_plural': 'bill lines',
                    'db_table': 'billing_billline',
                    'ordering': ['period_start', 'fee_item', 'id'],
                },
            ),
            migrations.CreateModel(
                name='Allocation',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('from_credit', models.BooleanField(default=False)),
                    ('amount', models.DecimalField(decimal_places=2, max_digits=12)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('collected_on', models.DateField()),
                    ('undone', models.BooleanField(default=False)),
                    ('deposit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='allocations', to='billing.deposit')),
                    ('payment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='allocations', to='billing.payment')),
                    ('bill_line', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='allocations', to='ledger.billline')),
                ],
                options={
                    'db_table': 'billing_allocation',
                },
            ),
            migrations.CreateModel(
                name='LedgerEntry',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(choices=[('allocation', 'allocated'), ('void', 'payment voided'), ('refund', 'refunded'), ('relief', 'relief granted'), ('relief_cancelled', 'relief cancelled'), ('cancelled', 'line cancelled')], max_length=20)),
                    ('amount', models.DecimalField(decimal_places=2, max_digits=12)),
                    ('on', models.DateField()),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('allocation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.allocation')),
                    ('bill_line', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to='ledger.billline')),
                    ('refund', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.refund')),
                    ('relief_entry', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.reliefentry')),
                    ('site', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.site')),
                ],
                options={
                    'verbose_name': 'ledger entry',
                    'verbose_name_plural': 'ledger entries',
                    'db_table': 'billing_ledgerentry',
                    'ordering': ['bill_line', 'id'],
                },
            ),
            migrations.AddIndex(
                model_name='billline',
                index=models.Index(condition=models.Q(('open_amount__gt', 0)), fields=['site', 'due_date'], name='bill_line_open_idx'),
            ),
            migrations.AddIndex(
                model_name='billline',
                index=models.Index(fields=['unit', 'period_start'], name='bill_line_unit_idx'),
            ),
            migrations.AddIndex(
                model_name='billline',
                index=models.Index(fields=['site', 'period_start'], name='bill_line_site_period_idx'),
            ),
            migrations.AddIndex(
                model_name='billline',
                index=models.Index(fields=['run'], name='bill_line_run_idx'),
            ),
            migrations.AddConstraint(
                model_name='billline',
                constraint=models.UniqueConstraint(condition=models.Q(('reversed', False)), fields=('fee_item', 'target', 'period_start'), name='bill_line_once_per_period'),
            ),
            migrations.AddConstraint(
                model_name='billline',
                constraint=models.CheckConstraint(condition=models.Q(('reversed', False), ('cancelled_at__isnull', False), _connector='OR'), name='bill_line_reversed_is_cancelled'),
            ),
            migrations.AddConstraint(
                model_name='billline',
                constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='bill_line_not_negative'),
            ),
            migrations.AddConstraint(
                model_name='billline',
                constraint=models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='bill_line_period_order'),
            ),
            migrations.AddConstraint(
                model_name='billline',
                constraint=models.CheckConstraint(condition=models.Q(('cancelled_at__isnull', True), models.Q(('cancel_reason', ''), _negated=True), _connector='OR'), name='bill_line_cancel_has_reason'),
            ),
            migrations.AddConstraint(
                model_name='billline',
                constraint=models.CheckConstraint(condition=models.Q(models.Q(('paid_amount__gte', 0), ('relief_amount__gte', 0)), django.db.models.lookups.GreaterThanOrEqual(django.db.models.functions.math.Round(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('amount'), '-', models.F('paid_amount')), '-', models.F('relief_amount')), 2), 0)), name='bill_line_open_within_amount'),
            ),
            migrations.AddIndex(
                model_name='allocation',
                index=models.Index(fields=['bill_line', 'undone'], name='allocation_line_idx'),
            ),
            migrations.AddConstraint(
                model_name='allocation',
                constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='allocation_positive'),
            ),
            migrations.AddConstraint(
                model_name='allocation',
                constraint=models.CheckConstraint(condition=models.Q(('payment__isnull', False), ('from_credit', True), ('deposit__isnull', False), _connector='OR'), name='allocation_has_source'),
            ),
            migrations.AddIndex(
                model_name='ledgerentry',
                index=models.Index(fields=['bill_line', 'on'], name='ledger_entry_line_idx'),
            ),
            migrations.AddIndex(
                model_name='ledgerentry',
                index=models.Index(fields=['site', 'on'], name='ledger_entry_site_idx'),
            ),
        ], database_operations=[]),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
