"""A worker killed mid-campaign and restarted sends no duplicate and misses nobody (issue 10
item 4), with real worker processes, SIGKILL and the aiosmtpd server.

The server holds its answer at a chosen recipient, so each kill lands at a known point:

1. during RCPT of the 5th recipient: that message was never accepted; the next worker takes
   the dead worker's claims over and sends it;
2. after the whole 12th message and its final dot, before the server's reply: the server
   accepted it but the worker never heard so. Its row is left ``handing_over`` and becomes
   ``unknown``: not sent again (at most once), which is the one window delivery.py documents.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from privacydesk.jobs.tests.test_two_workers import test_database_url
from privacydesk.testing.installation import migrated_installation

pytestmark = pytest.mark.django_db(transaction=True)
RECIPIENTS = [f"r{n:02d}@example.nl" for n in range(1, 21)]
SETUP = """
from privacydesk.mailings import services
from privacydesk.mailings.models import MailingList
MailingList.objects.create(slug="nieuwsbrief", title_nl="Nieuwsbrief", title_en="Newsletter")
for address in {recipients!r}:
    services.add_soft_opt_in("nieuwsbrief", address, source="test", actor="system:test")
campaign = services.create_campaign("nieuwsbrief", subject="Test", markdown="# Hallo",
                                    actor="system:test")
services.queue_campaign(campaign.pk, actor="system:test")
print(campaign.pk)
"""


class Site:
    def __init__(self, root: Path, smtp_url: str):
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            PRIVACYDESK_DATA_DIR=str(root / "data"),
            SECRET_KEY=settings.SECRET_KEY,
            EMAIL_URL=smtp_url,
            SITE_URL="https://www.example.nl",
            PRIVACYDESK_MAILINGS_RATE="50",
            PRIVACYDESK_MAILINGS_CLAIM_SECONDS="1",
            PRIVACYDESK_MAILINGS_TICK_SECONDS="1",
            PRIVACYDESK_MAILINGS_RETRY_SECONDS="0",
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="WARNING",
        )
        if connection.vendor == "postgresql":
            self.env["DATABASE_URL"] = test_database_url()
        self.workers: list[subprocess.Popen] = []

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "privacydesk", *args],
            env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def worker(self) -> subprocess.Popen:
        log = (self.root / f"worker{len(self.workers)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "privacydesk", "worker", "--interval", "0.1"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.workers.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.root.glob("*.log")))

    def status(self, campaign_id: int) -> dict:
        return json.loads(self.run("mailings", "campaign", "status", str(campaign_id), "--json"))

    def campaign_state(self, campaign_id: int) -> str:
        """Read without starting a process: the test database, or the site's SQLite file."""
        if connection.vendor == "postgresql":
            from privacydesk.mailings.models import Campaign

            return Campaign.objects.get(pk=campaign_id).state
        with sqlite3.connect(self.root / "data" / "privacydesk.sqlite3") as db:
            query = "SELECT state FROM mailings_campaign WHERE id = ?"
            return db.execute(query, (campaign_id,)).fetchone()[0]

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def test_killed_and_restarted_workers_send_everyone_exactly_once(tmp_path, smtp_sink):
    smtp_sink.reset()
    site = Site(tmp_path, smtp_sink.url)

    try:
        if connection.vendor != "postgresql":
            migrated_installation(site.root / "data")
        campaign_id = int(site.run("shell", "-v0", "-c", SETUP.format(recipients=RECIPIENTS)))
        smtp_sink.hold("r05@example.nl", stage="rcpt")
        first = site.worker()
        assert smtp_sink.wait_held(60), site.logs()
        kill(first)  # waiting for the server's answer to RCPT of r05
        smtp_sink.release()
        assert smtp_sink.recipients() == RECIPIENTS[:4]

        smtp_sink.hold("r12@example.nl", stage="data")
        second = site.worker()
        assert smtp_sink.wait_held(60), site.logs()
        kill(second)  # r12's message and final dot are in; the server has not answered
        smtp_sink.release()
        smtp_sink.wait_for(12)

        site.worker()
        deadline = time.monotonic() + 60
        while site.campaign_state(campaign_id) != "sent":
            assert time.monotonic() < deadline, site.logs()
            time.sleep(0.2)
    finally:
        site.stop()
    received = Counter(smtp_sink.recipients())
    assert sorted(received) == RECIPIENTS, "nobody is missed"
    assert set(received.values()) == {1}, f"no duplicate: {received}"
    counts = site.status(campaign_id)["counts"]
    assert counts["sent"] == 19 and counts["unknown"] == 1, counts
