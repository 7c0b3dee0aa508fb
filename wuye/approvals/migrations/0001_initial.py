"""Approval requests leave billing for the company's approval engine with their table
(`billing_approvalrequest`): the model is created in this app's state only, and its content type
is renamed, so its permissions — and the roles and audit entries that point at them — stay."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="billing", model="approvalrequest").update(app_label="approvals")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="approvals", model="approvalrequest").update(app_label="billing")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('billing', '0011_ledger_open_amount'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0002_fieldkeyfingerprint'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='ApprovalRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('action', models.CharField(choices=[('sick_leave', 'approve sick leave'), ('personal_leave', 'approve personal leave'), ('pay_adjustment', 'propose a pay change'), ('contract', 'propose a contract'), ('purchase', 'approve a purchase'), ('expense', 'approve an expense claim'), ('fine', 'impose a fine on staff'), ('refund', 'approve a refund'), ('void_payment', 'void a payment'), ('cancel_bill_line', 'cancel a bill line'), ('waive_late_fee', 'waive a late fee'), ('relief', 'grant relief'), ('force_close_ticket', 'force-close a ticket')], max_length=20, verbose_name='action')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='amount (yuan)')),
                ('params', models.JSONField(default=dict)),
                ('reason', models.CharField(max_length=200, verbose_name='reason')),
                ('approver_name', models.CharField(blank=True, max_length=100, verbose_name='to be approved by')),
                ('state', models.CharField(choices=[('pending', 'waiting'), ('approved', 'approved'), ('rejected', 'rejected')], default='pending', max_length=10, verbose_name='state')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('decision_note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='asked by')),
                ('site', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.site', verbose_name='site')),
            ],
            options={
                'verbose_name': 'approval request',
                'verbose_name_plural': 'approval requests',
                'db_table': 'billing_approvalrequest',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['site', 'state'], name='approval_site_state_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='approval_amount_positive'), models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='approval_has_reason'), models.UniqueConstraint(condition=models.Q(('state', 'pending')), fields=('action', 'params'), name='approval_one_pending_per_correction')],
            },
        )], database_operations=[]),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
