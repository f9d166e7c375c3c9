"""Debian's Chromium driven by Playwright for Python, from a thread of its own.

Playwright's browser builds are never downloaded (no ``playwright install``): the tests use
``/usr/bin/chromium`` from Debian, which ``scripts/test`` installs.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


class Remote:
    """A Playwright object that lives in the browser thread, used from the test's thread.

    Playwright's sync API keeps an asyncio loop running (in a greenlet) on the thread that
    started it, and Django then refuses every database call on that thread
    (``SynchronousOnlyOperation``). So Playwright gets a thread of its own and each call is
    handed to it; results that are Playwright objects come back wrapped again. Event handlers
    (``page.on``) run in the browser thread and get the plain objects.
    """

    def __init__(self, runner: ThreadPoolExecutor, target):
        object.__setattr__(self, "_runner", runner)
        object.__setattr__(self, "_target", target)

    def _call(self, fn, *args, **kwargs):
        args = tuple(_plain(a) for a in args)
        kwargs = {key: _plain(value) for key, value in kwargs.items()}
        return self._wrap(self._runner.submit(fn, *args, **kwargs).result())

    def _wrap(self, value):
        if isinstance(value, list):
            return [self._wrap(item) for item in value]
        module = type(value).__module__ or ""
        if module.startswith("playwright.") and not isinstance(value, BaseException):
            return Remote(self._runner, value)
        return value

    def __getattr__(self, name: str):
        value = self._call(getattr, self._target, name)
        if isinstance(value, Remote) or not callable(value):
            return value
        return lambda *args, **kwargs: self._call(value, *args, **kwargs)

    def __enter__(self):
        return self._call(self._target.__enter__)

    def __exit__(self, *exc_info):
        return self._call(self._target.__exit__, *exc_info)

    def __repr__(self) -> str:
        return f"Remote({self._target!r})"


def _plain(value):
    return object.__getattribute__(value, "_target") if isinstance(value, Remote) else value


@contextmanager
def launch() -> Iterator[Remote]:
    """Debian's Chromium, headless, started once; Playwright's own browser builds are not used."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test does)")
    runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
    playwright = runner.submit(lambda: sync_playwright().start()).result()
    try:
        browser = runner.submit(
            playwright.chromium.launch, executable_path=CHROMIUM, args=CHROMIUM_ARGS
        ).result()
        try:
            yield Remote(runner, browser)
        finally:
            runner.submit(browser.close).result()
    finally:
        runner.submit(playwright.stop).result()
        runner.shutdown()
