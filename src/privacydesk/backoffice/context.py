"""Template context for the public site: the menu of every installed app's public pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from privacydesk.spine.panels import public_links


def public_menu(request: HttpRequest) -> dict:
    def menu() -> list[dict]:
        items = []
        for link in public_links():
            try:
                url = reverse(link.url_name)
            except NoReverseMatch:
                continue
            items.append({"url": url, "label": link.label, "summary": link.summary})
        return items

    return {"public_menu": menu}
