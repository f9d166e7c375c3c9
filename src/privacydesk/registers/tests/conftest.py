from datetime import timedelta

import pytest
from django.utils import timezone

from privacydesk.registers import services
from privacydesk.registers.models import Breach, Disclosure, Processor
from privacydesk.spine.registry import Subject


def processor(**changes) -> Processor:
    today = timezone.localdate()
    values = {
        "key": "mail_host",
        "name": "Voorbeeld Mail B.V.",
        "service_nl": "E-mail van de medewerkers",
        "service_en": "Staff e-mail",
        "data_categories": "contactgegevens",
        "data_subjects": "klanten",
        "location": "Nederland",
        "agreement_signed_on": today - timedelta(days=100),
        "agreement_ends_on": today + timedelta(days=200),
        **{f"art28_{k}": True for k in "abcdefgh"},
    }
    values.update(changes)
    return services.save_processor(Processor(**values), actor="system:test")


def disclosure(*, subjects=(), records=(), place_hold=False, **changes) -> Disclosure:
    today = timezone.localdate()
    values = {
        "authority": "Politie Oost-Brabant",
        "case_number": "PL-1",
        "legal_ground": Disclosure.Ground.CRIMINAL_PROCEDURE,
        "legal_ground_detail": "art. 126nd Sv",
        "requested_on": today - timedelta(days=3),
        "answered_on": today - timedelta(days=1),
        "scope_requested": "naam en telefoon",
        "scope_given": "naam",
        "subject_told": True,
        "told_on": today,
    }
    values.update(changes)
    return services.save_disclosure(
        Disclosure(**values),
        subjects=services.parse_subjects("\n".join(subjects)),
        records=list(records),
        place_hold=place_hold,
        actor="system:test",
    )


def breach(*, subjects=(), **changes) -> Breach:
    now = timezone.now()
    values = {
        "title": "Verloren USB-stick",
        "summary": "Een USB-stick met een export is verloren.",
        "discovered_at": now - timedelta(hours=3),
        "aware_at": now - timedelta(hours=2),
        "nature": ["read", "stolen"],
        "data_kinds": "namen en e-mailadressen",
        "people_min": 10,
        "people_max": 20,
        "people_kinds": "contactpersonen",
        "encrypted": "no",
        "consequences": "phishing",
        "measures_before": "toegang per rol",
        "measures_after": "wachtwoorden gewijzigd",
    }
    values.update(changes)
    return services.save_breach(
        Breach(**values),
        subjects=[Subject("email", s) for s in subjects],
        actor="system:test",
    )


@pytest.fixture
def officer_client(staff_client):
    return staff_client("privacy_officer")
