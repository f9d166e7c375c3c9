"""The processor register as the privacy model and the Art. 30 register see it (P9).

Found by ``spine.processors`` (the module name is the contract): the model's activities name
processors by ``Processor.key``; the register, the published policy and ``policy check``
take name, service, location, safeguards and the agreement's validity from here.
"""

from __future__ import annotations

from django.utils import translation

from privacydesk.registers.models import Processor
from privacydesk.spine.processors import Entry


def entries() -> list[Entry]:
    with translation.override("en"):
        return [
            Entry(
                id=p.key,
                name=p.name,
                service_nl=p.service_nl,
                service_en=p.service_en,
                location=p.location,
                third_country=p.third_country,
                safeguards=p.safeguards,
                agreement_problem=p.agreement_problem(),
            )
            for p in Processor.objects.all()
        ]
