from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacydesk.spine.panels import panel, public_link


@panel
def mailings_panel(request: HttpRequest) -> dict | None:
    """Subscribers and campaigns at a glance for everyone who may read the newsletter."""
    from privacydesk.mailings.models import Campaign, Subscription

    if not request.user.has_perm("mailings.view_campaign"):
        return None
    confirmed = Subscription.objects.filter(state=Subscription.State.CONFIRMED).count()
    sending = Campaign.objects.filter(state=Campaign.State.SENDING).count()
    return {
        "title": _("Newsletter"),
        "lines": [
            _("%(count)d confirmed subscribers") % {"count": confirmed},
            _("%(count)d campaigns sending") % {"count": sending},
        ],
        "alert": False,
        "link": reverse("admin:mailings"),
        "link_text": _("Open the newsletter"),
    }


public_link(
    "mailings:signup",
    gettext_lazy("Newsletter"),
    gettext_lazy("News about our services, about once a month; you confirm by e-mail first."),
    order=20,
)
