from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from privacydesk.spine.panels import panel


@panel
def crm_panel(request: HttpRequest) -> dict | None:
    """Contacts and open invoices, for every role that reads the CRM (counts only)."""
    from privacydesk.crm.models import Contact, Invoice

    if not request.user.has_perm("crm.view_contact"):
        return None
    unpaid = Invoice.objects.filter(paid=False).count()
    return {
        "title": _("Customer relations"),
        "lines": [
            _("%(count)d contacts") % {"count": Contact.objects.count()},
            _("%(count)d unpaid invoices") % {"count": unpaid},
        ],
        "alert": False,
        "link": reverse("admin:crm_contacts"),
        "link_text": _("Open the contacts"),
    }
