"""Celery tasks of the service desk. Tasks only call services; each is safe to run twice."""

from celery import shared_task

from .sweeps import sweep


@shared_task(name="wuye.servicedesk.sweep")
def sweep_task() -> dict:
    return sweep()
