"""Staff pages of the vault (DESIGN.md sections 4 and 7). Thin: the work is in ``services``.

Who sees what:

- A technician (the role with ``vault.add_vaultitem``) works on their own jobs only: list,
  intake, detail, upload, unlock, revoke, certificates. Another technician's job (or item,
  or certificate) is 404, the same answer as for one that does not exist: no oracle.
- The privacy officer and the admin (``vault.view_recoveryjob`` without the work permission)
  see the metadata of every job; the privacy officer sets legal holds, the admin unlocks links.

Every page that shows a job, and every certificate download, writes an audit entry.
"""

from __future__ import annotations

import html

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParser
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from privacydesk.audit.services import actor_for, record
from privacydesk.vault import erasure, keyring, links, services
from privacydesk.vault.forms import HoldForm, JobForm, UploadForm
from privacydesk.vault.models import DeletionCertificate, RecoveryJob, VaultItem

VIEW = "vault.view_recoveryjob"
WORK = "vault.add_vaultitem"
JOBS_PER_PAGE = 50
NEW_LINK_KEY = "vault_new_link"


def own_jobs_only(user) -> bool:
    """Staff who handle the content (technicians) are limited to the jobs assigned to them."""
    return user.has_perm(WORK)


def _job_for(request: HttpRequest, job_id: int) -> RecoveryJob:
    """The job, if this user may see it: 403 for a role without the vault (that says
    nothing about any job), 404 for a job that does not exist or is another technician's."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    job = get_object_or_404(RecoveryJob.objects.select_related("technician"), pk=job_id)
    _check_access(request.user, job)
    return job


def _check_access(user, job: RecoveryJob) -> None:
    if own_jobs_only(user) and job.technician_id != user.pk:
        raise Http404


def _job_url(job: RecoveryJob) -> str:
    from django.urls import reverse

    return reverse("admin:vault_job", args=[job.pk])


# -- list and intake -----------------------------------------------------------------------
def jobs(request: HttpRequest) -> HttpResponse:
    """The jobs this user may see; technicians create jobs here (PIN and link shown once)."""
    user = request.user
    if not user.has_perm(VIEW):
        raise PermissionDenied
    can_create = user.has_perm("vault.add_recoveryjob")
    form = JobForm() if can_create else None
    status = 200
    if request.method == "POST":
        if not can_create:
            raise PermissionDenied
        form = JobForm(request.POST)
        if form.is_valid():
            try:
                new = services.create_job(
                    contact_email=form.cleaned_data["contact_email"],
                    device=form.cleaned_data["device"],
                    technician=user,
                    actor=actor_for(user),
                    site_url=links.site_url(request),
                )
            except (services.VaultError, ValidationError) as exc:
                form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
            else:
                return _show_once(request, new)
        status = 400
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})

    scope_own = own_jobs_only(user)
    queryset = RecoveryJob.objects.select_related("technician").annotate(
        item_count=Count("items", filter=~Q(items__state=VaultItem.State.ERASED))
    )
    if scope_own:
        queryset = queryset.filter(technician=user)
    page = Paginator(queryset.order_by("-id"), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    record(
        actor=actor_for(user),
        action="vault.jobs_listed",
        detail={
            "scope": "own" if scope_own else "all",
            "page": page.number,
            "count": len(page.object_list),
        },
    )
    context = {
        **admin.site.each_context(request),
        "title": _("Recovery jobs"),
        "page": page,
        "form": form,
        "scope_own": scope_own,
    }
    return render(request, "vault/staff_jobs.html", context, status=status)


def _show_once(request: HttpRequest, new: services.NewJob) -> HttpResponse:
    """POST-redirect-GET: the new PIN and link wait in the session for the job page, which
    shows them once and removes them; a reload shows the job without them and creates
    nothing (the PIN is kept only hashed after that)."""
    request.session[NEW_LINK_KEY] = {
        "job": new.job.pk,
        "pin": new.pin,
        "link": new.link,
        "mailed": new.mailed,
    }
    return redirect(_job_url(new.job))


def _take_new_link(request: HttpRequest, job: RecoveryJob) -> dict | None:
    shown = request.session.get(NEW_LINK_KEY)
    if not isinstance(shown, dict) or shown.get("job") != job.pk:
        return None
    del request.session[NEW_LINK_KEY]
    return shown


# -- detail ----------------------------------------------------------------------------------
@require_safe
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    return _render_detail(request, _job_for(request, job_id))


def _render_detail(
    request: HttpRequest, job: RecoveryJob, *, upload_form: UploadForm | None = None, status=200
) -> HttpResponse:
    user = request.user
    record(actor=actor_for(user), action="vault.job_viewed", obj=job, subject=job.subject())
    new_link = _take_new_link(request, job) if request.method == "GET" else None
    is_own = job.technician_id is not None and job.technician_id == user.pk
    is_open = job.status == RecoveryJob.Status.OPEN
    can_upload = user.has_perm(WORK) and is_own
    context = {
        **admin.site.each_context(request),
        "title": _("Recovery job #%(id)s") % {"id": job.pk},
        "job": job,
        "items": list(job.items.order_by("name", "created_at")),
        "certificates": list(job.certificates.order_by("-issued_at")),
        # The contact address is for the technician who deals with the customer; the other
        # roles see metadata (DESIGN.md section 7).
        "show_contact": is_own,
        "can_upload": can_upload and is_open,
        "upload_form": upload_form or (UploadForm() if can_upload and is_open else None),
        "can_unlock": (
            job.locked_at is not None
            and user.has_perm("vault.unlock_portal")
            and (is_own or not own_jobs_only(user))
        ),
        "can_hold": user.has_perm("vault.hold_vaultitem"),
        "new_link": new_link,
        "can_revoke": is_open and job.link_revoked_at is None and _may_manage_link(user, job),
        "can_issue": is_open and _may_manage_link(user, job),
        "can_certificates": user.has_perm("vault.view_deletioncertificate"),
        "stored": VaultItem.State.STORED,
        "held": VaultItem.State.HELD,
    }
    return render(request, "vault/staff_job.html", context, status=status)


# -- upload ----------------------------------------------------------------------------------
@csrf_exempt  # checked below, after the upload handlers are set (Django's documented order)
def upload(request: HttpRequest, job_id: int) -> HttpResponse:
    """Store files in the technician's own open job.

    Every file is streamed to a temporary file in 64 KiB chunks (never the whole file in
    memory, whatever its size); ``services.store`` then streams that file through the
    encryption into the vault, so there is no second plaintext copy. Permissions are
    checked before the request body is read: nobody else's upload is written anywhere.
    """
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    if not request.user.has_perm(WORK):
        raise PermissionDenied
    job = _job_for(request, job_id)
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    request.parse_file_upload = lambda meta, data: _NameKeepingParser(
        meta, data, request.upload_handlers, request.encoding
    ).parse()
    return _upload(request, job)


class _NameKeepingParser(MultiPartParser):
    """Django's parser, except that it keeps the characters Django drops from a file name
    (controls, bidi overrides, zero-width characters): the vault stores the name as the
    customer's disk had it and shows it through ``names.display_name``, escaped, exactly as
    ``vault put`` does. A web upload and a CLI put of the same file get the same name."""

    def sanitize_file_name(self, file_name):
        file_name = html.unescape(file_name).rsplit("/")[-1].rsplit("\\")[-1]
        return None if file_name in {"", ".", ".."} else file_name


@csrf_protect
def _upload(request: HttpRequest, job: RecoveryJob) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            return _render_detail(request, job, upload_form=form, status=400)
        if job.status != RecoveryJob.Status.OPEN:
            form.add_error(
                None,
                _("This job is %(status)s: no new files.") % {"status": job.get_status_display()},
            )
            return _render_detail(request, job, upload_form=form, status=400)
        stored = []
        actor = actor_for(request.user)
        for uploaded in form.cleaned_data["files"]:
            try:
                stored.append(
                    services.store(
                        job,
                        uploaded,
                        raw_name=uploaded.name.encode("utf-8", "surrogatepass"),
                        actor=actor,
                    )
                )
            except services.VaultError as exc:
                form.add_error(
                    None,
                    _("Stored %(stored)d of %(total)d files; then: %(error)s")
                    % {
                        "stored": len(stored),
                        "total": len(form.cleaned_data["files"]),
                        "error": exc,
                    },
                )
                job.refresh_from_db()
                return _render_detail(request, job, upload_form=form, status=400)
            finally:
                uploaded.close()  # deletes the temporary plaintext copy at once
    finally:
        for uploaded in request.FILES.getlist("files"):
            uploaded.close()
    messages.success(
        request,
        ngettext(
            "%(count)d file stored in the vault; it is listed below.",
            "%(count)d files stored in the vault; they are listed below.",
            len(stored),
        )
        % {"count": len(stored)},
    )
    return redirect(_job_url(job))


# -- unlock, hold, certificate ---------------------------------------------------------------
@require_POST
def unlock(request: HttpRequest, job_id: int) -> HttpResponse:
    """Lift the lock on a download link after too many wrong PINs (audited)."""
    if not request.user.has_perm("vault.unlock_portal"):
        raise PermissionDenied
    job = _job_for(request, job_id)
    if job.locked_at is None:
        messages.info(request, _("The download link of this job is not locked."))
    else:
        _unlock(job, actor=actor_for(request.user))
        messages.success(request, _("The download link is unlocked; the PIN can be tried again."))
    return redirect(_job_url(job))


def _may_manage_link(user, job: RecoveryJob) -> bool:
    """The job's technician, or staff who unlock links (the admin): they deal with the
    customer about the link."""
    if own_jobs_only(user):
        return job.technician_id == user.pk
    return user.has_perm("vault.unlock_portal")


@require_POST
def revoke(request: HttpRequest, job_id: int) -> HttpResponse:
    """End the customer's link now (a leaked e-mail, a lost receipt): the old link and PIN
    stop working; audited by the service."""
    job = _job_for(request, job_id)
    if not _may_manage_link(request.user, job):
        raise PermissionDenied
    if job.status != RecoveryJob.Status.OPEN or job.link_revoked_at is not None:
        messages.info(request, _("The download link of this job no longer works already."))
    else:
        services.revoke_link(job, actor=actor_for(request.user))
        messages.success(
            request,
            _(
                "The download link is revoked: the old link and PIN no longer work. Issue a "
                "new link when the customer is to download again."
            ),
        )
    return redirect(_job_url(job))


@require_POST
def issue_link(request: HttpRequest, job_id: int) -> HttpResponse:
    """A new link (e-mailed) and PIN (shown once) for an open job; earlier ones stop."""
    job = _job_for(request, job_id)
    if not _may_manage_link(request.user, job):
        raise PermissionDenied
    try:
        new = services.issue_new_link(
            job, actor=actor_for(request.user), site_url=links.site_url(request)
        )
    except services.VaultError:
        messages.error(request, _("This job is erased; it has no download link any more."))
        return redirect(_job_url(job))
    return _show_once(request, new)


def _unlock(job: RecoveryJob, *, actor: str) -> None:
    from privacydesk.vault import portal  # the portal's rules own the lock

    portal.unlock(job, actor=actor)


@require_POST
def hold(request: HttpRequest, item_id) -> HttpResponse:
    """Put an item under legal hold or release it (privacy officer; audited by the service)."""
    if not request.user.has_perm("vault.hold_vaultitem"):
        raise PermissionDenied
    item = get_object_or_404(VaultItem.objects.select_related("job"), pk=item_id)
    form = HoldForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Say whether the item is to be held: held=1 or held=0."))
    held = form.cleaned_data["held"]
    try:
        services.set_hold(item, held=held, actor=actor_for(request.user))
    except services.StillHeld:
        messages.warning(
            request, _("This item stays under legal hold: a hold on its data subject keeps it.")
        )
    except (services.VaultError, keyring.KeyDestroyed):
        messages.error(request, _("This item is already erased; a hold cannot apply to it."))
    else:
        if held:
            messages.success(request, _("The item is under legal hold: it will not be erased."))
        else:
            messages.success(
                request,
                _("The hold is released: the item is erased after its date as usual."),
            )
    return redirect(_job_url(item.job))


@require_safe
def certificate(request: HttpRequest, certificate_id: int) -> HttpResponse:
    """The signed deletion certificate as a JSON file (checkable offline)."""
    if not request.user.has_perm("vault.view_deletioncertificate"):
        raise PermissionDenied
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    cert = get_object_or_404(DeletionCertificate.objects.select_related("job"), pk=certificate_id)
    _check_access(request.user, cert.job)
    record(
        actor=actor_for(request.user),
        action="vault.certificate_downloaded",
        obj=cert,
        subject=cert.job.subject(),
        detail={"job": cert.job_id},
    )
    response = HttpResponse(
        erasure.certificate_file(cert), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"deletion-certificate-job-{cert.job_id}-{cert.pk}.json"
    )
    return response
