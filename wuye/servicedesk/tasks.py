"""Celery tasks of the service desk. Tasks only call services; each is safe to run twice."""

from celery import shared_task

from .sweeps import sweep


@shared_task(name="wuye.servicedesk.sweep")
def sweep_task() -> dict:
    return sweep()


@shared_task(name="wuye.servicedesk.help_register")
def help_register_task() -> dict:
    """R-HLP-06: archive the years that are over, remove the archives kept long enough."""
    from .archive import run_help_register_jobs

    return run_help_register_jobs()
