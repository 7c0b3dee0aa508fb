from django.core.exceptions import ValidationError

from wuye.core.errors import invalid
from wuye.core.jobs import job_handler, resume_waiting_jobs, run_job, start_job
from wuye.core.models import Job


@job_handler("test.count")
def _count(job, progress):
    progress.start(job.params["n"], "counting")
    for _ in range(job.params["n"]):
        progress.advance()
    return {"counted": job.params["n"]}


@job_handler("test.refuse")
def _refuse(job, progress):
    progress.start(1)
    raise ValidationError({"file": [invalid("file", "bad file", "bad").error_dict["file"][0]]})


@job_handler("test.crash")
def _crash(job, progress):
    raise ZeroDivisionError


def test_a_job_runs_reports_progress_and_keeps_its_result(site_a, clerk_a):
    seen = []
    job = Job.objects.create(
        site=site_a, actor=clerk_a, kind="test.count", title="t", params={"n": 3}
    )
    run_job(job.pk, listener=lambda j: seen.append(j.done))
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert (job.done, job.total, job.result) == (3, 3, {"counted": 3})
    assert job.finished_at is not None
    assert seen[-1] == 3


def test_a_job_is_claimed_once_so_a_second_worker_does_nothing(site_a):
    job = Job.objects.create(site=site_a, kind="test.count", title="t", params={"n": 1})
    assert run_job(job.pk) is not None
    assert run_job(job.pk) is None


def test_a_job_with_bad_input_fails_with_field_errors(site_a):
    job = Job.objects.create(site=site_a, kind="test.refuse", title="t")
    run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.result == {"errors": [{"field": "file", "message": "bad file", "code": "bad"}]}


def test_an_unexpected_error_fails_the_job_without_leaking_details(site_a):
    job = Job.objects.create(site=site_a, kind="test.crash", title="t")
    run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "ZeroDivision" not in job.message


def test_start_job_runs_it_inline_in_tests(site_a, clerk_a):
    job = start_job(site=site_a, actor=clerk_a, kind="test.count", title="t", params={"n": 2})
    job.refresh_from_db()
    assert job.state == Job.State.DONE


def test_waiting_jobs_are_resumed_after_a_restart(site_a):
    from datetime import timedelta

    from django.utils import timezone

    job = Job.objects.create(site=site_a, kind="test.count", title="t", params={"n": 1})
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert resume_waiting_jobs() == 1
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert resume_waiting_jobs() == 0
