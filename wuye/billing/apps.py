from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "wuye.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from wuye.core.schedule import Entry, register

        # Registers the bill run's and the readings import's job handlers, so any process (a
        # Celery worker too) can run the jobs.
        from . import jobs, meter_import  # noqa: F401
        from .corrections import register_kinds

        # Money's corrections beyond one's authority, as kinds of the company's approval requests.
        register_kinds()

        # Hourly, so the 1st is caught early in every site's time zone; it bills once a month.
        register(Entry("billing-monthly-run", "wuye.billing.tasks.monthly_bill_run_task", 3600))
        # Daily, a safety net: the collection figures checked against the ledger.
        register(Entry("billing-collection-figures", "wuye.billing.tasks.check_collection_figures_task", 86400))  # fmt: skip
        # Hourly, so each site's new day is caught early in its own time zone; once a day each.
        register(Entry("billing-late-fees", "wuye.billing.tasks.late_fees_task", 3600))
