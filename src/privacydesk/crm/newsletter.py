"""Where the CRM meets the newsletter (``privacydesk.mailings``), through its public services.

Two touch points, both through ``privacydesk.mailings.services``:

- the contact page lists the person's subscriptions (``subscriptions_for``: list, state, basis,
  confirmation time) and says when the address is on the suppression list (``is_suppressed``);
- a paying customer (a contact with a paid invoice, under the contact or made out to its
  address) may be put on the public list (``settings.MAILINGS_PUBLIC_LIST``) under the soft
  opt-in of Telecommunicatiewet art. 11.7 lid 3 with ``add_soft_opt_in``, from the contact
  page (sales and admin) and from an import's ``newsletter``/``nieuwsbrief`` column (ja/nee,
  yes/no, 1/0 or empty). The proof's source names the contact and the paid invoice. A contact
  without a paid invoice (none at all, or only unpaid ones) is a lead, not a paying customer:
  they need their own consent, given on the public signup form (double opt-in); the CRM never
  subscribes them. ``add_soft_opt_in`` returns ``None`` for an address on the suppression
  list or one that unsubscribed: it is never added again, and the contact page and the import
  say so (the contact itself is still imported).

"nee" in the column never ends a subscription: unsubscribing is the person's own act (the link
in every message) or staff's (the suppression list).

A deployment without the newsletter app keeps working: the contact page shows no newsletter
section and an import file with a newsletter column is refused with that reason, rather than
having the column ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from privacydesk.crm.models import Contact, Invoice
from privacydesk.spine.plugins import installed

MAILINGS = "privacydesk.mailings"
#: Column names of an import file that ask for a newsletter subscription.
COLUMNS = ("newsletter", "nieuwsbrief")
#: The values such a column may hold (compared case-folded); empty means "no".
YES = ("ja", "yes", "1", "j", "y")
NO = ("nee", "no", "0", "n", "")
NAME_MAX = 150  # the newsletter's limit for a name in a To header

# Outcomes of a soft opt-in request.
SUBSCRIBED = "subscribed"
ALREADY = "already"
SUPPRESSED = "suppressed"
UNSUBSCRIBED = "unsubscribed"
NOT_CUSTOMER = "not_customer"
NO_LIST = "no_list"
UNMAILABLE = "unmailable"
RESTRICTED = "restricted"


def available() -> bool:
    """Whether the newsletter app is installed in this deployment."""
    return installed(MAILINGS)


def public_list_slug() -> str:
    return settings.MAILINGS_PUBLIC_LIST


def public_list():
    """The public list (``settings.MAILINGS_PUBLIC_LIST``), or None when it was not created."""
    from privacydesk.mailings.models import MailingList

    return MailingList.objects.filter(slug=public_list_slug()).first()


def parse_choice(value: str) -> bool | None:
    """True for ja/yes/1, False for nee/no/0 or empty, None for anything else."""
    key = value.strip().casefold()
    if key in YES:
        return True
    if key in NO:
        return False
    return None


# -- customers ---------------------------------------------------------------------------------
def customer_invoices(contacts: Iterable[Contact]) -> dict[int, Invoice]:
    """The latest *paid* invoice of each contact that has one (its own, or one made out to its
    address), by contact id: the customer relation a soft opt-in rests on (Tw 11.7 lid 3 asks
    for a sale; an invoice not paid yet is not one)."""
    contacts = [c for c in contacts if c.pk]
    found: dict[int, Invoice] = {}
    for start in range(0, len(contacts), 500):
        batch = contacts[start : start + 500]
        by_email = {c.email.lower(): c.pk for c in batch}
        ids = {c.pk for c in batch}
        rows = (
            Invoice.objects.annotate(email_lower=Lower("customer_email"))
            .filter(Q(contact__in=ids) | Q(email_lower__in=list(by_email)), paid=True)
            .order_by("date", "number")
        )
        for invoice in rows:  # the latest comes last and wins
            if invoice.contact_id in ids:
                found[invoice.contact_id] = invoice
            owner = by_email.get(invoice.email_lower)
            if owner is not None:
                found[owner] = invoice
    return found


def source_for(contact: Contact, invoice: Invoice, *, row: int | None = None) -> str:
    """The proof's source: the customer relation the soft opt-in rests on."""
    if row is not None:
        return f"crm import row {row} contact {contact.pk} invoice {invoice.number}"
    return f"crm contact {contact.pk} invoice {invoice.number}"


def soft_opt_in(
    contact: Contact,
    invoice: Invoice | None,
    *,
    source: str,
    actor: str,
    mailing_list=None,
) -> str:
    """Put ``contact`` on the public list (or ``mailing_list``) under the soft opt-in; returns
    the outcome (``SUBSCRIBED``, ``ALREADY``, ``SUPPRESSED``, ``UNSUBSCRIBED``,
    ``NOT_CUSTOMER``, ``NO_LIST``, ``UNMAILABLE`` or ``RESTRICTED``). The suppression list is
    asked first: a suppressed address is not to be approached at all, customer or not. A
    contact restricted by a data-subject request (Art. 18) is stored, not used: not offered.
    The subscription and its proof are audited by the newsletter (``mailings.soft_opt_in``)."""
    from privacydesk.mailings import services as mailings
    from privacydesk.mailings.models import Subscription

    mailing_list = mailing_list or public_list()
    if mailing_list is None:
        return NO_LIST
    try:
        address = mailings.normalise_email(contact.email)
    except mailings.InvalidAddress:
        return UNMAILABLE
    if mailings.is_suppressed(address):
        return SUPPRESSED
    if contact.restricted:
        return RESTRICTED
    if invoice is None:
        return NOT_CUSTOMER
    existing = Subscription.objects.filter(mailing_list=mailing_list, email=address).first()
    if existing is not None and existing.state == Subscription.State.CONFIRMED:
        return ALREADY
    subscription = mailings.add_soft_opt_in(
        mailing_list.slug,
        address,
        name=contact.name[:NAME_MAX].strip(),
        source=source,
        actor=actor,
    )
    if subscription is None:
        return SUPPRESSED if mailings.is_suppressed(address) else UNSUBSCRIBED
    return SUBSCRIBED


def add_from_contact_page(contact: Contact, *, actor: str) -> str:
    """The contact page's button: the soft opt-in of a customer, resting on their latest
    invoice."""
    invoice = customer_invoices([contact]).get(contact.pk)
    source = source_for(contact, invoice) if invoice else ""
    return soft_opt_in(contact, invoice, source=source, actor=actor)


# -- the contact page ------------------------------------------------------------------------
@dataclass
class Section:
    """The newsletter section of a contact page."""

    subscriptions: list = field(default_factory=list)
    suppressed: bool = False
    invoice: Invoice | None = None
    list_title: str = ""
    list_missing: bool = False
    on_public_list: bool = False
    signup_url: str = ""
    restricted: bool = False

    @property
    def may_add(self) -> bool:
        """Whether the soft opt-in is possible now (the page still checks the staff role)."""
        return bool(
            self.invoice
            and not self.suppressed
            and not self.restricted
            and not self.list_missing
            and not self.on_public_list
        )


def section_for(contact: Contact, *, invoices: list[Invoice], user, lang: str) -> Section | None:
    """What the contact page shows about the newsletter; None when the app is not installed or
    the staff member may not see subscriptions."""
    if not available() or not user.has_perm("mailings.view_subscription"):
        return None
    from privacydesk.mailings import services as mailings
    from privacydesk.mailings.models import Subscription

    mailing_list = public_list()
    subscriptions = mailings.subscriptions_for(contact.email)
    latest = max((i for i in invoices if i.paid), key=lambda i: (i.date, i.number), default=None)
    section = Section(
        subscriptions=[(s, s.mailing_list.title(lang)) for s in subscriptions],
        suppressed=mailings.is_suppressed(contact.email),
        restricted=contact.restricted,
        invoice=latest,
        list_title=mailing_list.title(lang) if mailing_list else public_list_slug(),
        list_missing=mailing_list is None,
        on_public_list=any(
            s.mailing_list_id == getattr(mailing_list, "pk", None)
            and s.state == Subscription.State.CONFIRMED
            for s in subscriptions
        ),
        signup_url=mailings.absolute(reverse("mailings:signup")),
    )
    return section
