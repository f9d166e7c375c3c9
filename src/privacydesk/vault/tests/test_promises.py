"""P11 on the promise board: a stored item opens with the key a customer is given."""

from __future__ import annotations

import pytest
from django.utils import translation

from privacydesk.vault import keyring, promises, storage
from privacydesk.vault.models import RecoveryJob


@pytest.fixture(autouse=True)
def _evidence_in_english():
    """The evidence is compared in English (the CLI's language; the board shows Dutch too)."""
    with translation.override("en"):
        yield


def test_with_nothing_stored_the_check_encrypts_a_file_of_its_own(db):
    finding = promises.items_can_be_handed_over_encrypted()
    assert finding.ok and "no item to fetch now" in str(finding.evidence)


def test_stored_items_open_with_their_exported_key(put):
    put(b"eerste", b"a.txt")
    put(b"tweede", b"b.txt")
    finding = promises.items_can_be_handed_over_encrypted()
    assert finding.ok, finding.evidence
    assert "2 of 2 fetchable items tried" in str(finding.evidence)


def test_a_damaged_file_or_a_lost_key_turns_p11_red(put):
    first = put(b"eerste", b"a.txt")
    last = put(b"tweede", b"b.txt")
    path = storage.backend().path_of(last.blob)
    data = bytearray(path.read_bytes())
    data[40] ^= 1  # a changed byte in the header: its MAC no longer fits
    path.write_bytes(bytes(data))
    finding = promises.items_can_be_handed_over_encrypted()
    assert not finding.ok
    assert f"{last.pk} (" in str(finding.evidence) and str(first.pk) not in str(finding.evidence)
    keyring.destroy(first.key_name)  # both items' day key gone before their day
    finding = promises.items_can_be_handed_over_encrypted()
    assert not finding.ok and f"{first.pk} (KeyDestroyed)" in str(finding.evidence)


def test_items_of_a_restricted_job_are_not_tried(put, job):
    put(b"eerste", b"a.txt")
    RecoveryJob.objects.filter(pk=job.pk).update(restricted=True)
    finding = promises.items_can_be_handed_over_encrypted()
    assert finding.ok and "no item to fetch now" in str(finding.evidence)
