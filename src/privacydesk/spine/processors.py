"""Processors as the privacy model names them, resolved by the app that keeps their register.

The privacy model's activities name processors by id (``processors: [mail_host]``). The
facts about each one (name, service, where it processes, third-country safeguards, whether
its agreement is valid today) live in one place, the processor register of an installed
app, which offers them from its module ``processors_directory``, a function ``entries()``
returning :class:`Entry` objects. The Art. 30 register, the published policy and
``policy check`` read them here, so they import no app.
"""

from __future__ import annotations

from dataclasses import dataclass

from privacydesk.spine.plugins import app_modules

DIRECTORY_MODULE = "processors_directory"


@dataclass(frozen=True)
class Entry:
    """One processor, as the Art. 30 register and the policy show it."""

    id: str
    name: str
    service_nl: str
    service_en: str
    location: str
    third_country: bool
    safeguards: str
    #: Why the agreement is not valid today, in one phrase in English; "" when it is valid.
    agreement_problem: str

    def service(self, lang: str) -> str:
        return self.service_en if lang == "en" else self.service_nl


def entries() -> dict[str, Entry]:
    """Every processor the installed apps keep a register of, by id."""
    found: dict[str, Entry] = {}
    for _config, module in app_modules(DIRECTORY_MODULE):
        for entry in module.entries():
            found.setdefault(entry.id, entry)
    return found
