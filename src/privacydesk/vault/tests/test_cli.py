"""The vault from the command line where the real process is the point, and the ``age`` CLI.

These tests run ``privacydesk`` in subprocesses against an embedded installation (SQLite and
folders in a temporary data dir): ``faketime`` moves a whole run a month ahead, and an upload
is killed half-way. The technician's round trip runs in-process (``test_cli_options``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from privacydesk.testing.installation import migrated_installation

pytestmark = pytest.mark.django_db(transaction=True)


class Installation:
    def __init__(self, root: Path):
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env["PRIVACYDESK_DATA_DIR"] = str(root / "data")
        self.env["PRIVACYDESK_CLI_USER"] = "technician"

    def run(self, *args, faketime: str | None = None, check=True, **kwargs):
        command = [sys.executable, "-m", "privacydesk", *map(str, args)]
        if faketime:
            command = ["faketime", "-f", faketime, *command]
        result = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=120, **kwargs
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def json(self, *args, **kwargs):
        return json.loads(self.run(*args, "--json", **kwargs).stdout)


@pytest.fixture
def site(tmp_path):
    site = Installation(tmp_path)
    migrated_installation(tmp_path / "data")
    site.run("demo")
    return site


def test_our_decryptor_reads_files_made_by_age(tmp_path):
    from privacydesk.vault import age

    key = tmp_path / "key.txt"
    subprocess.run(["age-keygen", "-o", key], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", key], check=True, capture_output=True, text=True
    ).stdout.strip()
    plain = os.urandom(1_500_000)
    made_by_age = subprocess.run(
        ["age", "-r", recipient], input=plain, capture_output=True, check=True
    ).stdout
    identity_line = next(
        line for line in key.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-")
    )
    import io

    out = io.BytesIO()
    age.decrypt(io.BytesIO(made_by_age), out.write, age.Identity.parse(identity_line))
    assert out.getvalue() == plain


def test_a_month_later_only_a_verifiable_certificate_remains(site, recovered, tmp_path):
    job = site.json("vault", "job", "create", "--contact", "klant@example.nl", "--device", "NAS")
    items = site.json("vault", "put", "--job", job["id"], recovered)
    swept = site.run("vault", "sweep", faketime="+32d")
    assert f"items erased: {len(items)}" in swept.stdout
    listed = site.json("vault", "ls", "--job", job["id"])
    assert {i["state"] for i in listed} == {"erased"}
    assert {i["name"] for i in listed} == {"(erased)"}
    assert [p for p in (tmp_path / "data" / "vault").iterdir() if p.is_file()] == []
    gone = site.run("vault", "get", items[0]["id"], "--out", tmp_path / "x", check=False)
    assert gone.returncode != 0 and "erased" in gone.stderr

    certificate = tmp_path / "certificate.json"
    certificate.write_text(site.run("vault", "certificate", "--job", job["id"]).stdout)
    ok = site.run("vault", "verify-certificate", certificate)
    assert "certificate valid" in ok.stdout
    document = json.loads(certificate.read_text())
    document["document"]["items"][0]["sha256"] = "0" * 64
    certificate.write_text(json.dumps(document))
    bad = site.run("vault", "verify-certificate", certificate, check=False)
    assert bad.returncode != 0 and "NOT valid" in bad.stderr


def test_killed_upload_leaves_no_item_and_the_sweep_cleans_up(site, tmp_path):
    job = site.json("vault", "job", "create", "--contact", "klant@example.nl", "--device", "USB")
    big = tmp_path / "image.dd"
    with open(big, "wb") as fh:
        for _ in range(64):
            fh.write(os.urandom(4 * 1024 * 1024))  # 256 MiB
    vault_dir = tmp_path / "data" / "vault"
    proc = subprocess.Popen(
        [sys.executable, "-m", "privacydesk", "vault", "put", "--job", str(job["id"]), big],
        env=site.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    partial = []
    while time.monotonic() < deadline and proc.poll() is None:
        partial = [p for p in vault_dir.glob(".partial-*") if p.stat().st_size > 0]
        if partial:
            break
        time.sleep(0.005)
    assert partial, "the upload finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert site.json("vault", "ls", "--job", job["id"]) == []
    swept = site.run("vault", "sweep", faketime="+2h")
    assert "leftovers removed: 1" in swept.stdout
    assert list(vault_dir.iterdir()) == []
