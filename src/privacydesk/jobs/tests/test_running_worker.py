"""A worker in its normal (not batch) loop: heartbeat, periodic sweeps, stop on request."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from privacydesk.jobs import registry
from privacydesk.jobs import worker as worker_module
from privacydesk.jobs.models import PeriodicRun, WorkerHeartbeat
from privacydesk.jobs.tests import tasks
from privacydesk.jobs.worker import Worker, discover_jobs


def wait_for(condition, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not _holds(condition):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _holds(condition) -> bool:
    try:
        return bool(condition())
    except OperationalError as exc:
        # SQLite's in-memory test database (shared cache) locks whole tables while another
        # thread writes; a file database in WAL mode, as deployed, lets readers through.
        if connection.vendor == "sqlite" and is_locked_database_exception(exc):
            return False
        raise


@pytest.mark.django_db(transaction=True)
def test_running_worker_beats_enqueues_sweeps_and_stops(monkeypatch):
    discover_jobs()
    schedule: dict = {}
    monkeypatch.setattr(registry, "PERIODIC", schedule)
    monkeypatch.setattr(worker_module, "PERIODIC", schedule)
    registry.periodic(every=timedelta(hours=1), name="test.tick")(tasks.tick)

    worker = Worker(interval=0.05, heartbeat_seconds=0.1)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="worker")
    thread.start()
    try:
        ticks = DBTaskResult.objects.filter(task_path=tasks.tick.module_path)
        wait_for(
            lambda: ticks.filter(status=TaskResultStatus.SUCCESSFUL).exists() or errors,
            "the periodic job to run",
        )
        enqueued: list = []
        wait_for(lambda: enqueued.append(tasks.add.enqueue(20, 22)) or enqueued, "enqueue")
        added = enqueued[0]
        wait_for(
            lambda: (
                DBTaskResult.objects.get(id=added.id).status == TaskResultStatus.SUCCESSFUL
                or errors
            ),
            "a queued job to run",
        )
        beats = WorkerHeartbeat.objects.filter(worker_id=worker.worker_id)
        first: list = []
        wait_for(lambda: first.extend(beats.values_list("last_seen", flat=True)) or first, "beat")
        wait_for(lambda: beats.filter(last_seen__gt=first[0]).exists(), "a second heartbeat")
    finally:
        worker.running = False
        thread.join(timeout=20)
    assert not thread.is_alive()
    assert errors == []
    assert worker.ran == 2
    assert ticks.count() == 1, "a sweep is enqueued once per period"
    assert not WorkerHeartbeat.objects.exists()
    assert PeriodicRun.objects.get(name="test.tick").last_result_id
    assert DBTaskResult.objects.get(id=added.id).return_value == 42
