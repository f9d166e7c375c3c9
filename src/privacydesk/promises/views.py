"""The promise board: each promise's latest check, its evidence and its history."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from privacydesk.audit.services import actor_for, record
from privacydesk.promises import services
from privacydesk.promises.titles import TITLES
from privacydesk.spine import promises

COLOURS = {"ok": "#2e7d32", "failed": "#c62828", "not-built": "#9e9e9e"}
BAR, GAP = 10, 2


@require_safe
def board(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("promises.view_promisecheck"):
        raise PermissionDenied
    rows = services.board()
    lang = "en" if translation.get_language() == "en" else "nl"
    for row in rows:
        row["title"] = TITLES[row["promise"]]
        row["bars"] = [
            {"x": i * (BAR + GAP), "fill": COLOURS[c.status], "check": c}
            for i, c in enumerate(row["history"])
        ]
        if row["latest"]:
            row["evidence"] = row["latest"].evidence_in(lang)
        row["width"] = max(1, len(row["history"])) * (BAR + GAP)
    record(actor=actor_for(request.user), action="promises.board_viewed")
    context = {
        **admin.site.each_context(request),
        "title": _("Promise board"),
        "rows": rows,
        "bar": BAR,
        "notices": promises.notices(request),
    }
    return render(request, "promises/board.html", context)
