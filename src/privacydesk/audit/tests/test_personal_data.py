"""The audit log holds references to people, never their e-mail address, IP or phone number."""

import pytest

from privacydesk.audit.models import AuditEntry, AuditHead
from privacydesk.audit.services import PersonalDataInAudit, record, subject_ref, verify_chain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_log")]


@pytest.mark.parametrize(
    "detail",
    [
        {"note": "mailed jan@example.nl"},
        {"to": "Jan.de.Vries+news@sub.example.com"},
        {"ip": "192.168.1.20"},
        {"ip": "2001:db8::1"},
        {"phone": "+31 6 12345678"},
        {"phone": "06-12345678"},
        {"phone": "0031 20 123 4567"},
        {"nested": {"list": ["ok", {"deep": "jan@example.nl"}]}},
    ],
)
def test_personal_data_in_detail_is_refused_and_nothing_is_written(detail):
    record(actor="system:test", action="test.before")
    before = list(AuditEntry.objects.values_list("id", "hash"))
    head = AuditHead.objects.get(pk=1)
    with pytest.raises(PersonalDataInAudit, match="detail"):
        record(actor="system:test", action="test.leak", detail=detail)
    assert list(AuditEntry.objects.values_list("id", "hash")) == before
    assert AuditHead.objects.get(pk=1).last_hash == head.last_hash
    assert verify_chain().ok


def test_personal_data_refused_on_the_very_first_write():
    with pytest.raises(PersonalDataInAudit):
        record(actor="system:test", action="test.leak", detail={"ip": "10.1.2.3"})
    assert not AuditEntry.objects.exists()
    assert not AuditHead.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "jan@example.nl"),
        ("actor", "customer:jan@example.nl"),
        ("object_id", "+31 6 12345678"),
    ],
)
def test_personal_data_in_other_fields_is_refused(field, value):
    kwargs = {"actor": "system:test", "action": "test.leak", field: value}
    with pytest.raises(PersonalDataInAudit):
        record(**kwargs)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "detail",
    [
        {"count": 12345, "year": 2026, "date": "2026-11-25"},
        {"port": 8000, "version": "1.2.3"},
        {"invoice": "INV-2026-0042"},
    ],
)
def test_ordinary_numbers_are_not_mistaken_for_personal_data(detail):
    entry = record(actor="system:test", action="test.fine", detail=detail)
    assert AuditEntry.objects.get(pk=entry.pk).detail == detail


def test_subject_ref_is_stable_and_case_insensitive():
    ref = subject_ref("email", "Jan@Example.nl")
    assert ref == subject_ref("email", "jan@example.nl")
    assert ref == subject_ref("email", "  JAN@EXAMPLE.NL ")
    assert ref.startswith("email#")
    assert "@" not in ref
    assert "jan" not in ref.lower()
    assert len(ref) == len("email#") + 24


def test_subject_ref_tells_people_and_kinds_apart():
    assert subject_ref("email", "jan@example.nl") != subject_ref("email", "piet@example.nl")
    assert subject_ref("email", "0612345678") != subject_ref("phone", "0612345678")


def test_subject_ref_is_keyed_by_the_pseudonym_key_not_the_secret_key(settings):
    ref = subject_ref("email", "jan@example.nl")
    settings.SECRET_KEY = "another secret key for this installation, long enough to be real"
    assert subject_ref("email", "jan@example.nl") == ref
    settings.PSEUDONYM_KEYS = (b"n" * 32,)
    assert subject_ref("email", "jan@example.nl") != ref


def test_subject_ref_is_accepted_by_record():
    ref = subject_ref("email", "Jan@Example.nl")
    entry = record(actor="system:test", action="test.subject", subject=ref)
    assert AuditEntry.objects.filter(subject_ref=ref).get().pk == entry.pk
