"""Two real worker processes on one PostgreSQL queue never run a job twice (DESIGN.md 5)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from privacydesk.jobs.models import PeriodicRun, WorkerHeartbeat
from privacydesk.jobs.registry import PERIODIC
from privacydesk.jobs.tests import tasks
from privacydesk.jobs.worker import discover_jobs
from privacydesk.testing import requires_postgres

JOBS = 200
TIMEOUT = 60


def test_database_url() -> str:
    """A DATABASE_URL for the database this test runs against (pytest-django's test db)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


class Workers:
    """Worker subprocesses whose output goes to files, shown when an assertion fails."""

    def __init__(self, tmp_path: Path, count: int) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "PRIVACYDESK_DATA_DIR": str(tmp_path / "data"),
            # Given, not generated: two processes starting on a fresh data dir race to write
            # its secret_key file (conf.secret_key), and one of them crashes.
            "SECRET_KEY": settings.SECRET_KEY,
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
        }
        self.logs = [tmp_path / f"worker{n}.log" for n in range(count)]
        self.procs = []
        for log in self.logs:
            with log.open("wb") as out:
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "privacydesk", "worker", "--interval", "0.1"],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )

    def output(self) -> str:
        parts = []
        for proc, log in zip(self.procs, self.logs, strict=True):
            text = log.read_text(errors="replace") if log.exists() else ""
            parts.append(f"--- worker pid {proc.pid} (exit {proc.returncode}) ---\n{text}")
        return "\n".join(parts)

    def check_alive(self) -> None:
        dead = [p for p in self.procs if p.poll() is not None]
        assert not dead, f"a worker exited early\n{self.output()}"

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(condition, what: str, workers: Workers) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        workers.check_alive()
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{workers.output()}"
        time.sleep(0.1)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_run_every_job_exactly_once(tmp_path):
    # Keep the real periodic sweeps out of the way: not due during this test.
    discover_jobs()
    PeriodicRun.objects.bulk_create(
        [
            PeriodicRun(name=name, next_run_at=timezone.now() + timedelta(days=1))
            for name in PERIODIC
        ]
    )
    ran = tmp_path / "ran.txt"
    ran.touch()

    workers = Workers(tmp_path, 2)
    try:
        wait_for(lambda: WorkerHeartbeat.objects.count() == 2, "both heartbeats", workers)
        worker_pids = set(WorkerHeartbeat.objects.values_list("pid", flat=True))
        assert worker_pids == {p.pid for p in workers.procs}

        with transaction.atomic():  # all jobs appear at once, so both workers find work
            ids = {str(tasks.note_pid.enqueue(str(ran)).id) for _ in range(JOBS)}
        assert len(ids) == JOBS
        jobs = DBTaskResult.objects.filter(task_path=tasks.note_pid.module_path)
        wait_for(
            lambda: jobs.filter(status=TaskResultStatus.SUCCESSFUL).count() == JOBS,
            f"{JOBS} successful jobs",
            workers,
        )
    finally:
        workers.stop()
    log = workers.output()

    assert [p.returncode for p in workers.procs] == [0, 0], log
    assert not WorkerHeartbeat.objects.exists(), "stopped workers remove their heartbeat"

    lines = ran.read_text().splitlines()
    runs = Counter(line.split()[0] for line in lines)
    assert set(runs) == ids, log
    assert [job for job, n in runs.items() if n != 1] == [], log
    assert len(lines) == JOBS

    by_pid = Counter(int(line.split()[1]) for line in lines)
    assert set(by_pid) == worker_pids, f"both workers should have run jobs: {by_pid}\n{log}"

    for job in jobs:
        assert job.status == TaskResultStatus.SUCCESSFUL
        assert len(job.worker_ids) == 1, (job.id, job.worker_ids)
        assert job.return_value in worker_pids
    assert len({w for job in jobs for w in job.worker_ids}) == 2
    assert not DBTaskResult.objects.exclude(task_path=tasks.note_pid.module_path).exists()
