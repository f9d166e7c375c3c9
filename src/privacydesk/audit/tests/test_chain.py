"""The hash chain: how ``record`` links entries and how ``verify_chain`` checks them."""

import hashlib
import itertools
import json
from datetime import UTC

import pytest

from privacydesk.audit.models import AuditEntry, AuditHead
from privacydesk.audit.services import GENESIS, compute_hash, record, verify_chain
from privacydesk.audit.tests.support import write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_log")]


def test_record_builds_a_linked_chain():
    written = write(5)
    stored = list(AuditEntry.objects.order_by("id"))
    assert [e.id for e in stored] == [1, 2, 3, 4, 5]
    assert [e.hash for e in stored] == [e.hash for e in written]
    assert stored[0].prev_hash == GENESIS == "0" * 64
    for earlier, later in itertools.pairwise(stored):
        assert later.prev_hash == earlier.hash
    assert len({e.hash for e in stored}) == 5
    for entry in stored:
        assert len(entry.hash) == 64
        assert entry.hash == compute_hash(entry)


def test_head_follows_the_newest_entry():
    written = write(3)
    head = AuditHead.objects.get(pk=1)
    assert head.last_id == 3
    assert head.last_hash == written[-1].hash


def test_verify_chain_ok():
    write(5)
    result = verify_chain()
    assert result.ok
    assert result.checked == 5
    assert result.broken_id is None


def test_verify_chain_on_an_empty_log():
    result = verify_chain()
    assert result.ok
    assert result.checked == 0


def test_verify_chain_reports_progress():
    write(4)
    seen = []
    assert verify_chain(progress=seen.append).ok
    assert sum(seen) == 4


def test_hash_covers_every_field_and_the_previous_hash():
    """The hash is SHA-256 over a canonical JSON form of the stored fields."""
    entry = record(
        actor="user:7",
        action="crm.contact_viewed",
        object_type="crm.Contact",
        object_id="42",
        subject="crm.Contact:42",
        detail={"b": 2, "a": [1, "x"], "nested": {"z": None, "y": True}},
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    payload = {
        "id": stored.id,
        "at": stored.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": "user:7",
        "action": "crm.contact_viewed",
        "object_type": "crm.Contact",
        "object_id": "42",
        "subject_ref": "crm.Contact:42",
        "detail": {"a": [1, "x"], "b": 2, "nested": {"y": True, "z": None}},
        "prev_hash": GENESIS,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert stored.hash == hashlib.sha256(canonical.encode()).hexdigest()


def test_record_with_a_model_instance_fills_object_type_and_id(staff):
    user = staff("technician")
    entry = record(actor="system:test", action="test.obj", obj=user)
    assert entry.object_type == "accounts.User"
    assert entry.object_id == str(user.pk)
    assert verify_chain().ok


@pytest.mark.parametrize(
    "detail",
    [
        {},
        {"count": 3, "ratio": 0.25, "flag": False, "none": None},
        {"text": "Zoë café ✓", "list": [1, 2, {"k": "v"}]},
        {"ids": list(range(50)), "deep": {"a": {"b": {"c": "d"}}}},
        {"big": 2**53, "huge": 123456789012345678901234567890, "negative": -17},
        {"small": 1e-7, "float": 1.5, "whole": 1.0, "sum": 0.1 + 0.2},
    ],
)
def test_details_survive_the_database_round_trip(detail):
    """What the database gives back must hash to what was written.

    PostgreSQL's jsonb reorders keys and writes large floats out as integers (1e20 comes back
    as 100000000000000000000); neither may make a genuine entry look tampered with.
    """
    record(actor="system:test", action="test.detail", detail=detail)
    record(actor="system:test", action="test.after")
    result = verify_chain()
    assert result.ok, result
    assert AuditEntry.objects.get(pk=1).detail == detail


def test_large_floats_are_stored_as_the_integers_they_are():
    """Both databases then give back the same value, so the chain verifies on both."""
    entry = record(
        actor="system:test", action="test.big", detail={"n": [1e16, 1e20, -2.5e17, 1.5e300]}
    )
    record(actor="system:test", action="test.after")
    expected = [10**16, 10**20, -25 * 10**16, 15 * 10**299]
    assert entry.detail == {"n": expected}
    assert AuditEntry.objects.get(pk=entry.pk).detail == {"n": expected}
    assert verify_chain().ok


def test_str():
    entry = record(actor="system:test", action="test.str")
    assert str(entry) == "#1 test.str"
