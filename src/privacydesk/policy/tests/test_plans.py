"""Request plans: found first, children before parents, holds respected, resumable (P12, P14).

Each case failed on the registry that erased source by source in registry order.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.accounts.roles import PRIVACY_OFFICER, TECHNICIAN, assign_role
from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import record, subject_ref
from privacydesk.policy import holds, plans, services
from privacydesk.policy.models import LegalHold, Plan, PlanStep
from privacydesk.spine import registry
from privacydesk.spine.registry import Subject
from privacydesk.testing import make_staff
from privacydesk.vault import erasure, keyring, links, reminders, storage
from privacydesk.vault import services as vault
from privacydesk.vault.models import RecoveryJob, VaultItem

ACTOR = "system:test"
CUSTOMER = "piet.puk@example.nl"
STAFF = "annabel.jansenius@example.nl"
#: What identifies the two people anywhere in the database (lower case).
IDENTIFIERS = {
    "customer": ("piet.puk@example.nl", "pietpuk", "laptop van piet"),
    "staff": ("annabel.jansenius@example.nl", "annabel", "jansenius"),
}


@pytest.fixture(autouse=True)
def _vault_and_outbox(settings, tmp_path):
    settings.VAULT_DIR = tmp_path / "vault"
    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"


@pytest.fixture
def customer(db):
    """A person with a vault job, three items and an e-mail in the outbox."""
    technician = make_staff(TECHNICIAN)
    job = vault.create_job(
        contact_email=CUSTOMER, device="Laptop van Piet", technician=technician, actor=ACTOR
    ).job
    items = [
        vault.store(job, io.BytesIO(b"x" * 100), raw_name=f"pietpuk-{i}.doc".encode(), actor=ACTOR)
        for i in range(3)
    ]
    mail.send_mail("Uw herstelde bestanden", "...", None, [CUSTOMER])
    return job, items


@pytest.fixture
def staff_member(db):
    """A staff member with a TOTP device, admin log entries and a failed sign-in."""
    user = get_user_model().objects.create_user(
        username="annabel", email=STAFF, first_name="Annabel", last_name="Jansenius"
    )
    assign_role(user, TECHNICIAN)
    TOTPDevice.objects.create(user=user, name="Telefoon Annabel", confirmed=True)
    for n in range(2):
        LogEntry.objects.create(
            user=user,
            content_type=ContentType.objects.get_for_model(RecoveryJob),
            object_id=str(n),
            object_repr=f"#{n}",
            action_flag=CHANGE,
            change_message="[]",
        )
    AccessAttempt.objects.create(
        username="annabel",
        ip_address="192.0.2.7",
        user_agent="x",
        failures_since_start=1,
        attempt_time=timezone.now(),
    )
    return user


def _erase(email, key="erase"):
    return plans.run("erase", [Subject("email", email)], key=key, actor=ACTOR)


# -- Seen 1: erasure follows relations ---------------------------------------------------------
def test_erasure_reaches_the_items_through_the_job(customer, django_capture_on_commit_callbacks):
    job, items = customer
    with django_capture_on_commit_callbacks(execute=True):
        done = _erase(CUSTOMER)
    assert done.counts["vault.VaultItem"] == 3 and done.counts["vault.RecoveryJob"] == 1
    for item in items:
        item.refresh_from_db()
        assert item.state == VaultItem.State.ERASED and item.wrapped_key is None
        assert not storage.exists(item.blob)
    job.refresh_from_db()
    assert (job.contact_email, job.status) == ("", RecoveryJob.Status.ERASED)
    assert job.link_version > 1  # the customer link died with the data
    labels = [s.source for s in done.steps]
    assert labels.index("vault.VaultItem") < labels.index("vault.RecoveryJob")


def test_erasure_reaches_device_and_log_entries_through_the_user(staff_member):
    _erase(STAFF)
    staff_member.refresh_from_db()
    assert staff_member.email == "" and not staff_member.is_active
    assert not TOTPDevice.objects.filter(user=staff_member).exists()
    assert not LogEntry.objects.filter(user=staff_member).exists()
    assert not AccessAttempt.objects.exists()  # found by the user's name, before it was erased


def _text_hits(needles) -> set[str]:
    """Tables in which any text or binary column holds one of ``needles``."""
    hits = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        text = bytes(value).decode("utf-8", "replace").lower()
                    elif isinstance(value, str):
                        text = value.lower()
                    else:
                        text = json.dumps(value, default=str).lower()
                    if any(n in text for n in needles):
                        hits.add(table)
    return hits


def test_after_erasure_only_a_declared_legal_ground_keeps_anything(customer, staff_member):
    needles = IDENTIFIERS["customer"] + IDENTIFIERS["staff"]
    assert {"vault_recoveryjob", "vault_vaultitem", "accounts_user"} <= _text_hits(needles)
    _erase(CUSTOMER, key="erase-customer")
    _erase(STAFF, key="erase-staff")
    kept = {
        src.model_class._meta.db_table
        for src in registry.sources()
        if src.erasure == "keep" and isinstance(src, registry.ModelData)
    }
    assert _text_hits(needles) <= kept
    assert registry.source("backoffice.outbox").find(Subject("email", CUSTOMER), {}) == []


# -- Seen 2: legal holds -----------------------------------------------------------------------
def test_items_under_a_hold_are_not_erased_and_their_job_stays(customer):
    job, items = customer
    vault.set_hold(items[0], held=True, actor=ACTOR, reason="civil case 2026/17")
    done = _erase(CUSTOMER)
    steps = {s.source: s for s in done.steps}
    assert steps["vault.VaultItem"].held_keys == [str(items[0].pk)]
    assert steps["vault.RecoveryJob"].status == PlanStep.Status.HELD  # the held item needs it
    states = {i.pk: VaultItem.objects.get(pk=i.pk).state for i in items}
    assert states == {
        items[0].pk: VaultItem.State.HELD,
        items[1].pk: VaultItem.State.ERASED,
        items[2].pk: VaultItem.State.ERASED,
    }
    job.refresh_from_db()
    assert job.contact_email == CUSTOMER
    # Released, the next request erases the rest.
    vault.set_hold(items[0], held=False, actor=ACTOR)
    _erase(CUSTOMER, key="erase-again")
    assert VaultItem.objects.get(pk=items[0].pk).state == VaultItem.State.ERASED
    job.refresh_from_db()
    assert job.contact_email == ""


def test_a_hold_placed_after_the_find_phase_still_keeps_its_rows(customer):
    job, items = customer
    plan = plans.prepare("erase", [Subject("email", CUSTOMER)], key="late-hold", actor=ACTOR)
    vault.set_hold(items[0], held=True, actor=ACTOR, reason="court order after the request")
    done = plans.execute(plan, actor=ACTOR)
    steps = {s.source: s for s in done.steps}
    assert steps["vault.VaultItem"].held_keys == [str(items[0].pk)]
    assert str(items[0].pk) not in steps["vault.VaultItem"].keys
    assert steps["vault.RecoveryJob"].status == PlanStep.Status.HELD
    assert VaultItem.objects.get(pk=items[0].pk).state == VaultItem.State.HELD
    assert VaultItem.objects.get(pk=items[1].pk).state == VaultItem.State.ERASED
    job.refresh_from_db()
    assert job.contact_email == CUSTOMER


def test_the_vault_source_never_shreds_a_held_item(customer):
    _job, items = customer
    vault.set_hold(items[0], held=True, actor=ACTOR, reason="civil case")
    registry.source("vault.VaultItem").erase([str(i.pk) for i in items])
    assert VaultItem.objects.get(pk=items[0].pk).state == VaultItem.State.HELD


def test_a_hold_on_the_subject_keeps_everything_and_survives_the_vault_sweep(customer):
    job, items = customer
    hold = holds.place(subject=Subject("email", CUSTOMER), reason="tax audit", actor=ACTOR)
    assert {i.state for i in VaultItem.objects.filter(job=job)} == {VaultItem.State.HELD}
    later = vault.store(job, io.BytesIO(b"later"), raw_name=b"later.doc", actor=ACTOR)
    erasure.sweep(now=timezone.now() + timedelta(days=400))
    assert VaultItem.objects.get(pk=later.pk).state == VaultItem.State.HELD
    assert keyring.has_key(keyring.HOLD)
    done = _erase(CUSTOMER)
    assert done.counts == {}
    assert VaultItem.objects.exclude(state=VaultItem.State.HELD).count() == 0
    # The item's own release cannot lift the hold on its subject.
    with pytest.raises(vault.StillHeld):
        vault.set_hold(items[0], held=False, actor=ACTOR)
    holds.release(hold, actor=ACTOR)
    assert {i.state for i in VaultItem.objects.filter(job=job)} == {VaultItem.State.STORED}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"hold.placed", "hold.released"} <= actions
    assert LegalHold.objects.get(pk=hold.pk).released_by == ACTOR


def test_the_retention_sweep_leaves_held_rows(db):
    old = timezone.now() - timedelta(days=60)
    attempts = [
        AccessAttempt.objects.create(
            username=name, ip_address="192.0.2.9", user_agent="x", failures_since_start=1
        )
        for name in ("kept", "gone")
    ]
    AccessAttempt.objects.update(attempt_time=old)
    holds.place(
        records=[("axes.AccessAttempt", str(attempts[0].pk))], reason="incident 12", actor=ACTOR
    )
    counts = services.sweep_retention()
    assert counts == {"axes.AccessAttempt": 1}
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["kept"]


def test_a_hold_needs_a_reason_and_a_declared_source(db):
    with pytest.raises(holds.HoldError):
        holds.place(subject=Subject("email", CUSTOMER), reason=" ", actor=ACTOR)
    with pytest.raises(holds.HoldError):
        holds.place(records=[("crm.Nothing", "1")], reason="x", actor=ACTOR)


# -- Seen 3: every verb, recorded steps, resumable ---------------------------------------------
def test_an_interrupted_erasure_resumes_where_it_stopped(customer, staff_member, monkeypatch):
    staff_member.email = CUSTOMER  # the same person is staff and a vault customer
    staff_member.save()
    plan = plans.prepare("erase", [Subject("email", CUSTOMER)], key="rights-request:7", actor=ACTOR)
    acting = [s for s in plan.steps.order_by("position") if s.status == PlanStep.Status.PENDING]
    fourth = registry.source(acting[3].source)

    def broken(keys):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fourth, "erase", broken)
    with pytest.raises(plans.StepFailed):
        plans.execute(plan, actor=ACTOR)
    steps = list(plan.steps.filter(status__in=["done", "failed"]).order_by("position"))
    assert [s.status for s in steps] == ["done"] * 3 + ["failed"]
    assert steps[3].error == "RuntimeError" and steps[3].attempts == 1
    monkeypatch.undo()
    # The keys were found before anything changed: the run again reaches every row.
    done = plans.run("erase", [], key="rights-request:7", actor=ACTOR)
    attempts = {s.source: s.attempts for s in done.steps if s.status == PlanStep.Status.DONE}
    assert attempts[acting[0].source] == 1 and attempts[acting[3].source] == 2
    assert all(s.status != PlanStep.Status.FAILED for s in done.steps)
    assert not TOTPDevice.objects.filter(user=staff_member).exists()
    assert not VaultItem.objects.exclude(state=VaultItem.State.ERASED).exists()
    assert Plan.objects.get(key="rights-request:7").finished_at is not None
    audited = AuditEntry.objects.filter(action__startswith="plan.erase", object_id=str(plan.pk))
    assert audited.filter(action="plan.erase.step_failed").count() == 1
    # every step that ran once is audited once (kept rows too: they are marked restricted)
    ran = sum(1 for s in done.steps if s.finished_at)
    assert audited.filter(action="plan.erase").count() == ran


def test_restriction_is_stored_and_enforced(customer, tmp_path):
    job, items = customer
    token = links.token_for(job)
    done = plans.run("restrict", [Subject("email", CUSTOMER)], key="restrict", actor=ACTOR)
    assert done.counts == {"vault.RecoveryJob": 1}
    job.refresh_from_db()
    assert job.restricted and job.contact_email == CUSTOMER  # stored ...
    assert links.resolve(token) == (job, False)  # ... not used: no portal,
    with pytest.raises(vault.Restricted):
        vault.store(job, io.BytesIO(b"y"), raw_name=b"y", actor=ACTOR)  # no uploads,
    with pytest.raises(vault.Restricted):
        b"".join(vault.plaintext(items[0]))  # no reading,
    with pytest.raises(vault.Restricted):
        vault.export_to_file(items[0], tmp_path / "copy.age", encrypted=True, actor=ACTOR)
    far = timezone.now() + timedelta(days=60)
    assert job not in reminders.due_jobs(far)  # no reminders
    inventory = registry.source("vault.VaultItem").inventory([str(i.pk) for i in items])
    assert inventory["restricted"] == 3


def test_every_verb_works_for_every_source(customer, staff_member):
    subject = Subject("email", CUSTOMER)
    found = registry.find_all([subject])
    assert set(found) >= {"vault.RecoveryJob", "vault.VaultItem", "backoffice.outbox"}
    for src in registry.sources():
        keys = found.get(src.label, [])
        assert isinstance(src.export(keys), list)
        assert src.rectify(keys, {}) == 0
        assert isinstance(src.expired(timezone.now()), list)
        assert set(src.inventory(keys)) == {"rows", "fields", "restricted", "erasure"}
        src.on_hold(keys, False, actor=ACTOR)
    exported = plans.run("export", [subject], key="export", actor=ACTOR).results
    # the link e-mailed at intake and the message the fixture sent
    assert "Uw herstelde bestanden" in {m["subject"] for m in exported["backoffice.outbox"]}
    assert exported["vault.RecoveryJob"][0]["device"] == "Laptop van Piet"
    assert len(exported["vault.VaultItem"]) == 3


# -- Seen 4: stable identity -------------------------------------------------------------------
def test_a_rectified_address_keeps_the_history(customer, settings):
    job, _items = customer
    new = "p.puk@example.org"
    hold = holds.place(subject=Subject("email", CUSTOMER), reason="claim", actor=ACTOR)
    plans.run(
        "rectify",
        [Subject("email", CUSTOMER)],
        key="rectify",
        actor=ACTOR,
        rectified=Subject("email", new),
    )
    job.refresh_from_db()
    assert job.contact_email == new
    hold.refresh_from_db()
    assert hold.value == new  # the hold follows the person
    assert VaultItem.objects.filter(job=job).count() == len(holds.held_keys()["vault.VaultItem"])
    record(actor=ACTOR, action="test.after_rectification", subject=subject_ref("email", new))
    exported = plans.run("export", [Subject("email", new)], key="after", actor=ACTOR).results
    actions = {e["action"] for e in exported["audit.AuditEntry"]}
    assert {"vault.job_created", "vault.item_stored", "test.after_rectification"} <= actions
    # A key rotation later, the whole history is still found under either address.
    settings.PSEUDONYM_KEYS = (b"r" * 32, *settings.PSEUDONYM_KEYS)
    for address in (CUSTOMER, new):
        again = plans.run("export", [Subject("email", address)], key=address, actor=ACTOR)
        assert actions <= {e["action"] for e in again.results["audit.AuditEntry"]}


# -- subject find --------------------------------------------------------------------------------
def test_subject_find_lists_sources_counts_and_holds(customer, staff):
    officer = staff(PRIVACY_OFFICER)
    holds.place(subject=Subject("email", CUSTOMER), reason="tax audit", actor=ACTOR)
    out = io.StringIO()
    call_command("subject", "--user", officer.username, "find", "--email", CUSTOMER, "--json",
                 stdout=out)  # fmt: skip
    data = json.loads(out.getvalue())
    rows = {r["source"]: r for r in data["sources"]}
    assert rows["vault.VaultItem"]["rows"] == 3 and rows["vault.VaultItem"]["held"] == 3
    assert rows["backoffice.outbox"]["rows"] == 2  # the intake link and the fixture's e-mail
    assert rows["audit.AuditEntry"]["erasure"] == "keep"
    assert [h["reason"] for h in data["holds"]] == ["tax audit"]
    entry = AuditEntry.objects.filter(action="subject.found").get()
    assert entry.actor == f"user:{officer.pk}"
    assert entry.subject_ref == subject_ref("email", CUSTOMER)
    assert CUSTOMER not in json.dumps(entry.detail)
    text = io.StringIO()
    call_command("subject", "--user", officer.username, "find", "--email", CUSTOMER, stdout=text)
    assert "vault.VaultItem" in text.getvalue() and "tax audit" in text.getvalue()


def test_subject_find_is_audited_under_every_identifier_asked_for(customer, staff):
    officer = staff(PRIVACY_OFFICER)
    phone = "+31 6 12345678"
    call_command("subject", "find", "--email", CUSTOMER, "--phone", phone,
                 "--user", officer.username, stdout=io.StringIO())  # fmt: skip
    refs = set(
        AuditEntry.objects.filter(action="subject.found").values_list("subject_ref", flat=True)
    )
    assert refs == {subject_ref("email", CUSTOMER), subject_ref("phone", phone)}


def test_subject_find_is_for_privacy_officers_and_admins(db, staff):
    with pytest.raises(CommandError, match="privacy officer"):
        call_command("subject", "--user", staff(TECHNICIAN).username, "find", "--email", CUSTOMER)
    with pytest.raises(CommandError, match="--user"):
        call_command("subject", "--user", "", "find", "--email", CUSTOMER)
    assert not AuditEntry.objects.filter(action="subject.found").exists()
