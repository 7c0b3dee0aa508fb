"""Celery tasks of online payment. Tasks only call services; each is safe to run twice."""

from celery import shared_task

from .services import reconcile_yesterday


@shared_task(name="wuye.onlinepay.daily_reconciliation")
def daily_reconciliation_task() -> dict:
    """Hourly; reconciles each site's yesterday once and expires orders left unpaid (see
    `services.reconcile_yesterday`)."""
    return reconcile_yesterday()
