"""Staff browse the audit log at /staff/audit/auditentry/; nobody adds, changes or deletes."""

import pytest

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import record, verify_chain

LIST = "/staff/audit/auditentry/"


@pytest.fixture
def entries(db):
    return [
        record(actor="system:test", action="test.browse", object_id="A-1"),
        record(actor="system:test", action="test.other", object_id="B-2"),
        record(actor="system:test", action="test.browse", object_id="C-3"),
    ]


def listed(response) -> list[AuditEntry]:
    return list(response.context["cl"].result_list)


def test_privacy_officer_browses_the_log(staff_client, entries):
    client = staff_client("privacy_officer")
    response = client.get(LIST)
    assert response.status_code == 200
    shown = listed(response)
    assert {e.pk for e in entries} <= {e.pk for e in shown}
    assert [e.pk for e in shown] == sorted((e.pk for e in shown), reverse=True)
    page = response.content.decode()
    assert "test.browse" in page
    assert "test.other" in page


def test_admin_browses_the_log(staff_client, entries):
    assert staff_client("admin").get(LIST).status_code == 200


def test_filter_by_action(staff_client, entries):
    client = staff_client("privacy_officer")
    response = client.get(LIST, {"action": "test.browse"})
    assert response.status_code == 200
    shown = listed(response)
    assert {e.action for e in shown} == {"test.browse"}
    assert sorted(e.object_id for e in shown) == ["A-1", "C-3"]


def test_search_by_exact_object_id(staff_client, entries):
    response = staff_client("privacy_officer").get(LIST, {"q": "B-2"})
    assert [e.object_id for e in listed(response)] == ["B-2"]


def test_entry_detail_is_read_only(staff_client, entries):
    client = staff_client("privacy_officer")
    response = client.get(f"{LIST}{entries[0].pk}/change/")
    assert response.status_code == 200
    assert b'name="action"' not in response.content


def test_add_is_refused(staff_client, entries):
    client = staff_client("privacy_officer")
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}add/", {"actor": "x", "action": "y"}).status_code == 403


@pytest.mark.parametrize("role", ["privacy_officer", "admin"])
def test_change_and_delete_are_refused(staff_client, entries, role):
    client = staff_client(role)
    target = entries[1]
    before = AuditEntry.objects.get(pk=target.pk)
    response = client.post(
        f"{LIST}{target.pk}/change/",
        {"actor": "system:evil", "action": "test.changed", "detail": "{}"},
    )
    assert response.status_code == 403
    assert client.post(f"{LIST}{target.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(
        LIST, {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"}
    )
    assert AuditEntry.objects.filter(pk=target.pk).exists()
    after = AuditEntry.objects.get(pk=target.pk)
    assert (after.actor, after.action, after.hash) == (before.actor, before.action, before.hash)
    assert verify_chain().ok


@pytest.mark.parametrize("role", ["technician", "sales"])
def test_other_roles_are_refused(staff_client, entries, role):
    client = staff_client(role)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{entries[0].pk}/change/").status_code == 403


def test_audit_panel_on_the_staff_home(staff_client, entries):
    response = staff_client("privacy_officer").get("/staff/")
    assert response.status_code == 200
    assert LIST in response.content.decode()
    panel = next(p for p in response.context["panels"] if p.get("link") == LIST)
    assert not panel["alert"]
