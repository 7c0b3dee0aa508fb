from django.urls import path

from . import finance_views, views

app_name = "billing"

urlpatterns = [
    path("", views.cashier, name="cashier"),
    path("units/<int:pk>/", views.unit_account, name="unit_account"),
    path("units/<int:pk>/statement.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("receipts/<int:pk>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("close/", views.daily_close, name="daily_close"),
    path("fee-items/", finance_views.fee_item_list, name="fee_items"),
    path("fee-items/new/", finance_views.fee_item_create, name="fee_item_create"),
    path("fee-items/<int:pk>/", finance_views.fee_item_detail, name="fee_item"),
    path("fee-items/<int:pk>/edit/", finance_views.fee_item_edit, name="fee_item_edit"),
    path("runs/", finance_views.run_list, name="runs"),
    path("runs/<int:pk>/", finance_views.run_detail, name="run"),
    path("runs/jobs/<int:pk>/", finance_views.run_job, name="run_job"),
]
