"""The rights benchmark's contract (``bench/rights.py``, never run here): its RESULT line and
the person it measures, whose tracking share must be in the package and follow erasure."""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

BENCH = Path(__file__).resolve().parents[4] / "bench" / "rights.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_rights", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_result_line_starts_with_the_issues_five_keys(bench):
    line = bench.result_line("sqlite", (0.5, 1.25, 0.3), (0.4, 1.0, 0.2), 0)
    assert re.match(
        r"^RESULT package_s=0\.500 erase_s=1\.250 package_s_small=0\.400 erase_s_small=1\.000 "
        r"lookup_ms=0\.30 db=sqlite package_ratio=1\.25 erase_ratio=1\.25 table_scans=0$",
        line,
    ), line


def test_the_bench_person_has_a_tracking_share_that_is_packaged_and_erased(
    bench, db, settings, tmp_path
):
    from privacydesk.consent.models import ConsentRecord
    from privacydesk.rights import services
    from privacydesk.tracking.models import Event, Profile, Visitor

    settings.VAULT_DIR = tmp_path / "vault"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email = "bench-0@example.nl"
    bench.person(email)
    access = services.create(kind="access", channel="post", actor="t", email=email, verified=True)
    services.carry_out(access, actor="t")
    access.refresh_from_db()
    with default_storage.open(access.package, "rb") as fh, zipfile.ZipFile(fh) as archive:
        sources = set(json.loads(archive.read("data.json"))["sources"])
    assert {"tracking.Profile", "tracking.Visitor", "tracking.Event"} <= sources
    assert "consent.ConsentRecord" in sources
    erasure = services.create(kind="erasure", channel="post", actor="t", email=email, verified=True)
    services.carry_out(erasure, actor="t")
    assert not (Visitor.objects.exists() or Event.objects.exists() or Profile.objects.exists())
    assert not ConsentRecord.objects.exists()
