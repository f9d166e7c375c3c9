"""``privacydesk policy show|publish|check|load`` and ``register export``."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from privacydesk.policy.models import PolicyVersion


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_show_prints_the_current_text(db):
    nl = _run("policy", "show", "--lang", "nl")
    en = _run("policy", "show", "--lang", "en")
    assert "verkoop@compjoeter.nl" in nl and "verkoop@compjoeter.nl" in en
    assert nl != en
    old = _run("policy", "show", "--version", "1")
    assert "laatst gewijzigd op 1 Juni 2018" in old


def test_publish_makes_a_new_version(db):
    out = _run("policy", "publish", "--note", "Cookieverklaring bijgewerkt")
    assert "published privacy policy v3" in out
    assert PolicyVersion.objects.get(number=3).note == "Cookieverklaring bijgewerkt"


def test_publish_needs_a_note(db):
    with pytest.raises(CommandError):
        call_command("policy", "publish", "--note", " ")


def test_check_passes_and_fails(db, settings):
    assert "agree" in _run("policy", "check")
    settings.VAULT_RETENTION = "P3M"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("policy", "check", stdout=io.StringIO(), stderr=err)
    assert "MISMATCH: vault retention in settings is P3M" in err.getvalue()


def test_register_export_csv_and_json(db):
    rows = list(csv.reader(io.StringIO(_run("register", "export", "--format", "csv"))))
    assert rows[0][0].startswith("Art. 30(1)(a)")
    assert len(rows) == 1 + 11
    data = json.loads(_run("register", "export", "--format", "json", "--lang", "nl"))
    assert data["activities"][0]["activity"] == "Dataopslag en recovery"


def test_load_reports_the_revision(db):
    assert "privacy model loaded" in _run("policy", "load")
