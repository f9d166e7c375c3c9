"""A data subject's audit history survives key rotation and a corrected identifier (P3, P14)."""

import os

import pytest

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import link_subject, record, subject_ref, subject_refs

pytestmark = pytest.mark.django_db


def _history(kind, value):
    refs = subject_refs(kind, value)
    return set(AuditEntry.objects.filter(subject_ref__in=refs).values_list("action", flat=True))


def test_rotation_keeps_the_history_found(settings):
    old_key = settings.PSEUDONYM_KEYS[0]
    record(actor="system:test", action="test.before", subject=subject_ref("email", "jan@x.nl"))
    settings.PSEUDONYM_KEYS = (os.urandom(32), old_key)  # a new key in front, the old kept
    record(actor="system:test", action="test.after", subject=subject_ref("email", "jan@x.nl"))
    assert _history("email", "Jan@X.nl") == {"test.before", "test.after"}
    # Dropping the old key would lose the history; the chain itself is never rewritten.
    settings.PSEUDONYM_KEYS = settings.PSEUDONYM_KEYS[:1]
    assert _history("email", "jan@x.nl") == {"test.after"}


def test_a_secret_key_rotation_changes_nothing(settings):
    record(actor="system:test", action="test.before", subject=subject_ref("email", "jan@x.nl"))
    settings.SECRET_KEY = "a brand new secret key for this installation, long enough " * 2
    assert _history("email", "jan@x.nl") == {"test.before"}


def test_entries_from_before_pseudonym_keys_are_found(settings):
    from django.utils.crypto import salted_hmac

    legacy = "email#" + salted_hmac("privacydesk.audit.subject", "email:jan@x.nl").hexdigest()[:24]
    record(actor="system:test", action="test.legacy", subject=legacy)
    assert _history("email", "jan@x.nl") == {"test.legacy"}


def test_a_rectified_address_keeps_the_whole_history(settings):
    record(actor="system:test", action="test.old", subject=subject_ref("email", "jan@old.nl"))
    link_subject(("email", "jan@old.nl"), ("email", "jan@new.nl"), actor="system:test")
    record(actor="system:test", action="test.new", subject=subject_ref("email", "jan@new.nl"))
    link_subject(("email", "jan@new.nl"), ("email", "jan@newest.nl"), actor="system:test")
    expected = {"test.old", "test.new", "audit.subject_linked"}
    assert _history("email", "jan@old.nl") == expected
    assert _history("email", "jan@newest.nl") == expected
    # ... also after the key was rotated.
    settings.PSEUDONYM_KEYS = (os.urandom(32), *settings.PSEUDONYM_KEYS)
    assert _history("email", "jan@newest.nl") == expected
    assert "test.old" not in _history("email", "someone@else.nl")
    assert link_subject(("email", "a@x.nl"), ("email", "A@x.nl "), actor="system:test") is None
