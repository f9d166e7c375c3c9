"""``privacydesk vault`` as a technician meets it (issue 8, "Seen" 3, 5 and 9).

In-process with ``call_command`` (the same parser and handlers as the installed command);
one test runs ``privacydesk run`` and the CLI as real processes, because there the process
boundary is the point: the link must carry the port the server listens on.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from django.core.management import CommandError, call_command

from privacydesk.accounts.roles import ADMIN, TECHNICIAN
from privacydesk.audit.models import AuditEntry
from privacydesk.testing import free_port, make_staff
from privacydesk.testing.installation import migrated_installation
from privacydesk.vault import erasure, services
from privacydesk.vault.management.commands.vault import Command
from privacydesk.vault.models import RecoveryJob

OUTBOX = "privacydesk.backoffice.outbox.OutboxBackend"


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.EMAIL_BACKEND = OUTBOX


@pytest.fixture
def tech(db):
    return make_staff(TECHNICIAN, username="anna")


@pytest.fixture
def admin(db):
    return make_staff(ADMIN, username="beheer")


def vault(*args) -> str:
    out = io.StringIO()
    call_command("vault", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def create(*extra) -> str:
    return vault("job", "create", "--contact", "klant@example.nl", "--device", "HP", *extra)


# -- --user -----------------------------------------------------------------------------------
def test_user_is_accepted_before_or_after_any_subcommand(tech, admin, job, put):
    item = put(b"secret")
    after = vault("key", item.pk, "--user", "beheer")
    before = vault("--user", "beheer", "key", item.pk)
    assert after.startswith("AGE-SECRET-KEY-") and after == before
    with pytest.raises(CommandError, match="admin role"):
        vault("key", item.pk, "--user", "anna")
    create("--user", "anna")
    vault("--user", "anna", "job", "create", "--contact", "klant@example.nl", "--device", "X")
    vault("job", "--user", "anna", "create", "--contact", "klant@example.nl", "--device", "Y")
    assert RecoveryJob.objects.filter(technician=tech).count() == 3


def test_every_subcommand_help_names_user():
    parser = Command().create_parser("privacydesk", "vault")
    assert "--user" in parser.format_help()
    [sub] = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    helps = {name: p.format_help() for name, p in sub.choices.items()}
    [job_sub] = [a for a in sub.choices["job"]._actions if a.dest == "job_action"]
    helps["job create"] = job_sub.choices["create"].format_help()
    assert len(helps) == 9
    for name, text in helps.items():
        assert "--user NAME" in text and "PRIVACYDESK_USER" in text, name


@pytest.mark.parametrize("variable", ["PRIVACYDESK_USER", "PRIVACYDESK_CLI_USER"])
def test_the_user_from_the_environment(tech, monkeypatch, variable):
    monkeypatch.delenv("PRIVACYDESK_USER", raising=False)
    monkeypatch.delenv("PRIVACYDESK_CLI_USER", raising=False)
    monkeypatch.setenv(variable, "anna")
    create()
    assert RecoveryJob.objects.get().technician == tech


def test_the_new_name_wins_over_the_old_one(tech, admin, monkeypatch):
    monkeypatch.setenv("PRIVACYDESK_USER", "anna")
    monkeypatch.setenv("PRIVACYDESK_CLI_USER", "beheer")
    create()
    assert RecoveryJob.objects.get().technician == tech


# -- job create ---------------------------------------------------------------------------------
def test_job_create_makes_the_user_the_technician_and_prints_site_url(tech, settings, client):
    from privacydesk.testing import sign_in_verified

    settings.SITE_URL = "http://127.0.0.1:8765"
    out = create("--user", "anna")
    job = RecoveryJob.objects.get()
    assert job.technician == tech
    assert "link:   http://127.0.0.1:8765/vault/" in out
    assert "e-mail: the link was e-mailed" in out
    sign_in_verified(client, tech)
    assert f"#{job.pk}" in client.get("/staff/vault/jobs/").content.decode()


def test_job_create_without_a_technician_is_refused(db, admin, monkeypatch):
    monkeypatch.delenv("PRIVACYDESK_USER", raising=False)
    monkeypatch.delenv("PRIVACYDESK_CLI_USER", raising=False)
    with pytest.raises(CommandError, match="--user is required"):
        create()
    with pytest.raises(CommandError, match="technician role"):
        create("--user", "beheer")
    assert RecoveryJob.objects.count() == 0


def test_messages_are_english_whatever_the_site_language(tech, settings):
    assert settings.LANGUAGE_CODE == "nl"
    with pytest.raises(CommandError, match="Enter a valid email address"):
        vault("job", "create", "--contact", "geen-adres", "--device", "HP", "--user", "anna")


# -- the technician's round trip, and the age CLI reads what the vault gives out ----------------
def test_technician_round_trip_with_age_interop(tech, admin, recovered, tmp_path):
    job = json.loads(create("--user", "anna", "--json"))
    assert set(job) == {"id", "link", "pin", "mailed"} and len(job["pin"]) == 6
    assert "/vault/" in job["link"]
    items = json.loads(vault("put", "--job", job["id"], recovered, "--user", "anna", "--json"))
    assert {i["name"] for i in items} == {
        "Documents / offerte.pdf",
        "photo.jpg",
        "odd-\\xff-name",
        "empty",
    }
    listed = json.loads(vault("ls", "--job", job["id"], "--user", "anna", "--json"))
    assert {i["sha256"] for i in listed} == {i["sha256"] for i in items}
    photo = next(i for i in items if i["name"] == "photo.jpg")

    out = tmp_path / "photo.out"
    vault("get", photo["id"], "--out", out, "--user", "anna", "--no-progress")
    assert out.read_bytes() == (recovered / "photo.jpg").read_bytes()

    # The stored file plus its key open with the independent age CLI.
    encrypted = tmp_path / "photo.jpg.age"
    vault("get", photo["id"], "--out", encrypted, "--encrypted", "--user", "anna", "--no-progress")
    with pytest.raises(CommandError, match="admin"):
        vault("--user", "anna", "key", photo["id"])
    key = tmp_path / "photo.key"
    key.write_text(vault("--user", "beheer", "key", photo["id"]))
    decrypted = tmp_path / "photo.by-age"
    subprocess.run(["age", "-d", "-i", key, "-o", decrypted, encrypted], check=True)
    assert decrypted.read_bytes() == (recovered / "photo.jpg").read_bytes()


# -- get --------------------------------------------------------------------------------------
def test_get_refuses_to_overwrite_without_force(job, put, tmp_path):
    item = put(b"recovered")
    out = tmp_path / "restored.bin"
    out.write_bytes(b"my own file")
    with pytest.raises(CommandError, match="exists; --force replaces it"):
        vault("get", item.pk, "--out", out, "--no-progress")
    assert out.read_bytes() == b"my own file"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    vault("get", item.pk, "--out", out, "--no-progress", "--force")
    assert out.read_bytes() == b"recovered"


def test_get_refuses_a_file_that_appears_meanwhile(job, put, tmp_path):
    item = put(b"recovered")
    out = tmp_path / "late.bin"

    def appears(_n):
        if not out.exists():
            out.write_bytes(b"made by someone else")

    with pytest.raises(services.TargetExists):
        services.export_to_file(item, out, encrypted=False, actor="t:t", progress=appears)
    assert out.read_bytes() == b"made by someone else"


# -- put ----------------------------------------------------------------------------------------
def test_put_twice_skips_what_is_already_there(job, tmp_path):
    tree = tmp_path / "recovered"
    tree.mkdir()
    (tree / "a.txt").write_bytes(b"alpha")
    (tree / "b.txt").write_bytes(b"beta")
    first = vault("put", "--job", job.pk, tree, "--no-progress")
    assert first.count("stored  ") == 2
    (tree / "b.txt").write_bytes(b"BETA")  # same name and size, other content: stored
    second = vault("put", "--job", job.pk, tree, "--no-progress")
    assert "skipped a.txt: already in job" in second and "--again" in second
    assert "stored  " in second and "b.txt" in second
    assert job.items.count() == 3
    again = vault("put", "--job", job.pk, tree / "a.txt", "--again", "--no-progress")
    assert "stored  " in again and job.items.count() == 4


# -- audit ------------------------------------------------------------------------------------
def test_ls_and_certificate_leave_audit_entries(tech, job, put):
    from datetime import datetime, timedelta

    from django.utils import timezone

    item = put(b"x")
    vault("ls", "--job", job.pk, "--user", "anna")
    vault("ls")
    listed = AuditEntry.objects.filter(action="vault.items_listed").order_by("id")
    assert [e.actor for e in listed] == [f"user:{tech.pk}", "system:cli"]
    assert listed[0].object_id == str(job.pk) and listed[0].subject_ref
    day = item.expires_on + timedelta(days=1)
    erasure.sweep(now=timezone.make_aware(datetime.combine(day, datetime.min.time())))
    vault("certificate", "--job", job.pk, "--user", "anna")
    entry = AuditEntry.objects.get(action="vault.certificate_downloaded")
    assert entry.actor == f"user:{tech.pk}" and entry.detail["job"] == job.pk


def test_certificate_of_a_job_with_none_yet_says_so(tech, job, put):
    put(b"x")
    with pytest.raises(CommandError, match="no deletion certificate yet"):
        vault("certificate", "--job", job.pk, "--user", "anna")
    assert not AuditEntry.objects.filter(action="vault.certificate_downloaded").exists()


# -- the real processes: run's port reaches the CLI's link ----------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_cli_link_carries_the_port_run_serves_on(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SITE_URL"}}
    env["PRIVACYDESK_DATA_DIR"] = str(tmp_path / "data")
    env["PRIVACYDESK_USER"] = "technician"

    def cli(*args):
        result = subprocess.run(
            [sys.executable, "-m", "privacydesk", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    migrated_installation(tmp_path / "data")
    cli("demo")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "privacydesk", "run", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        out = cli("vault", "job", "create", "--contact", "klant@example.nl", "--device", "HP")
        link = next(line.split()[1] for line in out.splitlines() if line.startswith("link:"))
        assert link.startswith(f"http://127.0.0.1:{port}/vault/")
        with urllib.request.urlopen(link, timeout=10) as response:  # noqa: S310 - http, checked above
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
