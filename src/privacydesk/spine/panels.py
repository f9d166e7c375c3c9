"""Home-page panels of the back office. Each app adds its own with ``@panel`` in ``panels.py``.

A panel is a function of the request returning a dict for the template (title, lines, link)
or None when the user's role may not see it. Panels of an app that is not installed (any
more) are not shown.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from privacydesk.spine.plugins import installed

Panel = Callable[[HttpRequest], dict | None]
_PANELS: list[Panel] = []


def panel(fn: Panel) -> Panel:
    if fn not in _PANELS:
        _PANELS.append(fn)
    return fn


def panels_for(request: HttpRequest) -> list[dict]:
    shown = []
    for fn in _PANELS:
        if not installed(fn.__module__):
            continue
        data = fn(request)
        if data:
            shown.append(data)
    return shown
