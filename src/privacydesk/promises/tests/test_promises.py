"""The promise board: each promise checked against live data, stored, red named (issue 13)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from privacydesk.jobs.models import PeriodicRun
from privacydesk.policy import services as policy
from privacydesk.promises import services
from privacydesk.promises.models import PromiseCheck
from privacydesk.registers.tests.conftest import processor
from privacydesk.testing import make_staff
from privacydesk.vault import services as vault
from privacydesk.vault.models import VaultItem


@pytest.fixture(autouse=True)
def _vault_dir(settings, tmp_path):
    settings.VAULT_DIR = tmp_path / "vault"


@pytest.fixture
def healthy(db):
    """An installation whose sweeps ran: every built promise holds."""
    PeriodicRun.objects.create(
        name="vault.sweep", next_run_at=timezone.now(), last_enqueued_at=timezone.now()
    )
    _sweep_finished(timezone.now())
    policy.sweep_retention()
    make_staff("privacy_officer")


def _sweep_finished(at, *, successful=True):
    """A vault sweep as the worker leaves it in django-tasks' results."""
    from django_tasks_db.models import DBTaskResult

    from privacydesk.vault.tasks import vault_sweep

    result = DBTaskResult.objects.get(id=vault_sweep.enqueue().id)
    if successful:
        result.set_successful({"items_erased": 0})
    else:
        result.set_failed(RuntimeError("disk full"))
    DBTaskResult.objects.filter(id=result.id).update(finished_at=at)


def _by_promise(outcomes) -> dict:
    return {o.promise: o for o in outcomes}


def test_a_healthy_installation_keeps_every_built_promise(healthy, capsys):
    call_command("promises", "check")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [f"P{n}" for n in range(1, 16)]
    status = {line.split()[0]: line.split()[1] for line in lines}
    assert {p for p, s in status.items() if s == "ok"} == {f"P{n}" for n in range(1, 16)}
    assert "FAILED" not in status.values()
    assert PromiseCheck.objects.count() == 15


def test_an_item_readable_past_its_day_turns_p4_red_and_the_command_exits_1(healthy, capsys):
    technician = make_staff("technician")
    job = vault.create_job(
        contact_email="klant@example.nl", device="USB", technician=technician, actor="system:t"
    ).job
    vault.store(job, io.BytesIO(b"data"), raw_name=b"a.txt", actor="system:t")
    item = VaultItem.objects.get()
    VaultItem.objects.filter(pk=item.pk).update(expires_on=timezone.localdate() - timedelta(1))
    with pytest.raises(CommandError, match="promise failed: P4") as failed:
        call_command("promises", "check", "--json")
    assert failed.value.returncode == 1
    rows = json.loads(capsys.readouterr().out)
    assert set(rows[0]) == {"promise", "status", "evidence"}
    p4 = next(r for r in rows if r["promise"] == "P4")
    assert p4["status"] == "failed"
    assert str(item.pk) in p4["evidence"]


def test_an_ended_agreement_turns_p9_red_and_mails_the_privacy_officer_once(healthy, db):
    officer = make_staff("privacy_officer")
    officer.email = "fg@compjoeter.example"
    officer.save()
    p = processor()
    with_mail = _by_promise(services.check())
    assert with_mail["P9"].status == "ok"
    p.agreement_signed_on = timezone.localdate() - timedelta(days=400)
    p.agreement_ends_on = timezone.localdate() - timedelta(days=1)
    p.save()
    with django_capture() as callbacks:
        outcomes = _by_promise(services.check())
    assert outcomes["P9"].status == "failed"
    assert "Voorbeeld Mail B.V. (agreement ended on" in outcomes["P9"].evidence
    assert callbacks and mail.outbox[-1].to == ["fg@compjoeter.example"]
    assert "P9" in mail.outbox[-1].subject
    # Sent by the product's one sender: its From and its own Message-ID.
    from privacydesk.spine import mail as spine_mail

    assert mail.outbox[-1].from_email == spine_mail.from_address()
    assert mail.outbox[-1].extra_headers["Message-ID"].endswith(f"@{spine_mail.message_domain()}>")
    sent = len(mail.outbox)
    with django_capture():
        services.check()  # still red: no new message
    assert len(mail.outbox) == sent


def test_p4_wants_a_vault_sweep_that_finished_within_the_hour(healthy):
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    # Enqueued a minute ago (the fixture's PeriodicRun), but the last run that finished
    # did so two hours ago, and the one after it failed: the sweep is not running.
    _sweep_finished(timezone.now() - timedelta(hours=2))
    _sweep_finished(timezone.now() - timedelta(minutes=5), successful=False)
    p4 = _by_promise(services.check())["P4"]
    assert p4.status == "failed"
    assert "the vault sweep last finished at" in p4.evidence
    DBTaskResult.objects.all().delete()
    assert "has never finished" in _by_promise(services.check())["P4"].evidence
    _sweep_finished(timezone.now() - timedelta(minutes=10))
    assert _by_promise(services.check())["P4"].status == "ok"


def test_p12_wants_a_retention_sweep_on_todays_local_date(db, monkeypatch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from privacydesk.policy.promises import the_retention_sweep_ran_today

    amsterdam = ZoneInfo("Europe/Amsterdam")
    today = timezone.localdate()
    late_yesterday = datetime.combine(today - timedelta(days=1), datetime.min.time(), amsterdam)
    late_yesterday += timedelta(hours=23, minutes=30)
    monkeypatch.setattr(timezone, "now", lambda: late_yesterday)
    policy.sweep_retention()
    assert the_retention_sweep_ran_today().ok
    # Today's run is due at 00:15; until an hour after that, yesterday's still counts.
    monkeypatch.setattr(timezone, "now", lambda: late_yesterday + timedelta(hours=1))
    assert the_retention_sweep_ran_today().ok
    # Two hours later (01:30 in Amsterdam, still "yesterday" in UTC) yesterday's sweep,
    # though within 25 hours, is not today's.
    monkeypatch.setattr(timezone, "now", lambda: late_yesterday + timedelta(hours=2))
    finding = the_retention_sweep_ran_today()
    assert not finding.ok
    from django.utils import translation

    with translation.override("en"):
        assert "has not run today" in str(finding.evidence)
    policy.sweep_retention()
    assert the_retention_sweep_ran_today().ok


def test_the_board_shows_status_evidence_and_history(healthy, staff_client):
    services.check()
    services.check()
    page = staff_client("admin").get("/staff/promises/").content.decode()
    assert "<svg" in page and page.count("<rect") == 30
    assert (
        staff_client("technician", client=__import__("django.test").test.Client())
        .get("/staff/promises/")
        .status_code
        == 403
    )


def test_a_promise_whose_mechanism_is_absent_shows_not_built_never_green(
    healthy, staff_client, monkeypatch, capsys
):
    import re

    from privacydesk.promises.views import COLOURS
    from privacydesk.spine import promises as spine_promises

    # P11's only mechanism (the vault's check) is taken away, as if the app did not exist.
    monkeypatch.setitem(spine_promises._CHECKS, "P11", [])
    outcomes = _by_promise(services.check())
    assert outcomes["P11"].status == "not-built"
    assert outcomes["P4"].status == "ok"  # the others are still checked
    call_command("promises", "check")  # not built is not failed: exit 0
    assert "P11 not-built" in capsys.readouterr().out
    page = staff_client("admin").get("/staff/promises/").content.decode()
    row = re.search(r"<tr>\s*<td><strong>P11</strong>(.*?)</tr>", page, re.S).group(1)
    assert "niet gebouwd" in row
    assert "nog geen mechanisme" in row or "no mechanism" in row
    assert COLOURS["not-built"] in row and COLOURS["ok"] not in row
    p4 = re.search(r"<tr>\s*<td><strong>P4</strong>(.*?)</tr>", page, re.S).group(1)
    assert "niet gebouwd" not in p4 and COLOURS["ok"] in p4


def django_capture():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.mark.django_db
def test_at_a_first_start_the_check_runs_after_the_sweeps_it_judges():
    """A new worker enqueues every periodic job at once; the promise check must not judge
    the sweeps before they had their turn (it would mail the officer a false red P4)."""
    from django_tasks_db.models import DBTaskResult

    from privacydesk.jobs.worker import Worker, discover_jobs, enqueue_due_periodic

    discover_jobs()
    enqueued = enqueue_due_periodic()
    assert {"promises.check", "vault.sweep", "policy.sweep_retention"} <= set(enqueued)
    Worker(batch=True).run()
    finished = {
        row.task_path.rsplit(".", 1)[-1]: row.finished_at
        for row in DBTaskResult.objects.filter(status="SUCCESSFUL")
    }
    assert finished["check_promises"] > finished["vault_sweep"]
    assert finished["check_promises"] > finished["retention_sweep"]


def test_the_retention_sweep_is_due_daily_at_a_quarter_past_midnight():
    """Its time of day keeps "it ran today" true all day, summer and winter time alike."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from privacydesk.jobs.registry import PERIODIC
    from privacydesk.jobs.worker import discover_jobs

    discover_jobs()
    sweep = PERIODIC["policy.sweep_retention"]
    amsterdam = ZoneInfo("Europe/Amsterdam")
    first_start = datetime(2026, 3, 28, 14, 7, tzinfo=amsterdam)  # the day before summer time
    due = sweep.next_after(first_start)
    assert due.astimezone(amsterdam) == datetime(2026, 3, 29, 0, 15, tzinfo=amsterdam)
    again = sweep.next_after(due)
    assert again.astimezone(amsterdam).replace(tzinfo=None) == datetime(2026, 3, 30, 0, 15)
    hours = (again.timestamp() - due.timestamp()) / 3600
    assert hours == 23  # the night the clocks go forward
