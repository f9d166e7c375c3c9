"""Where the CRM meets the newsletter app (``privacydesk.mailings``), which it may use but does
not require.

Two touch points are planned, both through ``privacydesk.mailings.services`` once that app is
installed:

- the contact page lists the person's subscriptions with ``subscriptions_for(email)``;
- paying customers (contacts with an invoice) may be added to a list under the soft opt-in
  (Telecommunicatiewet art. 11.7 lid 3) with ``add_soft_opt_in(list_slug, email, name=...,
  source=..., actor=...)``, from the contact page and from an import's ``newsletter`` column
  (ja/nee/yes/no). It returns ``None`` for an address on the suppression list: the import then
  reports the row as "on the suppression list, not subscribed" and still imports the contact.

Until they are wired, the CRM says plainly that the newsletter app is not there: the contact
page shows no subscriptions section, and an import file with a ``newsletter`` column is refused
with that reason rather than having the column ignored.
"""

from __future__ import annotations

from privacydesk.spine.plugins import installed

MAILINGS = "privacydesk.mailings"
#: Column names of an import file that ask for a newsletter subscription.
COLUMNS = ("newsletter", "nieuwsbrief")


def available() -> bool:
    """Whether the newsletter app is installed in this deployment."""
    return installed(MAILINGS)
