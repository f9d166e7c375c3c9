"""The promise checks of the board (DESIGN.md section 1): each app proves what it keeps.

An app declares, in its own ``promises.py``, a check per promise its mechanism keeps::

    from privacydesk.spine.promises import Finding, keeps

    @keeps("P4")
    def nothing_readable_after_its_day() -> Finding:
        ...
        return Finding(ok=not late, evidence="3 items stored, none past its day")

A check reads live data and returns one :class:`Finding`: whether the promise holds and the
evidence, one sentence without personal data, translatable (``format_lazy`` of a
``gettext_lazy`` text): the board shows it in the page's language, the CLI in English.
:func:`evaluate` runs every installed app's checks; a promise no installed app checks is
*not built* (never green), a promise with one failing check is *failed*.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from privacydesk.spine.plugins import app_modules, installed

PROMISES = tuple(f"P{n}" for n in range(1, 16))
OK, FAILED, NOT_BUILT = "ok", "failed", "not-built"
PROMISES_MODULE = "promises"


@dataclass(frozen=True)
class Finding:
    ok: bool
    evidence: Any  # str, or a lazy translatable text


@dataclass(frozen=True)
class Outcome:
    promise: str
    status: str
    evidence: str  # English
    evidence_nl: str


Check = Callable[[], Finding]
_CHECKS: dict[str, list[Check]] = {}


def keeps(promise: str) -> Callable[[Check], Check]:
    if promise not in PROMISES:
        raise ValueError(f"unknown promise {promise!r}")

    def declare(fn: Check) -> Check:
        checks = _CHECKS.setdefault(promise, [])
        if fn not in checks:
            checks.append(fn)
        return fn

    return declare


#: Lines an app shows on the promise board above the promises (a breach's 72-hour clock):
#: functions of the request returning translated lines, empty when there is nothing to say
#: or the user may not see it.
Notice = Callable[[Any], list[str]]
_NOTICES: list[Notice] = []


def board_notice(fn: Notice) -> Notice:
    if fn not in _NOTICES:
        _NOTICES.append(fn)
    return fn


def notices(request) -> list[str]:
    """The board's notices from every installed app, in registration order."""
    discover()
    lines: list[str] = []
    for fn in _NOTICES:
        if installed(fn.__module__):
            lines.extend(fn(request))
    return lines


def discover() -> None:
    for _config, _module in app_modules(PROMISES_MODULE):
        pass  # importing the module declares its checks


def _joined(findings: list[Finding], lang: str) -> str:
    with translation.override(lang):
        return "; ".join(str(f.evidence) for f in findings)


def evaluate() -> list[Outcome]:
    """Every promise, P1 to P15, checked now against live data."""
    discover()
    outcomes = []
    for promise in PROMISES:
        checks = [fn for fn in _CHECKS.get(promise, []) if installed(fn.__module__)]
        if not checks:
            shown = [Finding(False, _("no mechanism checks this promise yet"))]
            outcomes.append(Outcome(promise, NOT_BUILT, _joined(shown, "en"), _joined(shown, "nl")))
            continue
        findings = []
        for fn in checks:
            try:
                findings.append(fn())
            except Exception as exc:  # a check that cannot run proves nothing
                findings.append(Finding(False, f"{fn.__name__}: {type(exc).__name__}"))
        failed = [f for f in findings if not f.ok]
        shown = failed or findings
        outcomes.append(
            Outcome(promise, FAILED if failed else OK, _joined(shown, "en"), _joined(shown, "nl"))
        )
    return outcomes
