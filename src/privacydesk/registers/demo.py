"""``privacydesk demo``: one processor with an agreement, one disclosure, one breach."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from privacydesk.registers import services
from privacydesk.registers.models import Breach, Disclosure, Processor
from privacydesk.spine.registry import Subject

ACTOR = "system:demo"


def load(*, console) -> list[str]:
    today = timezone.localdate()
    now = timezone.now()
    lines = []
    if not Processor.objects.filter(key="demo_mail_host").exists():
        p = Processor(
            key="demo_mail_host",
            name="Voorbeeld Mail B.V.",
            service_nl="E-mail en agenda van de medewerkers",
            service_en="Staff e-mail and calendars",
            data_categories="Naam en zakelijke contactgegevens; inhoud van e-mail",
            data_subjects="Klanten, contactpersonen, medewerkers",
            location="Nederland (Amsterdam)",
            agreement_signed_on=today - timedelta(days=400),
            agreement_ends_on=today + timedelta(days=25),
            **{f"art28_{k}": True for k in "abcdefgh"},
        )
        services.save_processor(
            p,
            actor=ACTOR,
            agreement=b"%PDF-1.4\n% Verwerkersovereenkomst (demo)\n",
            agreement_name="verwerkersovereenkomst-voorbeeld-mail.pdf",
        )
    lines.append("registers: processor 'Voorbeeld Mail B.V.' (agreement ends in 25 days)")
    if not Disclosure.objects.filter(case_number="PL0900-2026-123456").exists():
        d = Disclosure(
            authority="Politie Oost-Brabant",
            case_number="PL0900-2026-123456",
            contact_name="Rechercheur J. de Boer",
            legal_ground=Disclosure.Ground.CRIMINAL_PROCEDURE,
            legal_ground_detail="art. 126nd Sv, vordering van de officier van justitie",
            requested_on=today - timedelta(days=10),
            answered_on=today - timedelta(days=8),
            scope_requested="Naam en contactgegevens van de klant van reparatieopdracht 2026-041",
            scope_given="Naam en telefoonnummer",
            approved_by=get_user_model().objects.filter(username="privacy").first(),
            approved_at=now - timedelta(days=8),
            subject_told=False,
            not_told_reason="Verzoek van de politie: het onderzoek loopt nog",
            not_told_until=today + timedelta(days=80),
        )
        services.save_disclosure(
            d,
            subjects=[Subject("email", "betrokkene.demo@example.nl")],
            records=[],
            place_hold=True,
            actor=ACTOR,
        )
    lines.append("registers: one disclosure to the police (subject not told, legal hold)")
    if not Breach.objects.filter(title="Verloren USB-stick (demo)").exists():
        b = Breach(
            title="Verloren USB-stick (demo)",
            summary="Een medewerker verloor een USB-stick met een exportbestand van klantgegevens.",
            occurred_at=now - timedelta(hours=30),
            discovered_at=now - timedelta(hours=26),
            aware_at=now - timedelta(hours=20),
            nature=[Breach.Nature.READ, Breach.Nature.STOLEN],
            data_kinds="Namen, e-mailadressen en telefoonnummers",
            people_min=40,
            people_max=60,
            records_count=60,
            people_kinds="Contactpersonen van klanten",
            encrypted=Breach.Encrypted.NO,
            consequences="Ongewenste e-mail of phishing",
            measures_before="Toegang per rol; exports alleen door de beheerder",
            measures_after="Geen exports meer op USB-sticks; wachtwoorden gewijzigd",
        )
        services.save_breach(
            b, subjects=[Subject("email", "betrokkene.demo@example.nl")], actor=ACTOR
        )
    lines.append("registers: one data breach with its 72-hour countdown running")
    return lines
