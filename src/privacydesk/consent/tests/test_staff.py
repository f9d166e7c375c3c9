"""The staff look-up of a consent number: privacy officer and admin, audited, no 500."""

import pytest

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import subject_ref


def test_lookup_shows_the_records_and_is_audited(staff_client, decide):
    consent_id = decide("accept_all").json()["id"]
    decide("reject_all", id=consent_id)
    client = staff_client("privacy_officer")
    response = client.get("/staff/consent/", {"id": consent_id})
    assert response.status_code == 200
    page = response.content.decode()
    table = page.split('id="consent-records"', 1)[1].split("</table>", 1)[0]
    assert 'id="consent-verified"' in page and table.count("<tr>") == 3
    assert "Intrekking" in page
    entry = AuditEntry.objects.get(action="consent.looked_up")
    assert entry.subject_ref == subject_ref("visitor_id", consent_id)
    assert entry.detail == {"records": 2}


def test_lookup_says_when_records_were_removed(staff_client, decide):
    from django.db import connection

    consent_id = decide("accept_all").json()["id"]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM consent_consentrecord")
    page = staff_client("privacy_officer").get("/staff/consent/", {"id": consent_id})
    page = page.content.decode()
    assert 'id="consent-problems"' in page and 'id="consent-verified"' not in page
    assert "verwijderd" in page


@pytest.mark.parametrize("asked", ["nonsense", "x" * 5000, "%00", "0b3c3f3e-1d0f-4a57-9d1e"])
def test_lookup_of_something_else_says_so(staff_client, db, asked):
    response = staff_client("admin").get("/staff/consent/", {"id": asked})
    assert response.status_code == 200
    assert "geen toestemmingsnummer" in response.content.decode()
    assert not AuditEntry.objects.filter(action="consent.looked_up").exists()


@pytest.mark.parametrize("role", ["technician", "sales"])
def test_other_roles_are_refused(staff_client, db, role):
    assert staff_client(role).get("/staff/consent/").status_code == 403


def test_home_panel_for_the_privacy_officer(staff_client, decide):
    decide("accept_all")
    page = staff_client("privacy_officer").get("/staff/").content.decode()
    assert "1 keer alles accepteren" in page and "/staff/consent/" in page
