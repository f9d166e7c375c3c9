"""The in-process worker: runs jobs, retries failures, records what finally failed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from privacydesk.jobs import registry
from privacydesk.jobs.models import WorkerHeartbeat
from privacydesk.jobs.tests import tasks
from privacydesk.jobs.worker import Worker, _retry_or_fail

pytestmark = pytest.mark.django_db

BOOM = "privacydesk.jobs.tests.tasks.Boom"


def row(result) -> DBTaskResult:
    return DBTaskResult.objects.get(id=result.id)


def test_successful_job(settings):
    result = tasks.add.enqueue(2, 3)
    assert Worker(batch=True).run() == 1
    stored = row(result)
    assert stored.status == TaskResultStatus.SUCCESSFUL
    assert stored.return_value == 5
    assert len(stored.worker_ids) == 1
    assert stored.started_at is not None
    assert stored.finished_at is not None
    assert stored.exception_class_path == ""
    result.refresh()
    assert result.return_value == 5


def test_always_failing_job_is_retried_then_failed(settings):
    settings.JOBS_MAX_ATTEMPTS = 3
    result = tasks.always_fails.enqueue()
    worker = Worker(batch=True)
    assert worker.run() == 3
    stored = row(result)
    assert stored.status == TaskResultStatus.FAILED
    assert len(stored.worker_ids) == 3
    assert stored.worker_ids == [worker.worker_id] * 3
    assert stored.exception_class_path == BOOM
    assert "this job always fails" in stored.traceback
    assert "Traceback" in stored.traceback
    assert stored.finished_at is not None
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == BOOM


def test_max_attempts_setting_is_followed(settings):
    settings.JOBS_MAX_ATTEMPTS = 5
    result = tasks.always_fails.enqueue()
    Worker(batch=True).run()
    assert len(row(result).worker_ids) == 5
    assert row(result).status == TaskResultStatus.FAILED


def test_job_failing_on_its_first_attempt_succeeds_on_the_second(settings):
    settings.JOBS_MAX_ATTEMPTS = 3
    result = tasks.fails_on_first_attempt.enqueue()
    Worker(batch=True).run()
    stored = row(result)
    assert stored.status == TaskResultStatus.SUCCESSFUL
    assert len(stored.worker_ids) == 2
    assert stored.return_value == 2
    assert stored.exception_class_path == ""
    assert stored.traceback == ""


def test_job_declared_with_one_attempt_is_not_retried(settings):
    settings.JOBS_MAX_ATTEMPTS = 3
    assert registry.max_attempts_for(tasks.fails_without_retry.module_path) == 1
    result = tasks.fails_without_retry.enqueue()
    assert Worker(batch=True).run() == 1
    stored = row(result)
    assert stored.status == TaskResultStatus.FAILED
    assert len(stored.worker_ids) == 1
    assert "no second chance" in stored.traceback


def test_retry_waits_longer_after_each_attempt(settings):
    settings.JOBS_MAX_ATTEMPTS = 3
    settings.JOBS_RETRY_DELAY_SECONDS = 60
    result = tasks.always_fails.enqueue()
    before = timezone.now()
    assert Worker(batch=True).run() == 1  # the retry is a minute away: batch does not wait
    stored = row(result)
    assert stored.status == TaskResultStatus.READY
    assert stored.exception_class_path == BOOM
    assert before + timedelta(seconds=59) <= stored.run_after <= timezone.now() + timedelta(60)
    assert not DBTaskResult.objects.ready().filter(id=result.id).exists()

    # Second failure: twice the delay.
    stored.status = TaskResultStatus.RUNNING
    stored.worker_ids = [*stored.worker_ids, "second"]
    now = timezone.now()
    assert _retry_or_fail(stored, ValueError("again"), now=now)
    assert row(result).run_after == now + timedelta(seconds=120)
    assert row(result).exception_class_path == "builtins.ValueError"


def test_job_that_cannot_be_loaded_fails_at_once():
    stored = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="privacydesk.jobs.tests.tasks.no_such_job",
        backend_name="default",
    )
    assert Worker(batch=True).run() == 1
    stored.refresh_from_db()
    assert stored.status == TaskResultStatus.FAILED
    assert len(stored.worker_ids) == 1
    assert "no_such_job" in stored.traceback


def test_jobs_run_by_priority():
    low = tasks.add.using(priority=-5).enqueue(1, 1)
    high = tasks.add.using(priority=10).enqueue(2, 2)
    Worker(batch=True, max_tasks=1).run()
    assert row(high).status == TaskResultStatus.SUCCESSFUL
    assert row(low).status == TaskResultStatus.READY


def test_max_tasks_stops_the_worker():
    results = [tasks.add.enqueue(i, i) for i in range(3)]
    assert Worker(batch=True, max_tasks=2).run() == 2
    statuses = sorted(row(r).status for r in results)
    assert statuses == sorted([TaskResultStatus.SUCCESSFUL] * 2 + [TaskResultStatus.READY])


def test_delayed_job_is_left_for_later():
    later = tasks.add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(1, 2)
    assert Worker(batch=True).run() == 0
    assert row(later).status == TaskResultStatus.READY


def test_worker_only_takes_its_queues(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]}
    }
    mail = tasks.add.using(queue_name="mail").enqueue(1, 2)
    other = tasks.add.enqueue(3, 4)
    assert Worker(batch=True, queue_names=["mail"]).run() == 1
    assert row(mail).status == TaskResultStatus.SUCCESSFUL
    assert row(other).status == TaskResultStatus.READY


def test_batch_worker_leaves_no_heartbeat():
    worker = Worker(batch=True)
    worker.run()
    assert not WorkerHeartbeat.objects.filter(worker_id=worker.worker_id).exists()


def test_batch_worker_on_an_empty_queue_returns_at_once():
    assert Worker(batch=True).run() == 0


def test_a_job_whose_result_cannot_be_stored_is_not_run_again(db, tmp_path):
    from privacydesk.jobs.tests.tasks import returns_unstorable

    runs = tmp_path / "runs"
    result = returns_unstorable.enqueue(str(runs))
    Worker(batch=True).run()
    job = DBTaskResult.objects.get(id=result.id)
    assert job.status == "FAILED"
    assert runs.read_text() == "run\n"


def test_a_database_busy_for_a_moment_does_not_fail_a_job_that_ran(monkeypatch):
    """SQLite answers "database table is locked" while another connection writes; the
    worker waits for it instead of recording a job that ran as failed."""
    from django.db import OperationalError

    original = DBTaskResult.set_successful
    busy = {"left": 2}

    def set_successful(self, value):
        if busy["left"]:
            busy["left"] -= 1
            raise OperationalError("database table is locked")
        return original(self, value)

    monkeypatch.setattr(DBTaskResult, "set_successful", set_successful)
    result = tasks.add.enqueue(20, 22)
    assert Worker(batch=True).run() == 1
    stored = row(result)
    assert stored.status == TaskResultStatus.SUCCESSFUL and stored.return_value == 42
    assert busy["left"] == 0


def test_a_database_error_that_is_not_a_lock_still_fails_the_job(monkeypatch):
    from django.db import OperationalError

    def set_successful(self, value):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(DBTaskResult, "set_successful", set_successful)
    result = tasks.add.enqueue(1, 1)
    Worker(batch=True).run()
    assert row(result).status == TaskResultStatus.FAILED
