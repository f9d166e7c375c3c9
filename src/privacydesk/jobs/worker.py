"""The worker: runs queued jobs from django-tasks' database queue and enqueues periodic sweeps.

Claiming a job uses the queue library's own locking (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, an exclusive transaction on SQLite), so several workers never run one job twice.
What this module adds: retries with a delay, a heartbeat per worker so jobs of a worker that
died are picked up again, and the periodic schedule.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from traceback import format_exception

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.utils import OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import autodiscover_modules
from django_tasks import TaskContext
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from privacydesk.jobs.models import PeriodicRun, WorkerHeartbeat
from privacydesk.jobs.registry import PERIODIC, max_attempts_for

logger = logging.getLogger("privacydesk.jobs")


def discover_jobs() -> None:
    """Import every installed app's ``tasks`` module so its jobs and schedules are declared."""
    autodiscover_modules("tasks")


def enqueue_due_periodic(now=None) -> list[str]:
    """Enqueue each periodic job whose time has come; safe with several workers at once."""
    now = now or timezone.now()
    if not PERIODIC:
        return []
    PeriodicRun.objects.bulk_create(
        [PeriodicRun(name=name, next_run_at=now) for name in PERIODIC], ignore_conflicts=True
    )
    enqueued = []
    with exclusive_transaction():
        due = PeriodicRun.objects.select_for_update(skip_locked=True).filter(
            name__in=list(PERIODIC), next_run_at__lte=now
        )
        for run in due:
            result = PERIODIC[run.name].task.enqueue()
            run.next_run_at = PERIODIC[run.name].next_after(now)
            run.last_enqueued_at = now
            run.last_result_id = str(result.id)
            run.save(update_fields=["next_run_at", "last_enqueued_at", "last_result_id"])
            enqueued.append(run.name)
    return enqueued


def requeue_orphaned(now=None) -> int:
    """Jobs left RUNNING by a worker whose heartbeat stopped go back to the queue (or fail)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOBS_STALE_WORKER_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).values_list("worker_id", flat=True)
    )
    count = 0
    with exclusive_transaction():
        running = DBTaskResult.objects.running().select_for_update(skip_locked=True)
        for job in running:
            if job.worker_ids and job.worker_ids[-1] in alive:
                continue
            if job.started_at and job.started_at > cutoff:
                continue
            _retry_or_fail(job, RuntimeError("the worker running this job stopped"), now=now)
            count += 1
    WorkerHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=1)).delete()
    return count


LOCK_PATIENCE_SECONDS = 10.0


def _store_success(job: DBTaskResult, value) -> None:
    """Record a job that ran as successful. A database that is busy for a moment (SQLite
    holds its write lock while another connection commits) is waited for, since the job's
    effects are done and marking it failed would be untrue; other errors go up."""
    deadline = time.monotonic() + LOCK_PATIENCE_SECONDS
    while True:
        try:
            with transaction.atomic():
                job.set_successful(value)
            return
        except OperationalError as exc:
            if not is_locked_database_exception(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _retry_or_fail(job: DBTaskResult, exc: BaseException, *, now=None) -> bool:
    """Record the error; queue the job again if it has attempts left. True when retried."""
    now = now or timezone.now()
    attempts = len(job.worker_ids)
    job.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
    job.traceback = "".join(format_exception(exc))
    if attempts < max_attempts_for(job.task_path):
        job.status = TaskResultStatus.READY
        job.run_after = now + timedelta(seconds=settings.JOBS_RETRY_DELAY_SECONDS * attempts)
        job.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])
        logger.warning(
            "job %s (%s) failed on attempt %d, retrying", job.id, job.task_path, attempts
        )
        return True
    job.set_failed(exc)
    logger.error("job %s (%s) failed after %d attempts", job.id, job.task_path, attempts)
    return False


@dataclass
class Worker:
    """One worker process. ``run`` loops until stopped; ``batch`` stops when the queue is empty."""

    interval: float = 1.0
    batch: bool = False
    max_tasks: int | None = None
    queue_names: list[str] = field(default_factory=lambda: ["*"])
    worker_id: str = field(default_factory=lambda: get_random_string(32))
    backend_name: str = "default"
    heartbeat_seconds: float = 15.0

    def __post_init__(self) -> None:
        self.running = True
        self.ran = 0
        self._stop_beat = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        def stop(signum, frame):
            logger.info("worker %s stopping after the current job", self.worker_id)
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run(self) -> int:
        """Run jobs until stopped (or, in batch mode, until none is ready). Returns jobs run."""
        discover_jobs()
        self._beat()
        beat = threading.Thread(target=self._beat_loop, name="heartbeat", daemon=True)
        if not self.batch:  # a batch run is short; its single beat is enough
            beat.start()
        try:
            while self.running:
                # Drop broken or expired connections between jobs, but never one a caller's
                # transaction is using (``run`` inside ``atomic``, as in tests on PostgreSQL).
                if not connection.in_atomic_block:
                    close_old_connections()
                if not self.batch:
                    self._safely(enqueue_due_periodic)
                    self._safely(requeue_orphaned)
                job = self._claim()
                if job is not None:
                    self.run_job(job)
                    self.ran += 1
                    if self.max_tasks is not None and self.ran >= self.max_tasks:
                        break
                    continue
                if self.batch and not self._retry_pending():
                    break
                time.sleep(self.interval if not self.batch else 0.05)
        finally:
            self._stop_beat.set()
            if beat.is_alive():
                beat.join(timeout=5)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        return self.ran

    def _safely(self, fn) -> None:
        try:
            fn()
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise

    def _retry_pending(self) -> bool:
        """In batch mode, go on while jobs are ready (a claim may have met a locked database)
        or retries are due within a second, rather than leave them behind."""
        soon = timezone.now() + timedelta(seconds=1)
        queue = self._queue()
        return (
            queue.ready().exists()
            or queue.filter(status=TaskResultStatus.READY, run_after__lte=soon).exists()
        )

    def _queue(self):
        jobs = DBTaskResult.objects.filter(backend_name=self.backend_name)
        if "*" not in self.queue_names:
            jobs = jobs.filter(queue_name__in=self.queue_names)
        return jobs

    def _claim(self) -> DBTaskResult | None:
        ready = self._queue().ready()
        try:
            with exclusive_transaction(ready.db):
                job = ready.get_locked()
                if job is not None:
                    job.claim(self.worker_id)
                return job
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise

    # -- running one job ---------------------------------------------------------------
    def run_job(self, job: DBTaskResult) -> None:
        """Run a claimed job; success is recorded, failure retried or recorded as failed."""
        try:
            declared = job.task
            result = job.task_result
            backend_type = type(declared.get_backend())
        except BaseException as exc:  # the job cannot even be loaded: no retry helps
            job.set_failed(exc)
            logger.error("job %s cannot be loaded (%s)", job.id, job.task_path)
            return
        task_started.send(sender=backend_type, task_result=result)
        try:
            if declared.takes_context:
                value = declared.call(
                    TaskContext(task_result=result), *result.args, **result.kwargs
                )
            else:
                value = declared.call(*result.args, **result.kwargs)
        except Exception as exc:
            if _retry_or_fail(job, exc):
                return
        else:
            try:
                json.dumps(value)  # the result column is JSON; check before touching the row
                _store_success(job, value)
            except Exception as exc:  # the job ran; running it again would repeat its effects
                job.set_failed(exc)
                logger.error("job %s (%s) ran but its result was not stored", job.id, job.task_path)
        task_finished.send(sender=backend_type, task_result=job.task_result)

    # -- heartbeat ---------------------------------------------------------------------
    def _beat(self) -> None:
        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"last_seen": now},
            create_defaults={
                "last_seen": now,
                "started_at": now,
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
            },
        )

    def _beat_loop(self) -> None:
        try:
            while not self._stop_beat.wait(self.heartbeat_seconds):
                try:
                    self._beat()
                except OperationalError as exc:
                    if not is_locked_database_exception(exc):
                        logger.warning("heartbeat failed: %s", type(exc).__name__)
        finally:
            connection.close()
