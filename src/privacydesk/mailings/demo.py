"""Demo records of the newsletter for ``privacydesk demo``: the public list
(``settings.MAILINGS_PUBLIC_LIST``, ``nieuwsbrief`` unless configured), the one the signup form
at ``/newsletter/`` puts addresses on."""

from __future__ import annotations

from django.conf import settings

from privacydesk.mailings.models import MailingList


def load(*, console) -> list[str]:
    """Create the public list (idempotent)."""
    mailing_list, created = MailingList.objects.get_or_create(
        slug=settings.MAILINGS_PUBLIC_LIST,
        defaults={
            "title_nl": "Nieuwsbrief van coMPjoeter",
            "title_en": "coMPjoeter newsletter",
            "sender": "coMPjoeter",
            "reply_to": "verkoop@compjoeter.nl",
        },
    )
    state = "created" if created else "exists"
    return [f"mailing list {mailing_list.slug} ({state}): sign up at /newsletter/"]
