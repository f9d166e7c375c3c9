"""Consent records: what is stored per decision, append-only, tamper-evident (AVG art. 7(1))."""

import json
import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from privacydesk.audit.models import AuditEntry
from privacydesk.consent import services
from privacydesk.consent.models import AppendOnlyError, ConsentRecord


def test_banner_config_in_both_languages(client, db):
    nl = client.get("/consent/banner.json").json()
    en = client.get("/en/consent/banner.json").json()
    assert (nl["texts"]["accept"], nl["texts"]["reject"], nl["texts"]["settings"]) == (
        "Alles accepteren", "Alles weigeren", "Instellingen",
    )  # fmt: skip
    assert (en["texts"]["accept"], en["texts"]["reject"], en["texts"]["settings"]) == (
        "Accept all", "Reject all", "Settings",
    )  # fmt: skip
    assert (
        nl["texts"]["reopen"] == "Cookie-instellingen"
        and en["texts"]["reopen"] == "Cookie settings"
    )
    assert nl["version"] == en["version"] == services.banner_version()
    assert nl["statement"] == "http://testserver/cookies/"
    assert en["statement"] == "http://testserver/en/cookies/"
    assert nl["tracker"].endswith("/static/tracking/t.js")


def test_a_decision_is_recorded_with_its_proof(decide, db):
    response = decide("accept_all", headers={"Sec-GPC": "0"}, REMOTE_ADDR="192.0.2.77")
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["kind"] == "accept_all" and receipt["tracking"] and receipt["analytics"]
    rec = ConsentRecord.objects.get()
    assert str(rec.consent_id) == receipt["id"]
    assert rec.ip_address == "127.0.0.0"  # the test client's address, truncated to /24
    assert rec.policy_version and rec.banner_version == services.banner_version()
    assert len(rec.ua_hash) == 64 and rec.language == "nl" and not rec.gpc
    anchor = AuditEntry.objects.get(action="consent.recorded")
    assert anchor.object_id == str(rec.pk) and anchor.detail["hash"] == rec.hash
    assert services.tracking_allowed(rec.consent_id)


def test_withdrawal_is_a_new_record_in_the_chain(decide, db):
    first = decide("accept_all").json()
    second = decide("reject_all", id=first["id"]).json()
    third = decide("save", id=first["id"], analytics=True).json()
    assert second["id"] == third["id"] == first["id"]
    assert [second["kind"], third["kind"]] == ["withdrawal", "custom"]
    records = services.records_of(uuid.UUID(first["id"]))
    assert len(records) == 3
    assert records[1].prev_hash == records[0].hash and records[2].prev_hash == records[1].hash
    assert services.verify(records) == []
    assert not services.tracking_allowed(records[0].consent_id)


def test_gpc_refuses_tracking_whatever_was_clicked(decide, db):
    by_header = decide("accept_all", headers={"Sec-GPC": "1"}).json()
    by_script = decide("save", analytics=True, tracking=True, gpc=True).json()
    for receipt in (by_header, by_script):
        assert receipt["gpc"] and not receipt["tracking"]
        assert not services.tracking_allowed(uuid.UUID(receipt["id"]))
    assert by_header["analytics"]


def test_unknown_or_forged_ids_get_a_new_one(decide, db):
    forged = str(uuid.uuid4())
    assert decide("reject_all", id=forged).json()["id"] != forged
    assert decide("reject_all", id="'; DROP TABLE x; --").status_code == 201


def test_records_cannot_be_changed(decide, db):
    decide("accept_all")
    rec = ConsentRecord.objects.get()
    rec.tracking = False
    with pytest.raises(AppendOnlyError):
        rec.save()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.update(tracking=False)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE consent_consentrecord SET tracking = %s", [False])
    assert ConsentRecord.objects.get().tracking


def test_a_record_changed_behind_the_application_is_found(decide, db):
    from importlib import import_module

    triggers = import_module("privacydesk.consent.migrations.0002_records_never_change")
    first = decide("accept_all").json()
    decide("reject_all", id=first["id"])
    with connection.cursor() as cursor:  # what the owner of the database could do
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE consent_consentrecord DISABLE TRIGGER USER")
        else:
            cursor.execute(triggers.SQLITE_BACKWARD)
        cursor.execute(
            "UPDATE consent_consentrecord SET kind = 'accept_all', tracking = %s WHERE id = "
            "(SELECT MAX(id) FROM consent_consentrecord)",
            [True],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE consent_consentrecord ENABLE TRIGGER USER")
        else:
            cursor.execute(triggers.SQLITE_FORWARD)
    problems = services.verify(services.records_of(uuid.UUID(first["id"])))
    assert problems and "does not match its hash" in problems[0]


@pytest.mark.parametrize("which", ["newest", "first", "middle", "all"])
def test_a_record_deleted_behind_the_application_is_found(decide, db, which):
    cid = decide("accept_all").json()["id"]
    decide("save", id=cid, analytics=True, tracking=True)
    decide("reject_all", id=cid)  # the withdrawal someone would like to have never happened
    records = services.records_of(uuid.UUID(cid))
    assert services.verify(records) == []
    gone = {
        "newest": [records[-1].pk],
        "first": [records[0].pk],
        "middle": [records[1].pk],
        "all": [r.pk for r in records],
    }[which]
    with connection.cursor() as cursor:  # no trigger refuses a DELETE: erasure needs it
        cursor.execute(
            f"DELETE FROM consent_consentrecord WHERE id IN ({', '.join(['%s'] * len(gone))})",
            gone,
        )
    left = services.records_of(uuid.UUID(cid))
    problems = services.verify(left, uuid.UUID(cid))
    assert any(f"record {gone[-1]}: in the audit log, but removed" in p for p in problems)
    if left:
        assert services.verify(left) == problems  # the consent id is the records' own


def test_erased_records_are_not_reported_missing(decide, db):
    from privacydesk.policy import plans
    from privacydesk.spine.registry import Subject

    cid = decide("accept_all").json()["id"]
    decide("reject_all", id=cid)
    other = decide("accept_all").json()["id"]
    plans.run("erase", [Subject("visitor_id", cid)], key="erase-1", actor="system:test")
    assert services.verify([], uuid.UUID(cid)) == []
    assert services.verify(services.records_of(uuid.UUID(other))) == []


def test_a_stale_banner_is_shown_again(client, db):
    body = {"action": "accept_all", "version": "0" * 64, "lang": "nl"}
    response = client.post("/consent/decide/", json.dumps(body), content_type="text/plain")
    assert response.status_code == 409
    assert response.json()["version"] == services.banner_version()
    assert not ConsentRecord.objects.exists()


def test_consent_expires_after_twelve_months_or_a_new_banner(decide, db, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    rec_id = uuid.UUID(decide("accept_all").json()["id"])
    later = timezone.now() + timedelta(days=366)
    assert not services.tracking_allowed(rec_id, now=later)
    assert not services.tracking_allowed_ids([rec_id], now=later)
    monkeypatch.setattr(services, "banner_version", lambda: "f" * 64)
    assert not services.tracking_allowed(rec_id)


def test_banner_version_follows_texts_and_cookies(db, monkeypatch):
    before = services.banner_version()
    model = services.policy.current_model()
    services._VERSION.clear()
    changed = model.model_copy(update={"cookies": model.cookies[:-1]})
    assert services._version_of(changed) != before
    monkeypatch.setattr(services, "banner_texts", lambda: {"title": "Another text"})
    assert services._version_of(model) != before


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"x" * 5000, "text/plain", 413),
        (b"{}", "application/x-www-form-urlencoded", 415),
        (b"\xff\xfe{}", "text/plain", 400),
        (b"[1, 2]", "text/plain", 400),
        (b'{"action": "accept_all"}', "text/plain", 400),
        (b'{"action": "maybe", "version": "x"}', "application/json", 400),
        (b'{"action": "save", "version": "x", "tracking": "yes"}', "text/plain", 400),
        (b"[" * 3000 + b"]" * 3000, "text/plain", 413),
        (b"[" * 1000 + b"]" * 1000, "text/plain", 400),
    ],
)
def test_bad_decisions_are_4xx(client, db, body, content_type, status):
    response = client.post("/consent/decide/", body, content_type=content_type)
    assert response.status_code == status
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("field", ["lang", "version", "id", "note"])
def test_a_lone_surrogate_is_refused(decide, db, field):
    """``"\\ud800"`` is valid JSON in plain ASCII, but no text a database can store."""
    response = decide("accept_all", **{field: "x\ud800"})
    assert response.status_code == 400
    assert not ConsentRecord.objects.exists()


def test_a_flood_of_decisions_is_refused_and_nothing_is_kept(client, db, settings):
    def post(ip, consent_id=""):
        body = {"action": "accept_all", "version": services.banner_version(), "id": consent_id}
        return client.post(
            "/consent/decide/", json.dumps(body), content_type="text/plain", REMOTE_ADDR=ip
        )

    settings.CONSENT_NETWORK_PER_MINUTE = 3
    statuses = [post(f"198.51.100.{n}").status_code for n in range(5)]  # one /24
    assert statuses == [201] * 3 + [429] * 2
    refused = post("198.51.100.200")
    assert refused.json() == {"error": "flood"} and refused["Retry-After"] == "60"
    assert ConsentRecord.objects.count() == 3
    assert AuditEntry.objects.filter(action="consent.recorded").count() == 3
    assert post("203.0.113.7").status_code == 201  # another network

    settings.CONSENT_NETWORK_PER_MINUTE = 100
    settings.CONSENT_ID_PER_MINUTE = 2
    cid = str(ConsentRecord.objects.first().consent_id)
    statuses = [post(f"192.0.2.{n}", cid).status_code for n in range(4)]  # one id, many hosts
    assert statuses == [201] * 2 + [429] * 2
    assert ConsentRecord.objects.filter(consent_id=cid).count() == 3


def test_cors_only_for_allowed_origins(client, decide, db):
    allowed = client.options("/consent/decide/", headers={"Origin": "https://www.example.nl"})
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://www.example.nl"
    other = decide("accept_all", headers={"Origin": "https://evil.example"})
    assert other.status_code == 403 and "Access-Control-Allow-Origin" not in other
    assert (
        client.get("/consent/banner.json", headers={"Origin": "https://evil.example"}).status_code
        == 403
    )
    own = decide("accept_all", headers={"Origin": "http://testserver"})
    assert own.status_code == 201 and "Access-Control-Allow-Origin" not in own
    assert decide("accept_all", headers={"Origin": "https://www.example.nl"}).status_code == 201
    assert ConsentRecord.objects.filter(origin="https://www.example.nl").count() == 1


def test_counts_by_kind(decide, db):
    first = decide("accept_all").json()
    decide("reject_all", id=first["id"])
    decide("reject_all")
    decide("save", analytics=True, headers={"Sec-GPC": "1"})
    assert services.counts_by_kind() == {
        "accept_all": 1, "reject_all": 1, "custom": 1, "withdrawal": 1, "gpc": 1,
    }  # fmt: skip
