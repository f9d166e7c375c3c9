"""Periodic sweeps, orphaned jobs, pruning of finished jobs and the ``worker`` command."""

import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from privacydesk.jobs import registry
from privacydesk.jobs import worker as worker_module
from privacydesk.jobs.models import PeriodicRun, WorkerHeartbeat
from privacydesk.jobs.tasks import prune_finished
from privacydesk.jobs.tests import tasks
from privacydesk.jobs.worker import Worker, discover_jobs, enqueue_due_periodic, requeue_orphaned

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def only_tick(monkeypatch):
    """The periodic schedule holds only ``test.tick`` (every hour) during the test."""
    discover_jobs()  # import the real sweeps now, so they do not land in the test's schedule
    schedule: dict = {}
    monkeypatch.setattr(registry, "PERIODIC", schedule)
    monkeypatch.setattr(worker_module, "PERIODIC", schedule)
    registry.periodic(every=HOUR, name="test.tick")(tasks.tick)
    return schedule


def ticks() -> int:
    return DBTaskResult.objects.filter(task_path=tasks.tick.module_path).count()


# -- periodic schedule ------------------------------------------------------------------------


def test_periodic_job_is_enqueued_once_per_period(only_tick):
    now = timezone.now()
    assert enqueue_due_periodic(now) == ["test.tick"]
    assert ticks() == 1
    run = PeriodicRun.objects.get(name="test.tick")
    assert run.next_run_at == now + HOUR
    assert run.last_enqueued_at == now
    assert run.last_result_id == str(DBTaskResult.objects.get().id)

    assert enqueue_due_periodic(now) == []
    assert enqueue_due_periodic(now + timedelta(minutes=59)) == []
    assert ticks() == 1

    assert enqueue_due_periodic(now + HOUR + timedelta(seconds=1)) == ["test.tick"]
    assert ticks() == 2
    assert PeriodicRun.objects.get(name="test.tick").next_run_at == now + 2 * HOUR + timedelta(
        seconds=1
    )


def test_periodic_job_runs_in_the_worker(only_tick):
    enqueue_due_periodic()
    assert Worker(batch=True).run() == 1
    assert DBTaskResult.objects.get().return_value == "tick"


def test_nothing_scheduled_nothing_enqueued(monkeypatch):
    monkeypatch.setattr(worker_module, "PERIODIC", {})
    assert enqueue_due_periodic() == []
    assert not PeriodicRun.objects.exists()


def test_real_sweeps_are_registered():
    discover_jobs()
    assert {"audit.verify_chain", "jobs.prune_finished"} <= set(registry.PERIODIC)
    assert registry.PERIODIC["jobs.prune_finished"].task is prune_finished


def test_decorator_uses_the_task_path_without_a_name(monkeypatch):
    discover_jobs()
    schedule: dict = {}
    monkeypatch.setattr(registry, "PERIODIC", schedule)
    registry.periodic(every=HOUR)(tasks.tick)
    assert list(schedule) == [tasks.tick.module_path]


# -- orphaned jobs ----------------------------------------------------------------------------


def running(result, *, worker_ids, started_at) -> DBTaskResult:
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=worker_ids, started_at=started_at
    )
    return DBTaskResult.objects.get(id=result.id)


def beat(worker_id: str, last_seen) -> None:
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname="test", pid=1, started_at=last_seen, last_seen=last_seen
    )


def test_orphaned_jobs_are_requeued_or_failed(settings):
    settings.JOBS_MAX_ATTEMPTS = 3
    settings.JOBS_STALE_WORKER_SECONDS = 300
    now = timezone.now()
    long_ago = now - HOUR
    beat("dead", now - timedelta(minutes=10))
    beat("alive", now - timedelta(seconds=30))

    orphan = running(tasks.add.enqueue(1, 2), worker_ids=["dead"], started_at=long_ago)
    vanished = running(tasks.add.enqueue(2, 2), worker_ids=["gone"], started_at=long_ago)
    busy = running(tasks.add.enqueue(3, 2), worker_ids=["alive"], started_at=long_ago)
    just_started = running(tasks.add.enqueue(4, 2), worker_ids=["gone"], started_at=now)
    exhausted = running(
        tasks.add.enqueue(5, 2), worker_ids=["w1", "w2", "dead"], started_at=long_ago
    )
    single = running(tasks.fails_without_retry.enqueue(), worker_ids=["dead"], started_at=long_ago)

    assert requeue_orphaned(now) == 4

    def status(job):
        return DBTaskResult.objects.get(id=job.id).status

    assert status(orphan) == TaskResultStatus.READY
    assert status(vanished) == TaskResultStatus.READY
    assert status(busy) == TaskResultStatus.RUNNING
    assert status(just_started) == TaskResultStatus.RUNNING
    assert status(exhausted) == TaskResultStatus.FAILED
    assert status(single) == TaskResultStatus.FAILED

    requeued = DBTaskResult.objects.get(id=orphan.id)
    assert requeued.exception_class_path == "builtins.RuntimeError"
    assert "worker running this job stopped" in requeued.traceback
    failed = DBTaskResult.objects.get(id=exhausted.id)
    assert failed.finished_at is not None
    assert "worker running this job stopped" in failed.traceback

    # The requeued jobs run again and succeed; their history keeps the dead worker.
    worker = Worker(batch=True)
    assert worker.run() == 2
    done = DBTaskResult.objects.get(id=orphan.id)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == 3
    assert done.worker_ids == ["dead", worker.worker_id]


def test_orphan_of_a_job_module_not_yet_imported_keeps_its_attempt_limit(monkeypatch, settings):
    """A fresh worker process has not imported every job module when it looks for orphans."""
    settings.JOBS_MAX_ATTEMPTS = 3
    path = tasks.fails_without_retry.module_path
    # As if the module had never been imported in this process:
    monkeypatch.delitem(registry._MAX_ATTEMPTS, path)
    monkeypatch.delitem(sys.modules, tasks.__name__)
    job = running(
        tasks.fails_without_retry.enqueue(), worker_ids=["dead"], started_at=timezone.now() - HOUR
    )
    assert requeue_orphaned() == 1
    assert DBTaskResult.objects.get(id=job.id).status == TaskResultStatus.FAILED


def test_old_heartbeats_are_forgotten():
    now = timezone.now()
    beat("ancient", now - timedelta(days=2))
    beat("recent", now - timedelta(hours=2))
    requeue_orphaned(now)
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["recent"]


def test_no_orphans_nothing_changes():
    result = tasks.add.enqueue(1, 1)
    assert requeue_orphaned() == 0
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.READY


# -- pruning ----------------------------------------------------------------------------------


def finished(status, age: timedelta) -> DBTaskResult:
    result = tasks.add.enqueue(1, 1)
    DBTaskResult.objects.filter(id=result.id).update(
        status=status, finished_at=timezone.now() - age
    )
    return result


def test_prune_finished_keeps_failures_longer():
    day = timedelta(days=1)
    old_ok = finished(TaskResultStatus.SUCCESSFUL, 31 * day)
    new_ok = finished(TaskResultStatus.SUCCESSFUL, 29 * day)
    old_failed = finished(TaskResultStatus.FAILED, 91 * day)
    mid_failed = finished(TaskResultStatus.FAILED, 31 * day)
    new_failed = finished(TaskResultStatus.FAILED, day)
    waiting = tasks.add.enqueue(2, 2)
    DBTaskResult.objects.filter(id=waiting.id).update(enqueued_at=timezone.now() - 200 * day)

    assert prune_finished.call() == {"successful_removed": 1, "failed_removed": 1}
    left = {str(i) for i in DBTaskResult.objects.values_list("id", flat=True)}
    assert left == {str(r.id) for r in (new_ok, mid_failed, new_failed, waiting)}
    assert str(old_ok.id) not in left
    assert str(old_failed.id) not in left


def test_prune_finished_runs_as_a_job():
    finished(TaskResultStatus.SUCCESSFUL, timedelta(days=40))
    job = prune_finished.enqueue()
    Worker(batch=True).run()
    assert DBTaskResult.objects.get(id=job.id).return_value == {
        "successful_removed": 1,
        "failed_removed": 0,
    }


# -- the command ------------------------------------------------------------------------------


def test_worker_command_batch_runs_ready_jobs_and_exits():
    results = [tasks.add.enqueue(i, 10) for i in range(3)]
    out = StringIO()
    call_command("worker", "--batch", "--worker-id", "cmd-test", stdout=out)
    for i, result in enumerate(results):
        stored = DBTaskResult.objects.get(id=result.id)
        assert stored.status == TaskResultStatus.SUCCESSFUL
        assert stored.return_value == i + 10
        assert stored.worker_ids == ["cmd-test"]
    assert "worker cmd-test started" in out.getvalue()
    assert "worker cmd-test stopped after 3 jobs" in out.getvalue()
    assert not WorkerHeartbeat.objects.exists()


def test_worker_command_max_tasks():
    results = [tasks.add.enqueue(i, 1) for i in range(3)]
    call_command("worker", "--batch", "--max-tasks", "2", "--verbosity", "0", stdout=StringIO())
    done = DBTaskResult.objects.filter(
        id__in=[r.id for r in results], status=TaskResultStatus.SUCCESSFUL
    )
    assert done.count() == 2


def test_worker_command_on_an_empty_queue():
    out = StringIO()
    call_command("worker", "--batch", stdout=out)
    assert "stopped after 0 jobs" in out.getvalue()
