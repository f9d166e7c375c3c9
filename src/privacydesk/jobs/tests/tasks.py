"""Jobs that exist only for the tests. Worker subprocesses import them by their dotted path."""

from __future__ import annotations

import os
import time

from privacydesk.jobs.registry import job


class Boom(RuntimeError):
    """The error the failing test jobs raise."""


@job()
def add(a: int, b: int) -> int:
    return a + b


@job()
def tick() -> str:
    return "tick"


@job()
def always_fails() -> None:
    raise Boom("this job always fails")


@job(takes_context=True)
def fails_on_first_attempt(context) -> int:
    if context.attempt == 1:
        raise Boom("first attempt fails")
    return context.attempt


@job(max_attempts=1)
def fails_without_retry() -> None:
    raise Boom("no second chance")


@job(takes_context=True)
def note_pid(context, path: str, pause: float = 0.003) -> int:
    """Append ``<job id> <pid>`` to ``path`` in one write (O_APPEND keeps lines whole)."""
    time.sleep(pause)
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{context.task_result.id} {os.getpid()}\n")
    return os.getpid()


@job()
def returns_unstorable(path: str) -> object:
    """Counts its runs in ``path`` and returns a value JSON cannot hold."""
    with open(path, "a") as fh:
        fh.write("run\n")
    return {1, 2, 3}
