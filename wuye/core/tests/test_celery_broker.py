"""With a broker configured, jobs run on a real Celery worker (Redis on 127.0.0.1:6379)."""

import socket
import time

import pytest

from wuye.core.jobs import start_job
from wuye.core.models import Job

from .test_jobs import _count  # noqa: F401 - registers the "test.count" handler


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_a_job_goes_through_the_broker_to_a_celery_worker(settings, site_a, clerk_a):
    if not _redis_answers():
        pytest.skip("no Redis on 127.0.0.1:6379")
    from celery.contrib.testing.worker import start_worker

    from wuye.celery import app

    url = "redis://127.0.0.1:6379/15"
    settings.WUYE_BROKER_URL = url
    settings.WUYE_JOBS_INLINE = False
    app.conf.broker_url = url
    app.conf.result_backend = None
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            job = start_job(
                site=site_a, actor=clerk_a, kind="test.count", title="t", params={"n": 5}
            )
            for _ in range(100):
                job.refresh_from_db()
                if job.state == Job.State.DONE:
                    break
                time.sleep(0.1)
    finally:
        app.conf.broker_url = "memory://"
    assert job.state == Job.State.DONE
    assert job.result == {"counted": 5}
