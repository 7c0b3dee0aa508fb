"""Celery tasks of billing. Tasks only call services; each is safe to run twice."""

from celery import shared_task

from .jobs import run_monthly_bills


@shared_task(name="wuye.billing.monthly_bill_run")
def monthly_bill_run_task() -> dict:
    """Hourly; bills the new month on the 1st (see `jobs.run_monthly_bills`)."""
    return run_monthly_bills()


@shared_task(name="wuye.billing.late_fees")
def late_fees_task() -> dict:
    """Hourly; each site's late fees accrued and the settled posted once a local day (R-FEE-04,
    see `late_fees.run_daily`)."""
    from .late_fees import run_daily

    return run_daily()


@shared_task(name="wuye.billing.check_collection_figures")
def check_collection_figures_task() -> dict:
    """Daily; the collection figures compared with the ledger, rebuilt where they differ (see
    `figures.check_figures`)."""
    from .figures import check_figures

    return check_figures()
