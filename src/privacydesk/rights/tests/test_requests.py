"""Requests carried out through the registry's plans: access package, portability, erasure
with legal grounds and holds, objection, restriction, rectification; the CLI contract."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from privacydesk.audit.models import AuditEntry
from privacydesk.policy import holds, plans
from privacydesk.policy.models import PlanStep
from privacydesk.rights import services
from privacydesk.rights.models import Request
from privacydesk.spine import registry
from privacydesk.spine.registry import Subject
from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER, TECHNICIAN
from privacydesk.testing import make_staff
from privacydesk.vault import services as vault
from privacydesk.vault.models import RecoveryJob, VaultItem

ACTOR = "system:test"
CUSTOMER = "piet.puk@example.nl"


@pytest.fixture(autouse=True)
def _vault_and_outbox(settings, tmp_path):
    settings.VAULT_DIR = tmp_path / "vault"
    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"
    settings.OUTBOX_DIR = tmp_path / "outbox"  # this test's letters only


@pytest.fixture
def customer(db):
    technician = make_staff(TECHNICIAN)
    job = vault.create_job(
        contact_email=CUSTOMER, device="Laptop van Piet", technician=technician, actor=ACTOR
    ).job
    items = [
        vault.store(job, io.BytesIO(b"x" * 100), raw_name=f"pietpuk-{i}.doc".encode(), actor=ACTOR)
        for i in range(2)
    ]
    return job, items


def _newsletter():
    from privacydesk.mailings.models import MailingList

    return MailingList.objects.get_or_create(
        slug="nieuwsbrief", defaults={"title_nl": "Nieuwsbrief", "title_en": "Newsletter"}
    )[0]


@pytest.fixture
def subscriber(db):
    """The customer on the real newsletter (soft opt-in), with a proof of it."""
    from privacydesk.mailings import services as mailings

    _newsletter()
    return mailings.add_soft_opt_in("nieuwsbrief", CUSTOMER, source="invoice 2026-001", actor=ACTOR)


@pytest.fixture
def visitor(db):
    """A website visitor who accepted tracking, browsed three pages and gave the customer's
    address in a gated download: their consent id."""
    from privacydesk.consent import services as consent
    from privacydesk.tracking import demo, downloads
    from privacydesk.tracking.models import Download, Event

    decision = consent.Decision(
        action="accept_all", analytics=True, tracking=True, version=consent.banner_version(),
        language="nl", gpc=False,
    )  # fmt: skip
    rec = consent.decide(
        decision, user_agent="Firefox", ip_address="192.0.2.44", origin="https://www.example.nl"
    )
    demo._gated_downloads()
    download = Download.objects.order_by("pk").first()
    answers = {"name": "Piet Puk", "email": CUSTOMER.upper(), "company": "Puk BV"}
    assert downloads.deliver(download, answers, visitor=rec.consent_id).profile is not None
    now = timezone.now()
    Event.objects.bulk_create(
        Event(visitor_id=rec.consent_id, at=now, kind="pageview", site="www.example.nl",
              path=f"/diensten/{i}/")
        for i in range(3)
    )  # fmt: skip
    return rec.consent_id


@pytest.fixture
def crm_customer(db):
    """The customer in the CRM: a contact with an interaction and an invoice."""
    from decimal import Decimal

    from privacydesk.crm.models import Contact, Interaction, Invoice

    contact = Contact.objects.create(
        name="Piet Puk", email=CUSTOMER, last_contact_on=timezone.localdate()
    )
    Interaction.objects.create(contact=contact, kind="call", date=timezone.localdate(), text="Hi")
    invoice = Invoice.objects.create(
        number="2026-001", date=timezone.localdate(), contact=contact, customer_name="Piet Puk",
        customer_email=CUSTOMER, amount_excl_vat=Decimal("100.00"), vat_amount=Decimal("21.00"),
        amount_incl_vat=Decimal("121.00"),
    )  # fmt: skip
    return contact, invoice


def _never_mailed_again(address: str) -> None:
    """The address is on the real suppression list (keyed hash) and cannot be re-added."""
    from privacydesk.audit.services import subject_ref
    from privacydesk.mailings import services as mailings
    from privacydesk.mailings.models import Subscription, Suppression

    _newsletter()
    assert mailings.is_suppressed(address)
    entry = Suppression.objects.get(ref=subject_ref("email", address))
    assert address not in entry.ref and entry.reason in ("objected", "unsubscribed")
    assert mailings.add_soft_opt_in("nieuwsbrief", address, source="x", actor=ACTOR) is None
    mailings.request_signup(
        "nieuwsbrief", address, form_url="f", text_shown="t", text_version="1", ip=None,
        language="nl",
    )  # fmt: skip
    assert not Subscription.objects.filter(
        email__iexact=address, state=Subscription.State.CONFIRMED
    ).exists()


@pytest.fixture
def officer(db):
    return make_staff(PRIVACY_OFFICER)


def _new(kind: str, *, language="nl", **extra) -> Request:
    return services.create(
        kind=kind,
        channel="post",
        actor=ACTOR,
        email=CUSTOMER,
        verified=True,
        language=language,
        **extra,
    )


def _cli(*args, user=None) -> str:
    out = io.StringIO()
    call_command("rights", *args, *(["--user", user] if user else []), stdout=out)
    return out.getvalue()


def _unzip(req: Request) -> dict[str, bytes]:
    with default_storage.open(req.package, "rb") as fh, zipfile.ZipFile(fh) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# -- access ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_access_package_has_every_source_with_activity_csvs_and_report(customer, lang):
    req = _new("access", language=lang)
    done = services.carry_out(req, actor=ACTOR)
    req.refresh_from_db()
    assert req.state == Request.State.ANSWERED and done.package == req.package
    files = _unzip(req)
    data = json.loads(files["data.json"])
    # every source that holds something about the person contributed all its records
    steps = services.steps(req)
    assert set(data["sources"]) == {s.source for s in steps}
    assert set(registry.find_all([Subject("email", CUSTOMER)])) == {s.source for s in steps}
    assert {"vault.RecoveryJob", "vault.VaultItem", "rights.Request"} <= set(data["sources"])
    for step in steps:
        assert sum(1 for r in data["records"] if r["source"] == step.source) == len(step.keys)
    assert all(r["activity"] for r in data["records"])
    items = [r["data"] for r in data["records"] if r["source"] == "vault.VaultItem"]
    assert all(i["expires_on"] for i in items)  # metadata and erasure date
    rows = list(csv.DictReader(io.StringIO(files["vault-VaultItem.csv"].decode("utf-8-sig"))))
    assert len(rows) == 2 and "expires_on" in rows[0]
    report = files["report.html"].decode()
    assert f'<html lang="{lang}">' in report
    words = {
        "nl": [
            "Doel",
            "Ontvangers",
            "klacht",
            "Autoriteit Persoonsgegevens",
            "Dataopslag en recovery",
        ],
        "en": [
            "Purpose",
            "Recipients",
            "complain",
            "Autoriteit Persoonsgegevens",
            "Data storage and recovery",
        ],
    }
    for word in words[lang]:
        assert word.lower() in report.lower(), word
    # the answer goes by a signed, expiring link, never as an attachment: the message as sent
    [letter] = [m for m in _outbox_messages() if f"#{req.pk})" in m["Subject"]]
    assert letter.get_content_type() == "text/plain" and not letter.is_multipart()
    assert list(letter.iter_attachments()) == []
    assert not any(p.get_filename() for p in letter.walk())
    body = letter.get_content()
    match = re.search(r"https?://\S+/privacy/request/package/([^/\s]+)/", body)
    assert match and services.request_for_package(match.group(1)) == req  # signed, ours
    assert services.request_for_package(match.group(1)[:-2] + "xx") is None
    raw = letter.as_bytes()
    assert b"Content-Disposition" not in raw and b"application/zip" not in raw
    assert "&#x27;" not in body and "&amp;" not in body  # a text letter, not HTML-escaped
    assert AuditEntry.objects.filter(action="rights.letter_sent", detail__letter="access").exists()


def test_a_request_by_address_finds_the_visitors_events_and_consent_through_the_profile(visitor):
    from privacydesk.consent.models import ConsentRecord
    from privacydesk.tracking.models import Delivery, Event, Profile, Visitor

    req = _new("access")
    services.carry_out(req, actor=ACTOR)
    data = json.loads(_unzip(req)["data.json"])
    held: dict[str, list[dict]] = {}
    for record in data["records"]:
        held.setdefault(record["source"], []).append(record["data"])
    assert held["tracking.Profile"][0]["company"] == "Puk BV"
    assert [v["id"] for v in held["tracking.Visitor"]] == [str(visitor)]
    paths = sorted(e["path"] for e in held["tracking.Event"])
    assert paths == [f"/diensten/{i}/" for i in range(3)]
    assert [c["consent_id"] for c in held["consent.ConsentRecord"]] == [str(visitor)]
    assert "tracking-Event.csv" in _unzip(req) and "consent-ConsentRecord.csv" in _unzip(req)

    erasure = _new("erasure")
    services.carry_out(erasure, actor=ACTOR)
    done = {(s.plan.verb, s.source): s.status for s in services.steps(erasure)}
    for label in ("tracking.Visitor", "tracking.Event", "consent.ConsentRecord"):
        assert done[("erase", label)] == "done", label
    assert not Visitor.objects.filter(pk=visitor).exists()
    assert not Event.objects.filter(visitor_id=visitor).exists()
    assert not ConsentRecord.objects.filter(consent_id=visitor).exists()
    assert not Profile.objects.exists()
    assert Delivery.objects.get().profile is None  # a count that names no one


def test_a_source_that_raises_fails_the_package_loudly_and_a_retry_completes(customer, monkeypatch):
    req = _new("access")
    src = registry.source("vault.VaultItem")

    def broken(keys):
        raise RuntimeError("storage offline")

    monkeypatch.setattr(src, "export", broken)
    with pytest.raises(plans.StepFailed):
        services.carry_out(req, actor=ACTOR)
    req.refresh_from_db()
    assert req.state == Request.State.FAILED and req.package == ""
    failed = [s for s in services.steps(req) if s.status == PlanStep.Status.FAILED]
    assert [s.source for s in failed] == ["vault.VaultItem"]
    monkeypatch.undo()
    services.carry_out(req, actor=ACTOR)
    req.refresh_from_db()
    assert req.state == Request.State.ANSWERED and req.package


def test_portability_gives_json_of_the_provided_fields(customer):
    req = _new("portability")
    services.carry_out(req, actor=ACTOR)
    req.refresh_from_db()
    files = _unzip(req)
    assert set(files) == {"data.json"}
    data = json.loads(files["data.json"])
    own = [r["data"] for r in data["records"] if r["source"] == "rights.Request"]
    assert own and set(own[0]) <= {"id", "kind", "email", "phone", "name", "message"}


# -- erasure --------------------------------------------------------------------------------
def _text_hits(needle: str) -> set[str]:
    hits = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        text = bytes(value).decode("utf-8", "replace")
                    else:
                        text = value if isinstance(value, str) else json.dumps(value, default=str)
                    if needle in text.lower():
                        hits.add(table)
    return hits


def test_erasure_shreds_suppresses_explains_and_leaves_only_legal_grounds(
    customer, subscriber, officer, django_capture_on_commit_callbacks
):
    from privacydesk.mailings.models import ConsentProof, Subscription

    job, items = customer
    req = _new("erasure", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        out = _cli("erase", str(req.pk), user=officer.username)
    assert "vault.VaultItem" in out and "done" in out
    for item in items:
        item.refresh_from_db()
        assert item.state == VaultItem.State.ERASED and item.wrapped_key is None
    job.refresh_from_db()
    assert job.contact_email == ""
    # the newsletter: the subscription is erased, its proof kept (Art. 7(1)), and the
    # address is on the real suppression list, so marketing never adds it again
    assert not Subscription.objects.filter(pk=subscriber.pk).exists()
    assert ConsentProof.objects.filter(email=CUSTOMER).exists()
    statuses = {(s.plan.verb, s.source): s.status for s in services.steps(req)}
    assert statuses[("erase", "mailings.Subscription")] == "done"
    assert statuses[("object", "mailings.Suppression")] == "done"
    _never_mailed_again(CUSTOMER)
    req.refresh_from_db()
    assert req.state == Request.State.ANSWERED
    # what is left is what a legal ground keeps: the request itself, the audit log
    kept = {
        src.model_class._meta.db_table
        for src in registry.sources()
        if isinstance(src, registry.ModelData) and (src.erasure == "keep" or src.keep_reason)
    }
    assert _text_hits(CUSTOMER) <= kept | {"django_tasks_database_dbtaskresult"}
    # the letter explains what was kept and why
    outbox = list(default_storage.location and _outbox_files())
    letter = [m for m in outbox if "erased" in m]
    assert letter and "Handling data-subject requests" in letter[-1]
    # idempotent: running it again changes nothing and repeats no step
    attempts = {s.source: s.attempts for s in services.steps(req)}
    _cli("erase", str(req.pk), user=officer.username)
    assert {s.source: s.attempts for s in services.steps(req)} == attempts


def _outbox_messages():
    from email import message_from_bytes, policy

    from django.conf import settings

    for path in sorted(settings.OUTBOX_DIR.glob("*.eml")):
        yield message_from_bytes(path.read_bytes(), policy=policy.default)


def _outbox_files():
    from django.conf import settings

    for path in sorted(settings.OUTBOX_DIR.glob("*.eml")):
        from email import message_from_bytes, policy

        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        yield msg.get_body(preferencelist=("plain",)).get_content()


def test_held_rows_are_kept_and_explained(customer):
    job, items = customer
    holds.place(reason="civil case 2026/17", actor=ACTOR, subject=Subject("email", CUSTOMER))
    req = _new("erasure")
    services.carry_out(req, actor=ACTOR)
    for item in items:
        item.refresh_from_db()
        assert item.state != VaultItem.State.ERASED
    kept = services.kept_explained(req)
    assert any(k["why"] == "hold" and k["source"] == "vault.VaultItem" for k in kept)
    job.refresh_from_db()
    assert job.restricted  # kept for the hold only: stored, not used (Art. 18)


def test_what_an_erasure_keeps_by_a_legal_duty_is_restricted(crm_customer, subscriber):
    from privacydesk.crm.models import Contact, Invoice
    from privacydesk.mailings.models import ConsentProof

    contact, invoice = crm_customer
    req = _new("erasure")
    services.carry_out(req, actor=ACTOR)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    invoice = Invoice.objects.get(pk=invoice.pk)  # kept seven years, for the tax authority
    assert invoice.restricted and invoice.customer_email == CUSTOMER
    proof = ConsentProof.objects.get(email=CUSTOMER)  # kept as the consent's evidence
    assert proof.restricted
    statuses = {(s.plan.verb, s.source): (s.status, s.rows) for s in services.steps(req)}
    assert statuses[("erase", "crm.Invoice")] == ("kept", 1)
    assert statuses[("erase", "mailings.ConsentProof")] == ("kept", 1)
    kept = {k["source"] for k in services.kept_explained(req)}
    assert {"crm.Invoice", "mailings.ConsentProof"} <= kept


def test_interrupted_erasure_is_resumed_by_the_worker(customer, monkeypatch):
    job, _items = customer
    req = _new("erasure")
    src = registry.source("vault.RecoveryJob")
    monkeypatch.setattr(src, "erase", lambda keys: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(plans.StepFailed):
        services.carry_out(req, actor=ACTOR)
    statuses = {s.source: s.status for s in services.steps(req)}
    assert statuses["vault.VaultItem"] == "done" and statuses["vault.RecoveryJob"] == "failed"
    monkeypatch.undo()
    # A worker killed half-way leaves the request "in progress" with a stale claim.
    Request.objects.filter(pk=req.pk).update(
        state=Request.State.PROCESSING, running_since=timezone.now() - timedelta(hours=1)
    )
    assert services.resume_unfinished() == 1
    req.refresh_from_db()
    assert req.state == Request.State.ANSWERED
    job.refresh_from_db()
    assert job.contact_email == ""


# -- objection, restriction, rectification --------------------------------------------------
def test_objection_reaches_every_source_that_acts_on_it_even_without_rows(db, suppression):
    req = _new("objection")
    services.carry_out(req, actor=ACTOR)
    steps = services.steps(req)
    # Every source with an objection verb has its step (the test's suppression list, and the
    # apps' own: the newsletter's, tracking's download profile), each done though it found
    # no row.
    done = [(s.source, s.status) for s in steps]
    assert ("tests.suppression", "done") in done
    assert ("mailings.Suppression", "done") in done
    assert {s.status for s in steps} == {"done"}
    assert suppression.suppressed(CUSTOMER)
    _never_mailed_again(CUSTOMER)  # an address never held goes on the list all the same


def test_objection_ends_the_newsletter_and_suppresses_the_address(subscriber):
    from privacydesk.mailings.models import ConsentProof, Delivery, Subscription
    from privacydesk.mailings.services import create_campaign, queue_campaign

    req = _new("objection", language="en")
    services.carry_out(req, actor=ACTOR)
    subscriber.refresh_from_db()
    assert subscriber.state == Subscription.State.UNSUBSCRIBED and subscriber.unsubscribed_at
    assert not ConsentProof.objects.filter(email=CUSTOMER, ended_at__isnull=True).exists()
    statuses = {s.source: (s.status, s.rows) for s in services.steps(req)}
    # both newsletter sources have their step (whichever ran first ended the subscription)
    assert statuses["mailings.Subscription"][0] == statuses["mailings.Suppression"][0] == "done"
    assert statuses["mailings.Suppression"][1] == 1
    _never_mailed_again(CUSTOMER)
    campaign = create_campaign("nieuwsbrief", subject="Nieuws", markdown="Hallo", actor=ACTOR)
    queue_campaign(campaign.pk, actor=ACTOR)
    assert not Delivery.objects.filter(subscription__email=CUSTOMER).exists()
    # the letter's promise holds
    letter = list(_outbox_files())[-1]
    assert "suppression list" in letter


def test_restriction_marks_the_rows_and_shows_it(customer, staff_client):
    job, _ = customer
    req = _new("restriction")
    services.carry_out(req, actor=ACTOR)
    job.refresh_from_db()
    assert job.restricted
    client = staff_client(PRIVACY_OFFICER)
    page = client.get(f"/staff/rights/{req.pk}/").content.decode()
    assert "beperkt (alleen opslag)" in page
    # and on the vault's own pages that show the job
    for path in ("/staff/vault/jobs/", f"/staff/vault/jobs/{job.pk}/"):
        assert "beperkt (art. 18): alleen opslag" in client.get(path).content.decode(), path


def test_a_restricted_crm_customer_is_marked_and_not_offered_to_the_newsletter(
    crm_customer, staff_client
):
    from privacydesk.crm import newsletter
    from privacydesk.mailings.models import Subscription

    contact, invoice = crm_customer
    _newsletter()
    req = _new("restriction")
    services.carry_out(req, actor=ACTOR)
    contact.refresh_from_db()
    invoice.refresh_from_db()
    assert contact.restricted and invoice.restricted
    inventory = registry.source("crm.Interaction").inventory([str(contact.interactions.get().pk)])
    assert inventory["restricted"] == 1  # through its contact
    outcome = newsletter.soft_opt_in(contact, invoice, source="crm test", actor=ACTOR)
    assert outcome == newsletter.RESTRICTED
    assert not Subscription.objects.filter(email=CUSTOMER).exists()
    page = staff_client("sales").get(f"/staff/crm/contacts/{contact.pk}/").content.decode()
    assert 'id="crm-contact-restricted"' in page and "alleen opslag" in page
    assert 'id="crm-newsletter-restricted"' in page and 'id="crm-newsletter-add"' not in page


def test_rectification_writes_through_the_registry_and_audits_references(customer, settings):
    job, _ = customer
    req = _new("rectification", language="en")
    with pytest.raises(services.RightsError):
        services.start(req, actor=ACTOR)
    with pytest.raises(services.RightsError):
        services.set_corrections(
            req, changes={"vault.RecoveryJob": {"device": "x"}}, new_email="", actor=ACTOR
        )
    services.set_corrections(req, changes={}, new_email="p.puk@example.org", actor=ACTOR)
    services.carry_out(req, actor=ACTOR)
    job.refresh_from_db()
    assert job.contact_email == "p.puk@example.org"
    entry = AuditEntry.objects.get(action="rights.rectified")
    assert "example" not in json.dumps(entry.detail)
    assert set(entry.detail["identifier"]) == {"old", "new"}
    assert services.recipients(req) == []  # vault data only: no recipient to tell


def test_rectification_lists_the_recipients_to_inform(customer, staff_client, officer):
    from decimal import Decimal

    from privacydesk.crm.models import Invoice

    Invoice.objects.create(
        number="2026-0042",
        date=timezone.localdate(),
        customer_name="Piet Puk",
        customer_email=CUSTOMER,
        amount_excl_vat=Decimal("100.00"),
        vat_amount=Decimal("21.00"),
        amount_incl_vat=Decimal("121.00"),
    )
    req = _new("rectification", language="en")
    services.set_corrections(req, changes={}, new_email="p.puk@example.org", actor=ACTOR)
    # before it runs (what the page shows) and in the letter: the invoice's recipient only,
    # the recipients of the person's data, not of every activity
    tax = "The Dutch Tax Administration, when it asks"
    assert services.recipients(req) == [tax]
    assert services.recipients(req, lang="nl") == ["De Belastingdienst, als die daarom vraagt"]
    page = staff_client(PRIVACY_OFFICER).get(f"/staff/rights/{req.pk}/", HTTP_ACCEPT_LANGUAGE="nl")
    assert "De Belastingdienst, als die daarom vraagt" in page.content.decode()
    services.carry_out(req, actor=ACTOR)
    assert services.recipients(req) == [tax]
    [letter] = [m for m in _outbox_messages() if m["To"] == "p.puk@example.org"]
    assert f"- {tax}" in letter.get_content()


# -- the command line -----------------------------------------------------------------------
def test_cli_new_ls_show_package(customer, officer, tmp_path):
    created = json.loads(
        _cli(
            "new",
            "--kind",
            "access",
            "--email",
            CUSTOMER,
            "--received",
            "2026-01-31T10:00:00+01:00",
            "--channel",
            "post",
            "--json",
            user=officer.username,
        )
    )
    assert created["due_on"] == "2026-02-28" and created["verified"] is True
    listed = json.loads(_cli("ls", "--json", user=officer.username))
    assert listed[0].keys() == {"id", "kind", "channel", "received_at", "due_on", "state"}
    assert listed[0]["received_at"].startswith("2026-01-31T10:00:00")
    names = _cli(
        "package", str(created["id"]), "--out", str(tmp_path / "p"), user=officer.username
    ).split()
    assert {"data.json", "report.html", "vault-VaultItem.csv"} <= set(names)
    shown = json.loads(_cli("show", str(created["id"]), "--json", user=officer.username))
    assert shown["deadline"] == "2026-02-28" and shown["steps"]
    assert {s["source"] for s in shown["steps"]} >= {"vault.VaultItem"}


def test_cli_refuses_wrong_users_and_bad_input(db, officer):
    admin = make_staff(ADMIN)
    with pytest.raises(CommandError, match="may not"):
        _cli("new", "--kind", "access", "--email", CUSTOMER, user=admin.username)
    _cli("ls", user=admin.username)  # the admin reads
    with pytest.raises(CommandError, match="valid e-mail"):
        _cli("new", "--kind", "access", "--email", "not-an-address", user=officer.username)
    with pytest.raises(CommandError, match="ISO 8601"):
        _cli(
            "new",
            "--kind",
            "access",
            "--email",
            CUSTOMER,
            "--received",
            "gisteren",
            user=officer.username,
        )
    with pytest.raises(CommandError, match="no request"):
        _cli("show", "999", user=officer.username)


def test_staff_entry_with_scan_and_identity_check(officer, client):
    from privacydesk.testing import sign_in_verified

    sign_in_verified(client, officer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/staff/rights/new/",
        {
            "kind": "access",
            "channel": "post",
            "received_at": "2026-11-20T09:30",
            "email": CUSTOMER,
            "language": "nl",
            "identity_check": "Handtekening vergeleken",
            "scan": SimpleUploadedFile(
                "brief.pdf", b"%PDF-1.4 scan", content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 302
    req = Request.objects.get()
    assert req.channel == "post" and req.verified_at and req.identity_check
    assert req.attachments.get().filename == "brief.pdf"
    bad = client.post("/staff/rights/new/", {"kind": "access", "received_at": "morgen"})
    assert bad.status_code == 400
    assert RecoveryJob.objects.count() == 0


def test_retention_removes_closed_requests_and_unread_mail_after_three_years(db):
    from privacydesk.policy.services import sweep_retention
    from privacydesk.rights.models import MailboxMessage

    old = _new("access")
    services.attach(old, filename="brief.pdf", content=b"%PDF", content_type="", actor=ACTOR)
    recent = _new("access")
    long_ago = timezone.now() - timedelta(days=3 * 366 + 2)
    Request.objects.filter(pk__in=[old.pk, recent.pk]).update(closed_at=timezone.now())
    Request.objects.filter(pk=old.pk).update(closed_at=long_ago)
    kept = MailboxMessage.objects.create(
        mailbox="INBOX", uidvalidity=1, uid=1, outcome="unparseable", raw=b"x"
    )
    MailboxMessage.objects.filter(pk=kept.pk).update(seen_at=long_ago)
    MailboxMessage.objects.create(
        mailbox="INBOX", uidvalidity=1, uid=2, outcome="request", raw=b"y", request=old
    )
    sweep_retention()
    assert list(Request.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not MailboxMessage.objects.exists()
    assert not default_storage.listdir("rights/attachments")[1]


def test_a_source_declared_later_is_in_the_package_without_a_change_here(db, suppression):
    """Any registered source, not only models: the package asks the registry, nothing else."""
    suppression.find = lambda subject, parents: ["m-1", "m-2"] if subject.kind == "email" else []
    suppression.export = lambda keys: [{"id": k, "list": "nieuwsbrief"} for k in keys]
    req = _new("access")
    services.carry_out(req, actor=ACTOR)
    req.refresh_from_db()
    data = json.loads(_unzip(req)["data.json"])
    rows = [r for r in data["records"] if r["source"] == "tests.suppression"]
    assert [r["data"]["id"] for r in rows] == ["m-1", "m-2"]
    assert all(r["activity"] == "newsletter" for r in rows)
    assert "tests-suppression.csv" in _unzip(req)


def test_cli_package_refuses_an_expired_request(customer, officer, tmp_path):
    req = services.create(kind="access", channel="web", actor=ACTOR, email=CUSTOMER)
    Request.objects.filter(pk=req.pk).update(state=Request.State.EXPIRED)
    with pytest.raises(CommandError, match="expired: the address was never confirmed"):
        _cli("package", str(req.pk), "--out", str(tmp_path / "p"), user=officer.username)
    assert not (tmp_path / "p").exists() and services.steps(req) == []


def test_cli_erase_says_what_it_did_and_fails_when_nothing_could_be_done(customer, officer):
    _job, items = customer
    expired = _new("erasure")
    Request.objects.filter(pk=expired.pk).update(state=Request.State.EXPIRED)
    with pytest.raises(CommandError, match="expired"):
        _cli("erase", str(expired.pk), user=officer.username)
    refused = services.refuse(_new("erasure"), reason="Geen bewijs.", actor=ACTOR)
    with pytest.raises(CommandError, match="refused"):
        _cli("erase", str(refused.pk), user=officer.username)
    # another run holds the request (within its lease): nothing is done, and it says so
    req = _new("erasure")
    Request.objects.filter(pk=req.pk).update(
        state=Request.State.PROCESSING, running_since=timezone.now() - timedelta(minutes=5)
    )
    with pytest.raises(CommandError, match="another run"):
        _cli("erase", str(req.pk), user=officer.username)
    assert services.steps(req) == []
    assert all(VaultItem.objects.get(pk=i.pk).state != VaultItem.State.ERASED for i in items)
    # the lease ran out (the run was killed): the command takes over and finishes
    Request.objects.filter(pk=req.pk).update(running_since=timezone.now() - timedelta(hours=1))
    out = _cli("erase", str(req.pk), user=officer.username)
    assert f"request {req.pk}: erased, answered on" in out
    assert "nothing left to do" in _cli("erase", str(req.pk), user=officer.username)


def test_an_interrupted_erasure_run_again_repeats_no_finished_step(customer, officer, monkeypatch):
    job, items = customer
    req = _new("erasure")
    src = registry.source("vault.RecoveryJob")
    monkeypatch.setattr(src, "erase", lambda keys: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(CommandError, match=r"vault\.RecoveryJob failed"):
        _cli("erase", str(req.pk), user=officer.username)
    before = {s.source: (s.status, s.attempts) for s in services.steps(req)}
    assert before["vault.VaultItem"][0] == "done" and before["vault.RecoveryJob"][0] == "failed"
    monkeypatch.undo()
    req.refresh_from_db()
    assert req.state == Request.State.FAILED
    services.carry_out(req, actor=ACTOR)  # run again: it carries on where it stopped
    after = {s.source: (s.status, s.attempts) for s in services.steps(req)}
    assert after["vault.VaultItem"] == before["vault.VaultItem"]  # not repeated
    assert after["vault.RecoveryJob"] == ("done", before["vault.RecoveryJob"][1] + 1)
    assert {status for status, _ in after.values()} <= {"done", "kept"}
    job.refresh_from_db()
    assert job.contact_email == ""
    for item in items:
        item.refresh_from_db()
        assert item.state == VaultItem.State.ERASED
    req.refresh_from_db()
    assert req.state == Request.State.ANSWERED


def test_a_source_whose_find_raises_fails_the_request_with_its_step(
    customer, officer, tmp_path, monkeypatch
):
    src = registry.source("vault.VaultItem")

    def broken(subject, parents):
        raise RuntimeError("the vault index is unreadable")

    monkeypatch.setattr(src, "find", broken)
    req = _new("access")
    with pytest.raises(plans.StepFailed):
        services.carry_out(req, actor=ACTOR)
    req.refresh_from_db()
    assert req.state == Request.State.FAILED and req.package == ""
    assert [(s.source, s.status, s.error) for s in services.steps(req)] == [
        ("vault.VaultItem", "failed", "RuntimeError")
    ]  # the request page shows which source failed
    other = _new("access")
    with pytest.raises(CommandError, match=r"step vault\.VaultItem failed"):
        _cli("package", str(other.pk), "--out", str(tmp_path / "p"), user=officer.username)
    assert not (tmp_path / "p").exists()
    # repaired: the retry finds again, in full, and completes the package
    monkeypatch.undo()
    services.carry_out(req, actor=ACTOR)
    req.refresh_from_db()
    assert req.state == Request.State.ANSWERED
    statuses = {s.source: s.status for s in services.steps(req)}
    assert statuses["vault.VaultItem"] == "done" and set(statuses.values()) == {"done"}
    data = json.loads(_unzip(req)["data.json"])
    assert sum(1 for r in data["records"] if r["source"] == "vault.VaultItem") == 2
