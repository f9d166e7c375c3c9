"""Human names for the privacy model's keys, in the language of the page (P2, P5).

The model file stores machine keys (``legal_obligation``, ``P5Y``, ``end_of_fiscal_year``);
staff pages, the Art. 30 register and the admin show what they mean. The names are
translated through Django's catalogue; each function takes an explicit ``lang`` for exports
and the published text, and otherwise follows the active language.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from privacydesk.policy.schema import LEGAL_BASES, Duration

#: Art. 6(1) GDPR, by key: the name of the basis.
LEGAL_BASIS_NAMES = {
    "consent": _("Consent"),
    "contract": _("Performance of a contract"),
    "legal_obligation": _("Legal obligation"),
    "vital_interests": _("Vital interests"),
    "public_task": _("Public task"),
    "legitimate_interests": _("Legitimate interests"),
}

#: The events a retention period runs from (``schema.RetentionEvent``), as "after ...".
RETENTION_EVENT_NAMES = {
    "storage": _("storage"),
    "collection": _("collection"),
    "last_contact": _("the last contact"),
    "end_of_fiscal_year": _("the end of the fiscal year"),
    "withdrawal": _("withdrawal of consent or unsubscription"),
    "consent_end": _("the end of consent"),
    "request_closed": _("the closing of the request"),
    "disclosure": _("the disclosure"),
    "account_closed": _("the deactivation of the account"),
    "transmission": _("transmission over the network"),
    "recorded": _("recording"),
}


def _letter(key: str) -> str:
    """``legal_obligation`` -> ``c`` (from ``6(1)(c)``)."""
    return LEGAL_BASES[key][-2]


def _article(key: str):
    """The basis's article, lazily: Art. 6(1)(c) GDPR / art. 6 lid 1 sub c AVG."""
    return format_lazy(_("Art. 6(1)({letter}) GDPR"), letter=_letter(key))


def legal_basis_name(key: str, lang: str) -> str:
    """The basis's name alone (``Legal obligation``), as the published policy uses it."""
    with translation.override(lang):
        return str(LEGAL_BASIS_NAMES.get(key, key))


def legal_basis(key: str, lang: str | None = None) -> str:
    """``Legal obligation (Art. 6(1)(c) GDPR)``; the raw key when the model gains a new one."""
    with translation.override(lang or translation.get_language()):
        if key not in LEGAL_BASIS_NAMES:
            return key
        return f"{LEGAL_BASIS_NAMES[key]} ({_article(key)})"


def legal_basis_choices() -> list[tuple[str, object]]:
    """Model field choices; lazy, so each page shows them in its own language."""
    return [
        (key, format_lazy("{} ({})", name, _article(key)))
        for key, name in LEGAL_BASIS_NAMES.items()
    ]


def retention_event_choices() -> list[tuple[str, object]]:
    return list(RETENTION_EVENT_NAMES.items())


def duration(iso: str, lang: str | None = None) -> str:
    """``P5Y`` -> ``5 jaar`` / ``5 years``; an unreadable value is shown as it is."""
    lang = lang or ("en" if translation.get_language() == "en" else "nl")
    try:
        return Duration.parse(iso).describe("en" if lang == "en" else "nl")
    except ValueError:
        return iso


def retention(iso: str, event: str, lang: str | None = None) -> str:
    """``7 years after the end of the fiscal year``; a zero period keeps data until the event."""
    with translation.override(lang or translation.get_language()):
        name = RETENTION_EVENT_NAMES.get(event, event)
        try:
            zero = Duration.parse(iso).iso() == "P0D"
        except ValueError:
            zero = False
        if zero:
            return _("until %(event)s") % {"event": name}
        return _("%(period)s after %(event)s") % {
            "period": duration(iso, translation.get_language()),
            "event": name,
        }
