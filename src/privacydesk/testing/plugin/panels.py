from django.http import HttpRequest

from privacydesk.spine.panels import panel


@panel
def plugin_panel(request: HttpRequest) -> dict | None:
    return {"title": "Plug-in panel", "lines": ["shown by an app nothing central names"]}
