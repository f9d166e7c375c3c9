"""Entries link onto whatever the log already holds (other apps write during set-up)."""

import pytest

from privacydesk.audit.models import AuditEntry, AuditHead
from privacydesk.audit.services import GENESIS, record, verify_chain
from privacydesk.audit.tests.support import write

pytestmark = pytest.mark.django_db


def test_record_continues_the_existing_chain():
    before = AuditEntry.objects.count()
    head = AuditHead.objects.filter(pk=1).first()
    written = write(3)
    assert [e.id for e in written] == [before + 1, before + 2, before + 3]
    assert written[0].prev_hash == (head.last_hash if head else GENESIS)
    result = verify_chain()
    assert result.ok, result
    assert result.checked == before + 3


def test_first_entry_starts_from_genesis():
    record(actor="system:test", action="test.any")
    assert AuditEntry.objects.get(pk=1).prev_hash == GENESIS
