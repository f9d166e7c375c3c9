"""The registers: disclosures and legal holds, processors and agreements, breaches and the clock."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from privacydesk.audit.models import AuditEntry
from privacydesk.policy import holds, plans, register
from privacydesk.policy import services as policy
from privacydesk.policy.checks import run_checks
from privacydesk.registers import services
from privacydesk.registers.models import Breach, Disclosure, Processor
from privacydesk.registers.tests.conftest import breach, disclosure, processor
from privacydesk.spine import registry
from privacydesk.spine.registry import Subject
from privacydesk.testing import make_staff

PERSON = "piet.puk@example.nl"


def _exported(subject_value: str) -> list[dict]:
    run = plans.run("export", [Subject("email", subject_value)], key=f"t:{subject_value}",
                    actor="system:test")  # fmt: skip
    return run.results.get("registers.DisclosureSubject", [])


# -- disclosures (P8) ---------------------------------------------------------------------------
def test_a_disclosure_holds_its_records_and_people_until_released(db):
    officer = make_staff("privacy_officer")
    d = disclosure(
        subjects=[PERSON],
        records=[("accounts.User", str(officer.pk))],
        place_hold=True,
    )
    assert d.holds.count() == 2
    held = holds.held_keys()
    assert str(officer.pk) in held["accounts.User"]
    assert held["registers.DisclosureSubject"]  # the person's rows, resolved by the registry
    assert services.release_disclosure_holds(d, actor="system:test") == 2
    assert holds.held_keys() == {}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"hold.placed", "hold.released", "registers.disclosure.created"} <= actions


def test_a_disclosure_is_in_the_access_package_unless_withheld(db):
    today = timezone.localdate()
    disclosure(subjects=[PERSON], case_number="TOLD")
    disclosure(
        subjects=[PERSON],
        case_number="SECRET",
        subject_told=False,
        told_on=None,
        not_told_reason="onderzoek loopt",
        not_told_until=today + timedelta(days=30),
    )
    disclosure(
        subjects=[PERSON],
        case_number="LATER",
        subject_told=False,
        told_on=None,
        not_told_reason="onderzoek liep",
        not_told_until=today - timedelta(days=1),
    )
    shown = {row["case_number"] for row in _exported(PERSON)}
    assert shown == {"TOLD", "LATER"}
    src = registry.source("registers.DisclosureSubject")
    keys = registry.find_all([Subject("email", PERSON)])["registers.DisclosureSubject"]
    assert src.inventory(keys)["rows"] == 2
    # Nothing is erased on request: the register is kept (Art. 17(3)(b), (e)).
    assert src.erasure == "keep"


def _access_package(settings, tmp_path, value: str) -> list[dict]:
    """The records of a real access package (rights app) for ``value``."""
    import zipfile

    from django.core.files.storage import default_storage

    from privacydesk.rights import services as rights

    settings.VAULT_DIR = tmp_path / "vault"
    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"
    req = rights.create(
        kind="access", channel="post", actor="system:test", email=value, verified=True
    )
    rights.carry_out(req, actor="system:test")
    req.refresh_from_db()
    with default_storage.open(req.package, "rb") as fh, zipfile.ZipFile(fh) as archive:
        return json.loads(archive.read("data.json"))["records"]


def test_a_withheld_disclosure_leaves_no_trace_in_the_access_package(db, settings, tmp_path):
    today = timezone.localdate()
    d = disclosure(
        subjects=[PERSON],
        case_number="SECRET",
        subject_told=False,
        told_on=None,
        not_told_reason="onderzoek loopt",
        not_told_until=today + timedelta(days=30),
        place_hold=True,
    )

    def traces(records):
        own = {"registers.DisclosureSubject", "policy.LegalHold"}
        return [
            r
            for r in records
            if r["source"] in own
            or "disclosure" in json.dumps(r["data"], default=str).lower()
            or r["data"].get("object_type") == "policy.LegalHold"
        ]

    assert traces(_access_package(settings, tmp_path, PERSON)) == []
    # Once the person may be told, the disclosure, its hold and its audit entries are there.
    Disclosure.objects.filter(pk=d.pk).update(not_told_until=today - timedelta(days=1))
    shown = traces(_access_package(settings, tmp_path, PERSON))
    sources = {r["source"] for r in shown}
    assert {"registers.DisclosureSubject", "policy.LegalHold", "audit.AuditEntry"} <= sources
    actions = {r["data"].get("action") for r in shown if r["source"] == "audit.AuditEntry"}
    assert {"registers.disclosure.subject", "hold.placed"} <= actions
    assert any(f"disclosure #{d.pk}" in r["data"]["reason"] for r in shown
               if r["source"] == "policy.LegalHold")  # fmt: skip


def test_a_disclosure_names_the_records_it_concerned_by_registry_label(db):
    with pytest.raises(Exception) as refused:
        services.parse_records("nothing.Here:1\nvault.RecoveryJob:")
    assert "nothing.Here:1" in str(refused.value)
    assert services.parse_records("vault.RecoveryJob:12") == [("vault.RecoveryJob", "12")]
    assert services.parse_subjects("a@example.nl\nphone:+31 6 1234 5678") == [
        Subject("email", "a@example.nl"),
        Subject("phone", "+31 6 1234 5678"),
    ]


# -- processors (P9) ---------------------------------------------------------------------------
def test_the_agreement_file_is_stored_encrypted_and_read_back_audited(db):
    data = b"%PDF-1.4 verwerkersovereenkomst " * 10
    p = processor()
    services.save_processor(p, actor="system:test", agreement=data, agreement_name="vo.pdf")
    p.refresh_from_db()
    assert data not in bytes(p.agreement_file)
    assert b"verwerkersovereenkomst" not in bytes(p.agreement_file)
    assert services.agreement_file(p, actor="user:1") == data
    assert AuditEntry.objects.filter(action="registers.processor.agreement_read").exists()


def test_warnings_30_and_7_days_before_the_end_each_once(db):
    make_staff("privacy_officer").__class__.objects.filter(username__startswith="privacy").update(
        email="fg@compjoeter.example"
    )
    today = timezone.localdate()
    p = processor(agreement_ends_on=today + timedelta(days=30))
    assert services.warn_agreements(today=today) == 1
    assert services.warn_agreements(today=today) == 0
    assert "30" in mail.outbox[0].subject and mail.outbox[0].to == ["fg@compjoeter.example"]
    assert services.warn_agreements(today=today + timedelta(days=23)) == 1
    assert "7" in mail.outbox[1].subject
    from privacydesk.spine import mail as spine_mail

    assert mail.outbox[1].from_email == spine_mail.from_address()
    assert "Message-ID" in mail.outbox[1].extra_headers
    assert services.warn_agreements(today=today + timedelta(days=24)) == 0
    # A renewed agreement gets its own warnings.
    p.agreement_ends_on = today + timedelta(days=60)
    services.save_processor(p, actor="system:test")
    assert services.warn_agreements(today=today + timedelta(days=31)) == 1
    assert len(mail.outbox) == 3


def test_warnings_wait_for_a_privacy_officer_with_an_address(db):
    officer = make_staff("privacy_officer")
    officer.email = ""
    officer.save()
    today = timezone.localdate()
    p = processor(agreement_ends_on=today + timedelta(days=30))
    b = breach()
    assert services.warn_agreements(today=today) == 0
    assert services.remind_breaches() == 0
    p.refresh_from_db()
    b.refresh_from_db()
    assert p.warned_30_for is None and b.reminders_sent == []  # not marked sent
    assert not AuditEntry.objects.filter(action="registers.processor.warned").exists()
    officer.email = "fg@compjoeter.example"
    officer.save()
    assert services.warn_agreements(today=today + timedelta(days=1)) == 1  # the next run
    assert services.remind_breaches() == 1
    assert [m.to for m in mail.outbox] == [["fg@compjoeter.example"]] * 2


def _model_naming(key: str):
    model = policy.current_model()
    activities = [
        a.model_copy(update={"processors": [key]}) if a.id == "customer_relations" else a
        for a in model.activities
    ]
    return model.model_copy(update={"activities": activities})


def _register_problems() -> list[str]:
    return [p for p in run_checks() if "processor" in p]


def test_policy_check_fails_for_a_processor_without_a_valid_agreement(db, monkeypatch):
    named = _model_naming("mail_host")
    monkeypatch.setattr(policy, "current_model", lambda: named)
    assert _register_problems() == [
        "activity customer_relations names processor 'mail_host', which is in no processor "
        "register",
        "activity customer_relations names processor 'mail_host', which is not in the processor "
        "register (so it has no agreement on record)",
    ]
    p = processor()
    assert _register_problems() == []
    p.agreement_ends_on = timezone.localdate() - timedelta(days=1)
    p.agreement_signed_on = timezone.localdate() - timedelta(days=400)
    p.save()
    [problem] = _register_problems()
    assert "names processor 'mail_host' without a valid agreement: agreement ended on" in problem
    p.agreement_ends_on = None
    p.art28_d = False
    p.save()
    [problem] = _register_problems()
    assert problem.endswith("agreement lacks Art. 28(3)(d)")


def test_a_processor_only_the_model_describes_fails_policy_check_and_p9(db, monkeypatch):
    """One source of truth: the model's own ``processors:`` list is no agreement."""
    from privacydesk.policy.schema import Processor as ModelProcessor
    from privacydesk.promises import services as board

    described = ModelProcessor.model_validate(
        {"id": "mail_host", "name": {"nl": "Mail B.V.", "en": "Mail B.V."},
         "service": {"nl": "e-mail", "en": "e-mail"}}
    )  # fmt: skip
    named = _model_naming("mail_host").model_copy(update={"processors": [described]})
    monkeypatch.setattr(policy, "current_model", lambda: named)
    [problem] = _register_problems()
    assert "names processor 'mail_host', which is not in the processor register" in problem
    p9 = {o.promise: o for o in board.check()}["P9"]
    assert p9.status == "failed"
    assert "customer_relations: mail_host" in p9.evidence
    processor()  # now in the register, with a valid agreement
    assert _register_problems() == []
    assert {o.promise: o for o in board.check()}["P9"].status == "ok"


def test_the_art30_register_takes_processors_from_the_register(db):
    processor(third_country=True, location="Verenigde Staten", safeguards="SCC's (art. 46 AVG)")
    model = _model_naming("mail_host")
    rows = {r["activity"]: r for r in register.register_rows(model, "nl")}
    row = rows["Bedrijfsvoering: contact met (toekomstige) klanten"]
    assert row["processors"] == "Voorbeeld Mail B.V., E-mail van de medewerkers, Verenigde Staten"
    assert row["transfers"] == "Voorbeeld Mail B.V. (Verenigde Staten): SCC's (art. 46 AVG)"
    en = {r["activity"]: r for r in register.register_rows(model, "en")}
    assert (
        "Staff e-mail"
        in en["Business operations: contact with (prospective) customers"]["processors"]
    )
    text = policy.render_policy(model, "nl", version=9, effective=timezone.localdate())
    assert "Voorbeeld Mail B.V.: E-mail van de medewerkers" in text


# -- breaches (Art. 33(5)) ---------------------------------------------------------------------
def test_the_breach_page_shows_the_countdown_answers_letter_and_recipients(db, officer_client):
    b = breach(subjects=[PERSON, "onbekend@example.nl"])
    disclosure(subjects=[PERSON])
    page = officer_client.get(f"/staff/registers/breaches/{b.pk}/").content.decode()
    assert re.search(r"nog (69|70) u \d+ min", page)
    assert "Meldformulier" in page
    assert "Verloren USB-stick. Een USB-stick met een export is verloren." in page
    assert "10 tot 20" in page
    assert "Een datalek bij coMPjoeter" in page
    assert "registers.DisclosureSubject (1)" in page
    assert "niet gevonden in onze gegevens" in page
    english = officer_client.get(f"/staff/registers/breaches/{b.pk}/?letter=en").content.decode()
    assert "A data breach at coMPjoeter involving your personal data" in english
    found = AuditEntry.objects.filter(action="registers.breach.recipient_found")
    assert found.count() == 4  # two people, two views


def test_a_breach_left_unnotified_past_72_hours_without_reason_is_flagged(db, officer_client):
    """Saved in time (no reason needed then), never edited: the list, the home panel and the
    board flag it, and P2 (Art. 33(5) wants a reason for every breach not notified) is red."""
    from privacydesk.promises import services as board

    left = breach(title="Laptop gestolen")
    Breach.objects.filter(pk=left.pk).update(
        discovered_at=timezone.now() - timedelta(hours=81),
        aware_at=timezone.now() - timedelta(hours=80),
    )
    fresh = breach(title="Verkeerd gemaild")  # 70 hours left
    explained = breach(title="Oud")
    Breach.objects.filter(pk=explained.pk).update(
        aware_at=timezone.now() - timedelta(hours=100), not_notified_reason="geen risico"
    )
    assert [b.pk for b in services.unexplained_breaches()] == [left.pk]
    listed = officer_client.get("/staff/registers/breaches/").content.decode()
    assert re.search(r"8 u \d+ min te laat, geen reden vastgelegd", listed)
    home = officer_client.get("/staff/").content.decode()
    assert f"Datalek #{left.pk}: de 72 uur zijn voorbij, de AP is niet gemeld" in home
    p2 = {o.promise: o for o in board.check()}["P2"]
    assert p2.status == "failed"
    assert f"without a reason (Art. 33(5)): #{left.pk}" in p2.evidence
    page = officer_client.get("/staff/promises/").content.decode()
    assert 'id="clocks"' in page
    assert f"Datalek #{left.pk}: de 72 uur zijn voorbij" in page
    assert re.search(rf"Datalek #{fresh.pk}: nog (69|70) u \d+ min", page)
    assert f"Datalek #{explained.pk}" not in page
    Breach.objects.filter(pk=left.pk).update(not_notified_reason="versleuteld, geen risico")
    assert services.unexplained_breaches() == []
    assert {o.promise: o for o in board.check()}["P2"].status == "ok"


@pytest.mark.parametrize("kind", ["disclosures", "breaches"])
def test_opening_the_edit_form_of_an_entry_is_audited_per_person(db, officer_client, kind):
    from privacydesk.audit.services import subject_ref

    entry = disclosure(subjects=[PERSON]) if kind == "disclosures" else breach(subjects=[PERSON])
    before = AuditEntry.objects.count()
    page = officer_client.get(f"/staff/registers/{kind}/{entry.pk}/edit/")
    assert page.status_code == 200 and PERSON in page.content.decode()
    action = "registers.disclosure" if kind == "disclosures" else "registers.breach"
    new = AuditEntry.objects.filter(id__gt=before)
    viewed = new.get(action=f"{action}.edit_viewed")
    assert viewed.actor == f"user:{officer_client.user.pk}"
    assert viewed.object_id == str(entry.pk) and viewed.detail == {"subjects": 1}
    person = new.get(action=f"{action}.edit_viewed.subject")
    assert person.subject_ref == subject_ref("email", PERSON)


def test_breach_reminders_go_to_the_privacy_officer_each_step_once(db):
    officer = make_staff("privacy_officer")
    officer.email = "fg@compjoeter.example"
    officer.save()
    now = timezone.now()
    b = breach(discovered_at=now - timedelta(hours=1), aware_at=now - timedelta(minutes=30))
    assert services.remind_breaches(now=now) == 1  # the 72 hours started
    assert services.remind_breaches(now=now) == 0
    assert services.remind_breaches(now=now + timedelta(hours=30)) == 1  # 48 h left
    assert services.remind_breaches(now=now + timedelta(hours=70)) == 1  # 24, 12 and 4 at once
    assert services.remind_breaches(now=now + timedelta(hours=73)) == 1  # passed
    assert services.remind_breaches(now=now + timedelta(hours=90)) == 0
    assert "72" in mail.outbox[-1].subject or "72" in mail.outbox[-1].body
    b.refresh_from_db()
    assert b.reminders_sent == [72, 48, 24, 12, 4, 0]
    decided = breach(ap_notified=True, ap_notified_at=now)
    assert services.remind_breaches(now=now + timedelta(hours=1)) == 0
    assert decided.reminders_sent == []


def test_exports_csv_and_json_from_the_command_line(db, capsys):
    officer = make_staff("privacy_officer")
    empty = {}
    for kind in services.KINDS:
        call_command("registers", "--user", officer.username, "export", "--kind", kind,
                     "--format", "csv")  # fmt: skip
        empty[kind] = capsys.readouterr().out.splitlines()
        assert len(empty[kind]) == 1  # the header alone
    processor()
    disclosure(subjects=[PERSON])
    breach()
    for kind in services.KINDS:
        call_command("registers", "export", "--kind", kind, "--format", "json",
                     "--user", officer.username)  # fmt: skip
        rows = json.loads(capsys.readouterr().out)
        assert len(rows) == 1
        call_command("registers", "export", "--kind", kind, "--format", "csv",
                     "--user", officer.username)  # fmt: skip
        out = capsys.readouterr().out
        parsed = list(csv.DictReader(io.StringIO(out)))
        assert len(parsed) == 1
        # An empty register's header is a filled one's: the keys of its JSON rows.
        assert out.splitlines()[0] == empty[kind][0] == ",".join(rows[0])
    assert PERSON not in json.dumps(services.disclosure_rows())  # counts, not identifiers
    exported = AuditEntry.objects.filter(action="registers.exported")
    assert exported.count() == 9
    assert set(exported.values_list("actor", flat=True)) == {f"user:{officer.pk}"}


def test_the_export_command_names_a_user_who_may_read_the_register(db, monkeypatch):
    monkeypatch.delenv("PRIVACYDESK_USER", raising=False)
    monkeypatch.delenv("PRIVACYDESK_CLI_USER", raising=False)
    args = ("registers", "export", "--kind", "disclosures", "--format", "json")
    with pytest.raises(CommandError, match="--user is required"):
        call_command(*args, "--user", "")
    with pytest.raises(CommandError, match="no active staff user"):
        call_command(*args, "--user", "niemand")
    sales = make_staff("sales")
    with pytest.raises(CommandError, match="may not read the disclosures register"):
        call_command(*args, "--user", sales.username)
    admin = make_staff("admin")
    call_command(*args, "--user", admin.username, stdout=io.StringIO())
    entry = AuditEntry.objects.get(action="registers.exported")
    assert entry.actor == f"user:{admin.pk}" and entry.detail["via"] == "cli"


# -- bad input: refused naming the field, nothing half-saved ---------------------------------------
def _post(client, url, data):
    response = client.post(url, data)
    return response.status_code, response.content.decode()


BREACH_FORM = {
    "title": "Lek",
    "summary": "Iets",
    "discovered_at": "2026-01-01T10:00",
    "aware_at": "2026-01-01T11:00",
    "nature": ["read"],
    "data_kinds": "namen",
    "people_min": "1",
    "people_max": "2",
    "people_kinds": "klanten",
    "encrypted": "no",
    "consequences": "geen",
    "measures_before": "rol",
    "measures_after": "wachtwoord",
    "not_notified_reason": "laag risico",
    "people_informed": "no",
    "not_informed_reason": "laag risico",
    "subjects": "a@example.nl",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"aware_at": ""}, "aware_at", "Dit veld is verplicht"),
        ({"discovered_at": "2999-01-01T10:00", "aware_at": "2999-01-01T11:00"}, "discovered_at",
         "ligt in de toekomst"),
        ({"ap_notified": "on", "ap_notified_at": "2026-01-01T09:00"}, "ap_notified_at",
         "kan niet vóór het moment liggen"),
        ({"people_min": "5", "people_max": "2"}, "people_max", "onder het minimum"),
        ({"not_notified_reason": ""}, "not_notified_reason", "art. 33 lid 5"),
        ({"subjects": "geen-adres"}, "subjects", "Geen identificatie"),
    ],
)  # fmt: skip
def test_a_bad_breach_is_refused_naming_the_field(officer_client, changes, field, message):
    response = officer_client.post("/staff/registers/breaches/new/", {**BREACH_FORM, **changes})
    assert response.status_code == 400
    errors = response.context["form"].errors
    # The message is attached to the field named, not only to the form or another field.
    assert any(message in e for e in errors.get(field, [])), errors
    # and the page shows it in that field's row, before the field itself
    row = re.search(rf'<div class="form-row[^"]*errors[^"]*">((?:(?!<div class="form-row).)*?)'
                    rf'id="id_{field}"', response.content.decode(), re.S)  # fmt: skip
    assert row and message in row.group(1)
    assert Breach.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="registers.breach.created").exists()


def test_a_good_breach_is_saved_and_an_edit_that_is_refused_changes_nothing(officer_client):
    status = officer_client.post("/staff/registers/breaches/new/", BREACH_FORM).status_code
    assert status == 302
    b = Breach.objects.get()
    assert list(b.subjects.values_list("value", flat=True)) == ["a@example.nl"]
    data = {**BREACH_FORM, "title": "Anders", "aware_at": "2025-12-31T09:00", "subjects": ""}
    status, _page = _post(officer_client, f"/staff/registers/breaches/{b.pk}/edit/", data)
    assert status == 400
    b.refresh_from_db()
    assert b.title == "Lek" and b.subjects.count() == 1


PROCESSOR_FORM = {
    "key": "mail_host",
    "name": "Mail B.V.",
    "service_nl": "mail",
    "service_en": "mail",
    "data_categories": "namen",
    "data_subjects": "klanten",
    "location": "NL",
    "agreement_signed_on": "2026-01-10",
    "agreement_ends_on": "2025-01-01",
}


def test_an_agreement_that_ends_before_it_starts_is_refused(officer_client):
    status, page = _post(officer_client, "/staff/registers/processors/new/", PROCESSOR_FORM)
    assert status == 400
    assert "De overeenkomst kan niet eindigen voordat ze is getekend." in page
    future = {**PROCESSOR_FORM, "agreement_signed_on": "2999-01-01", "agreement_ends_on": ""}
    status, page = _post(officer_client, "/staff/registers/processors/new/", future)
    assert status == 400 and "ligt in de toekomst" in page
    assert Processor.objects.count() == 0


def test_a_disclosure_with_its_answer_before_the_request_is_refused(officer_client):
    data = {
        "authority": "Politie",
        "legal_ground": "court_order",
        "requested_on": "2026-02-10",
        "answered_on": "2026-02-01",
        "scope_requested": "alles",
        "scope_given": "niets",
        "not_told_reason": "bevel",
        "subjects": PERSON,
        "place_hold": "on",
    }
    status, page = _post(officer_client, "/staff/registers/disclosures/new/", data)
    assert status == 400 and "Het antwoord kan niet vóór het verzoek komen." in page
    assert Disclosure.objects.count() == 0 and not holds.active().exists()
    data["answered_on"] = "2026-02-11"
    assert officer_client.post("/staff/registers/disclosures/new/", data).status_code == 302
    assert holds.active().count() == 1


def test_the_admin_reads_but_does_not_write(staff_client):
    d = disclosure(subjects=[PERSON])
    p = processor()
    b = breach()
    admin = staff_client("admin")
    for url in (
        f"/staff/registers/disclosures/{d.pk}/",
        f"/staff/registers/processors/{p.pk}/",
        f"/staff/registers/breaches/{b.pk}/",
    ):
        assert admin.get(url).status_code == 200
        assert admin.get(f"{url}edit/").status_code == 403
    assert admin.post("/staff/registers/breaches/new/", BREACH_FORM).status_code == 403
    assert admin.post(f"/staff/registers/disclosures/{d.pk}/holds/").status_code == 403
    assert admin.get("/staff/registers/breaches/999/").status_code == 404
    assert admin.get("/staff/registers/export/other.csv").status_code == 404
    viewed = AuditEntry.objects.filter(action="registers.disclosure.viewed.subject")
    assert viewed.exists() and viewed.first().subject_ref


def test_demo_records_load_twice_without_doubling(db):
    lines = __import__("privacydesk.registers.demo", fromlist=["load"]).load(console=None)
    __import__("privacydesk.registers.demo", fromlist=["load"]).load(console=None)
    assert len(lines) == 3
    assert (Processor.objects.count(), Disclosure.objects.count(), Breach.objects.count()) == (
        1,
        1,
        1,
    )
