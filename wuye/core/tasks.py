"""Celery tasks of the platform. Tasks only call services; each is safe to run twice."""

from celery import shared_task

from .jobs import resume_waiting_jobs, run_job
from .security import purge_login_failures


@shared_task(name="wuye.core.run_job", acks_late=True)
def run_job_task(job_id: int) -> None:
    run_job(job_id)


@shared_task(name="wuye.core.purge_login_failures")
def purge_login_failures_task() -> int:
    return purge_login_failures()


@shared_task(name="wuye.core.resume_waiting_jobs")
def resume_waiting_jobs_task() -> int:
    return resume_waiting_jobs()
