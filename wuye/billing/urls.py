from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.cashier, name="cashier"),
    path("units/<int:pk>/", views.unit_account, name="unit_account"),
    path("units/<int:pk>/statement.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("receipts/<int:pk>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("close/", views.daily_close, name="daily_close"),
]
