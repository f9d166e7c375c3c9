"""Home-page panels of the back office. Each app adds its own with ``@panel`` in ``panels.py``,
and its public pages to the public site's menu with ``public_link`` (same module).

A panel is a function of the request returning a dict for the template (title, lines, link)
or None when the user's role may not see it. Panels of an app that is not installed (any
more) are not shown.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class PublicLink:
    """A public page in the site's menu and on its home page: URL name, label, one line."""

    url_name: str
    label: object  # a lazy translation
    summary: object
    order: int
    module: str


_PUBLIC_LINKS: dict[str, PublicLink] = {}


def public_link(url_name: str, label, summary, *, order: int = 50) -> None:
    """Show the public page ``url_name`` in the menu (``label``) and on the home page
    (``summary``); labels are lazy translations, so each page shows them in its language."""
    module = sys._getframe(1).f_globals.get("__name__", "")
    _PUBLIC_LINKS[url_name] = PublicLink(url_name, label, summary, order, module)


def public_links() -> list[PublicLink]:
    """The installed apps' public pages, in menu order."""
    links = [link for link in _PUBLIC_LINKS.values() if installed(link.module)]
    return sorted(links, key=lambda link: (link.order, link.url_name))
