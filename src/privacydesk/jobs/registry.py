"""Declaring jobs: ``@job`` for queued work, ``@periodic`` for sweeps the worker schedules.

Jobs are django-tasks ``Task`` objects run by the database backend; this module only adds
what that library leaves to its users: how often a failing job is retried and which jobs
run on a schedule (django-tasks has no periodic schedule of its own).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import Task

_MAX_ATTEMPTS: dict[str, int] = {}
PERIODIC: dict[str, Periodic] = {}


@dataclass(frozen=True)
class Periodic:
    name: str
    task: Task
    every: timedelta
    #: For a daily job: the local time of day (``TIME_ZONE``) it runs at, so that "it ran
    #: today" holds all day long; the first run is at the worker's first start.
    at: time | None = None

    def next_after(self, now: datetime) -> datetime:
        """When the job is due next, after a run enqueued at ``now``."""
        if self.at is None:
            return now + self.every
        local = timezone.localtime(now)
        due = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        while due <= local:
            due += timedelta(days=1)  # wall-clock arithmetic: 00:15 stays 00:15 across DST
        return due


def job(
    *, max_attempts: int | None = None, priority: int = 0, takes_context: bool = False
) -> Callable[[Callable[..., Any]], Task]:
    """Declare a background job. ``max_attempts`` defaults to ``JOBS_MAX_ATTEMPTS``."""

    def decorate(fn: Callable[..., Any]) -> Task:
        declared = task(priority=priority, takes_context=takes_context)(fn)
        if max_attempts is not None:
            _MAX_ATTEMPTS[declared.module_path] = max_attempts
        return declared

    return decorate


def periodic(
    *, every: timedelta, name: str | None = None, at: time | None = None
) -> Callable[[Task], Task]:
    """Schedule a declared job to be enqueued by the worker every ``every``; a daily job
    (``every`` of one day) may name the local time of day ``at`` which it runs."""
    if at is not None and every != timedelta(days=1):
        raise ValueError("a time of day (at=) is for daily jobs only")

    def decorate(declared: Task) -> Task:
        key = name or declared.module_path
        PERIODIC[key] = Periodic(name=key, task=declared, every=every, at=at)
        return declared

    return decorate


def max_attempts_for(task_path: str) -> int:
    if task_path not in _MAX_ATTEMPTS:
        # A job's limit is declared when its module is imported; a worker that has not run
        # the job yet (it may be requeueing an orphan) has perhaps not imported it.
        with contextlib.suppress(Exception):
            import_string(task_path)
    return _MAX_ATTEMPTS.get(task_path, settings.JOBS_MAX_ATTEMPTS)


def last_finished(declared: Task):
    """When a run of the job last finished successfully (``None``: never, or long ago).

    Read from django-tasks' own results (``DBTaskResult``): ``PeriodicRun.last_enqueued_at``
    only says the job was queued, not that it ran; a job that fails every time has no
    successful result. Successful results are kept 30 days (``jobs.tasks``).
    """
    from django_tasks_db.models import DBTaskResult

    return (
        DBTaskResult.objects.successful()
        .filter(task_path=declared.module_path, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
