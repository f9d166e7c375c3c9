"""The customer portal at ``/vault/<token>/`` (P4). Thin: the rules are in ``portal.py``.

The token is the first factor, the PIN from intake the second; after the PIN this browser
session may list and download the job's items. Every page and download is ``never_cache``.
"""

from __future__ import annotations

import shlex

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from privacydesk.vault import names, storage
from privacydesk.vault import portal as rules
from privacydesk.vault.models import RecoveryJob, VaultItem

Refusal = HttpResponse


def _gone(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(request, "vault/portal_gone.html", {"reason": reason}, status=status)


def _locked(request: HttpRequest) -> HttpResponse:
    return render(request, "vault/portal_locked.html", status=403)


_REFUSALS = {
    rules.LinkState.INVALID: ("invalid", 404),
    rules.LinkState.REPLACED: ("replaced", 410),
    rules.LinkState.EMPTY: ("empty", 200),
    rules.LinkState.ERASED: ("erased", 410),
}


def _open(
    request: HttpRequest, token: str, *, page: bool = True
) -> tuple[RecoveryJob | None, Refusal | None]:
    """The job of a live link, or the page that says why not (in the words of what the
    customer received: the link by e-mail, the PIN at intake)."""
    state, job = rules.open_link(token)
    if state is rules.LinkState.EMPTY and not page:  # a download of a job without files
        return None, _gone(request, "item", 404)
    if state is not rules.LinkState.LIVE:
        reason, status = _REFUSALS[state]
        return None, _gone(request, reason, status)
    return job, None


def _unlocked(request: HttpRequest, token: str) -> tuple[RecoveryJob | None, Refusal | None]:
    """The job if this session gave its PIN; otherwise the page to show instead."""
    job, refusal = _open(request, token, page=False)
    if refusal is not None:
        return None, refusal
    if job.locked_at is not None:
        return None, _locked(request)
    if not rules.is_unlocked(request.session, job):
        return None, redirect(reverse("vault:portal", kwargs={"token": token}))
    return job, None


def _item(
    request: HttpRequest, job: RecoveryJob, item_id
) -> tuple[VaultItem | None, Refusal | None]:
    item = rules.live_items(job).filter(pk=item_id).first()
    if item is None:
        return None, _gone(request, "item", 404)
    if not rules.item_available(item):
        return None, _gone(request, "item", 410)
    return item, None


def _unlocked_item(
    request: HttpRequest, token: str, item_id
) -> tuple[RecoveryJob | None, VaultItem | None, Refusal | None]:
    """The job (PIN given in this session) and one of its live items, or the refusal page."""
    job, refusal = _unlocked(request, token)
    if refusal is not None:
        return None, None, refusal
    item, refusal = _item(request, job, item_id)
    return job, item, refusal


def _file_headers(response: HttpResponse, filename: str, content_type: str) -> HttpResponse:
    response["Content-Type"] = content_type
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _ranged(
    request: HttpRequest, size: int, etag: str, stream, filename: str, audit
) -> HttpResponse:
    """A 200, 206 or 416 response for a download of ``size`` bytes with HTTP Range support.

    ``stream(first, last)`` gives the body; ``audit(partial)`` records a real download.
    """
    header = request.headers.get("Range")
    if header and request.headers.get("If-Range", etag) != etag:
        header = None  # the client's copy is of something else: send it all again
    try:
        byte_range = rules.parse_range(header, size)
    except rules.Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = byte_range or (0, size - 1)
    status = 206 if byte_range else 200
    if request.method == "HEAD":
        response = HttpResponse(status=status)
    else:
        audit(partial=byte_range is not None)
        response = StreamingHttpResponse(stream(first, last), status=status)
    _file_headers(response, filename, "application/octet-stream")
    response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    if byte_range:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def portal(request: HttpRequest, token: str) -> HttpResponse:
    job, refusal = _open(request, token)
    if refusal is not None:
        return refusal
    if job.locked_at is not None:
        return _locked(request)
    if request.method == "POST":
        if request.POST.get("action") == "forget":
            rules.forget(request.session, job)
            return redirect(request.path)
        if rules.is_unlocked(request.session, job):
            return redirect(request.path)
        pin = rules.normalise_pin(request.POST.get("pin", ""))
        if pin is None:
            return render(request, "vault/portal_pin.html", {"error": "format"})
        check = rules.check_pin(job, pin)
        if check.result is rules.PinResult.OK:
            rules.grant(request.session, job)
            return redirect(request.path)
        if check.result is rules.PinResult.LOCKED:
            return _locked(request)
        return render(
            request,
            "vault/portal_pin.html",
            {"error": "wrong", "attempts_left": check.attempts_left},
        )
    if not rules.is_unlocked(request.session, job):
        return render(request, "vault/portal_pin.html")
    items = list(rules.live_items(job))
    rows = [
        {
            "item": item,
            "sha256_parts": [item.sha256[i : i + 16] for i in range(0, len(item.sha256), 16)],
            "download": reverse("vault:download", kwargs={"token": token, "item_id": item.pk}),
            "encrypted": reverse(
                "vault:download_encrypted", kwargs={"token": token, "item_id": item.pk}
            ),
            "key": reverse("vault:key", kwargs={"token": token, "item_id": item.pk}),
            "name": names.clean(item.name),
            "file_name": rules.download_name(item),
        }
        for item in items
    ]
    context = {
        "job": job,
        "rows": rows,
        "total_size": sum(item.size for item in items),
        "erasure_date": rules.erasure_date(items),
        "zip_url": reverse("vault:zip", kwargs={"token": token}),
    }
    return render(request, "vault/portal_items.html", context)


@never_cache
@require_safe
def download(request: HttpRequest, token: str, item_id) -> HttpResponse:
    """The decrypted item, verified before its last byte; Range for resuming."""
    job, item, refusal = _unlocked_item(request, token, item_id)
    if refusal is not None:
        return refusal
    return _ranged(
        request,
        item.size,
        f'"{item.sha256}"',
        lambda first, last: rules.decrypted(item, first, last),
        rules.download_name(item),
        lambda partial: rules.record_download(job, item, "decrypted", partial=partial),
    )


@never_cache
@require_safe
def download_encrypted(request: HttpRequest, token: str, item_id) -> HttpResponse:
    """The stored age file as it is, for decryption at home with the item's key."""
    job, item, refusal = _unlocked_item(request, token, item_id)
    if refusal is not None:
        return refusal
    return _ranged(
        request,
        storage.size_of(item.blob),
        f'"{item.pk.hex}-age"',
        lambda first, last: rules.encrypted(item, first, last),
        f"{rules.download_name(item)}.age",
        lambda partial: rules.record_download(job, item, "encrypted", partial=partial),
    )


@never_cache
@require_GET
def item_key(request: HttpRequest, token: str, item_id) -> HttpResponse:
    """The item's age identity as ``<name>.key`` (audited as ``vault.key_revealed``)."""
    _job, item, refusal = _unlocked_item(request, token, item_id)
    if refusal is not None:
        return refusal
    name = rules.download_name(item)
    command = shlex.join(["age", "-d", "-i", f"{name}.key", "-o", name, f"{name}.age"])
    intro = [
        _("Key (age identity) for the file %(name)s from coMPjoeter.") % {"name": name},
        _("Keep it secret: anyone who has it can open %(file)s.") % {"file": f"{name}.age"},
        _("To decrypt, install age (https://age-encryption.org) and run:"),
        f"  {command}",
    ]
    response = HttpResponse(rules.key_file(item, intro=intro))
    return _file_headers(response, f"{name}.key", "text/plain; charset=utf-8")


@never_cache
@require_safe
def download_zip(request: HttpRequest, token: str) -> HttpResponse:
    """All the job's items as one ZIP, streamed; aborted if any item fails verification."""
    job, refusal = _unlocked(request, token)
    if refusal is not None:
        return refusal
    items = [item for item in rules.live_items(job) if rules.key_available(item)]
    if not items:
        return _gone(request, "erased", 410)
    if request.method == "HEAD":
        response = HttpResponse()
    else:
        rules.record_download(job, None, "zip", items=[str(item.pk) for item in items])
        response = StreamingHttpResponse(rules.zipped(items))
    response["Accept-Ranges"] = "none"
    return _file_headers(response, f"compjoeter-{job.pk}.zip", "application/zip")
