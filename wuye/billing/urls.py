from django.urls import path

from wuye.approvals import views as approval_views

from . import (
    account_views,
    arrears_views,
    collection_views,
    finance_views,
    late_fee_views,
    meter_views,
    relief_views,
    views,
)

app_name = "billing"

urlpatterns = [
    path("", views.cashier, name="cashier"),
    path("units/<int:pk>/", views.unit_account, name="unit_account"),
    path("units/<int:pk>/statement.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("units/<int:pk>/statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("receipts/<int:pk>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("close/", views.daily_close, name="daily_close"),
    path("arrears/", arrears_views.arrears_page, name="arrears"),
    path("collection-rate/", collection_views.collection_rate_page, name="collection_rate"),
    path(
        "collection-rate/targets/", collection_views.collection_targets, name="collection_targets"
    ),
    path("late-fees/", late_fee_views.late_fee_list, name="late_fees"),
    path("late-fees/<int:pk>/waive/", late_fee_views.waive, name="waive_late_fee"),
    path("late-fees/<int:pk>/post/", late_fee_views.post_now, name="post_late_fee"),
    path("fee-items/<int:pk>/late-fee-rule/", late_fee_views.rule_edit, name="late_fee_rule"),
    path("relief/", relief_views.rule_list, name="relief_rules"),
    path("relief/<int:pk>/", relief_views.rule_detail, name="relief_rule"),
    path("relief/<int:pk>/end/", relief_views.end_rule, name="end_relief_rule"),
    path("relief/vacancy/", relief_views.vacancy_list, name="vacancy_applications"),
    path("relief/vacancy/<int:pk>/", relief_views.vacancy_application, name="vacancy_application"),
    path("relief/entries/<int:pk>/cancel/", relief_views.cancel_entry, name="cancel_relief"),
    path("units/<int:pk>/pay-ahead/", relief_views.pay_ahead, name="pay_ahead"),
    path("fee-items/", finance_views.fee_item_list, name="fee_items"),
    path("fee-items/new/", finance_views.fee_item_create, name="fee_item_create"),
    path("fee-items/<int:pk>/", finance_views.fee_item_detail, name="fee_item"),
    path("fee-items/<int:pk>/edit/", finance_views.fee_item_edit, name="fee_item_edit"),
    path(
        "fee-items/<int:pk>/paid-services/",
        finance_views.post_paid_services,
        name="post_paid_services",
    ),
    path("runs/", finance_views.run_list, name="runs"),
    path("runs/<int:pk>/", finance_views.run_detail, name="run"),
    path("runs/jobs/<int:pk>/", finance_views.run_job, name="run_job"),
    path("units/<int:pk>/deposits/new/", account_views.take_deposit, name="take_deposit"),
    path("units/<int:pk>/charges/new/", account_views.add_charge, name="add_charge"),
    path(
        "units/<int:pk>/deposits/<int:deposit>/apply/",
        account_views.apply_deposit,
        name="apply_deposit",
    ),
    path(
        "units/<int:pk>/deposits/<int:deposit>/refund/",
        account_views.refund_deposit,
        name="refund_deposit",
    ),
    path("units/<int:pk>/refund-line/", account_views.refund_line, name="refund_line"),
    path("units/<int:pk>/refund-credit/", account_views.refund_credit, name="refund_credit"),
    path("units/<int:pk>/cancel-line/", account_views.cancel_line, name="cancel_line"),
    path("units/<int:pk>/void-payment/", account_views.void_payment, name="void_payment"),
    # Where the approvals inbox was when it held money's corrections only (bookmarks, old links).
    path("approvals/", approval_views.inbox, name="approvals"),
    path("approvals/<int:pk>/decide/", approval_views.decide, name="decide_approval"),
    path("leases/", account_views.lease_list, name="leases"),
    path("leases/new/", account_views.lease_sign, name="lease_sign"),
    path("leases/<int:pk>/", account_views.lease_detail, name="lease"),
    path("meters/", meter_views.meter_list, name="meters"),
    path("meters/usage/", meter_views.usage, name="meter_usage"),
    path("readings/", meter_views.reading_sheet, name="readings"),
    path("readings/meters/<int:pk>/", meter_views.record_reading, name="record_reading"),
    path("readings/held/", meter_views.held_readings, name="held_readings"),
    path(
        "readings/<int:pk>/confirm/",
        meter_views.check_reading,
        {"action": "confirm"},
        name="confirm_reading",
    ),
    path(
        "readings/<int:pk>/reject/",
        meter_views.check_reading,
        {"action": "reject"},
        name="reject_reading",
    ),
    path("readings/import/", meter_views.reading_import, name="reading_import"),
    path("readings/import/<int:pk>/", meter_views.reading_import_job, name="reading_import_job"),
    path(
        "readings/import/template.xlsx",
        meter_views.reading_import_template,
        name="reading_import_template",
    ),
]
