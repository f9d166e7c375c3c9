"""The role matrix (DESIGN.md section 7): each role reaches what the table allows, 403 elsewhere."""

import pytest
from django.contrib.auth.models import Group, Permission

from privacydesk.accounts.roles import ADMIN, PRIVACY_OFFICER, ROLES, SALES, TECHNICIAN, sync_roles

EVERYONE = {TECHNICIAN, SALES, PRIVACY_OFFICER, ADMIN}

# URL -> roles that may open it. Every other role must get 403.
MATRIX = {
    "/staff/": EVERYONE,
    "/staff/audit/auditentry/": {PRIVACY_OFFICER, ADMIN},
    "/staff/outbox/": {PRIVACY_OFFICER, ADMIN},
    "/staff/accounts/user/": {ADMIN},
    "/staff/accounts/user/add/": {ADMIN},
    "/staff/otp_totp/totpdevice/": {ADMIN},
    "/staff/axes/accessattempt/": {ADMIN},
    "/staff/django_tasks_database/dbtaskresult/": {ADMIN},
    "/staff/jobs/periodicrun/": {ADMIN},
    "/staff/jobs/workerheartbeat/": {ADMIN},
    "/staff/register/": {PRIVACY_OFFICER, ADMIN},
    "/staff/register/export.csv": {PRIVACY_OFFICER, ADMIN},
    "/staff/policy/policyversion/": {PRIVACY_OFFICER, ADMIN},
    "/staff/policy/processingactivity/": {PRIVACY_OFFICER, ADMIN},
}


@pytest.mark.parametrize("role", sorted(EVERYONE))
@pytest.mark.parametrize("url", sorted(MATRIX))
def test_role_matrix(staff_client, role, url):
    client = staff_client(role)
    response = client.get(url)
    expected = 200 if role in MATRIX[url] else 403
    assert response.status_code == expected, f"{role} on {url}"


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_user_admin_is_admin_only_for_other_users(staff_client, staff, role):
    other = staff(TECHNICIAN)
    response = staff_client(role).get(f"/staff/accounts/user/{other.pk}/change/")
    assert response.status_code == (200 if role == ADMIN else 403)


def test_password_only_session_reaches_nothing(client, staff):
    """Without the second factor a signed-in user is sent back to the sign-in steps."""
    user = staff(ADMIN)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for url in MATRIX:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/staff/login/")


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get("/staff/audit/auditentry/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_sync_roles_takes_back_hand_granted_permissions(db):
    group = Group.objects.get(name=TECHNICIAN)
    group.permissions.add(Permission.objects.get(codename="view_auditentry"))
    sync_roles()
    assert not group.permissions.filter(codename="view_auditentry").exists()


def test_every_role_group_matches_its_declaration(db):
    for role in ROLES.values():
        group = Group.objects.get(name=role.name)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(role.permissions)


def test_technician_and_sales_see_no_personal_data_panels(staff_client):
    for role in (TECHNICIAN, SALES):
        page = staff_client(role).get("/staff/").content.decode()
        assert "/staff/audit/auditentry/" not in page
        assert "/staff/outbox/" not in page


def test_viewing_staff_personal_data_is_audited(staff_client, staff):
    from privacydesk.audit.models import AuditEntry

    other = staff(SALES)
    client = staff_client(ADMIN)
    client.get("/staff/accounts/user/")
    client.get(f"/staff/accounts/user/{other.pk}/change/")
    assert AuditEntry.objects.filter(action="accounts.user.list").exists()
    viewed = AuditEntry.objects.get(action="accounts.user.view")
    assert viewed.object_id == str(other.pk)
    assert viewed.actor == f"user:{client.user.pk}"
