from datetime import timedelta

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from privacydesk.spine.panels import panel

EXPIRING_DAYS = 7


@panel
def vault_panel(request: HttpRequest) -> dict | None:
    """Technicians: their open jobs and what is erased soon. Privacy officer, admin: totals."""
    from privacydesk.vault.models import RecoveryJob, VaultItem
    from privacydesk.vault.staff_views import VIEW, own_jobs_only

    user = request.user
    if not user.has_perm(VIEW):
        return None
    jobs = RecoveryJob.objects.all()
    items = VaultItem.objects.all()
    own = own_jobs_only(user)
    if own:
        jobs = jobs.filter(technician=user)
        items = items.filter(job__technician=user)
    soon = timezone.localdate() + timedelta(days=EXPIRING_DAYS)
    open_jobs = jobs.filter(status=RecoveryJob.Status.OPEN).count()
    expiring = items.filter(state=VaultItem.State.STORED, expires_on__lte=soon).count()
    locked = jobs.filter(status=RecoveryJob.Status.OPEN, locked_at__isnull=False).count()
    lines = [
        _("%(count)d open jobs") % {"count": open_jobs},
        _("%(count)d items erased within %(days)d days")
        % {"count": expiring, "days": EXPIRING_DAYS},
    ]
    if not own:
        lines += [
            _("%(count)d items stored")
            % {"count": items.filter(state=VaultItem.State.STORED).count()},
            _("%(count)d items under legal hold")
            % {"count": items.filter(state=VaultItem.State.HELD).count()},
        ]
    if locked:
        lines.append(_("%(count)d download links locked") % {"count": locked})
    return {
        "title": _("Your recovery jobs") if own else _("Recovery vault"),
        "lines": lines,
        "alert": locked > 0,
        "link": reverse("admin:vault_jobs"),
        "link_text": _("Open the recovery jobs"),
    }
