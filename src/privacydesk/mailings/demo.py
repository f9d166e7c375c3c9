"""Demo records of the newsletter for ``privacydesk demo``: the list ``nieuwsbrief``."""

from __future__ import annotations

from privacydesk.mailings.models import MailingList


def load(*, console) -> list[str]:
    """Create the public list ``nieuwsbrief`` (idempotent)."""
    mailing_list, created = MailingList.objects.get_or_create(
        slug="nieuwsbrief",
        defaults={
            "title_nl": "Nieuwsbrief van coMPjoeter",
            "title_en": "coMPjoeter newsletter",
            "sender": "coMPjoeter",
            "reply_to": "verkoop@compjoeter.nl",
        },
    )
    state = "created" if created else "exists"
    return [f"mailing list {mailing_list.slug} ({state}): sign up at /newsletter/"]
