"""The role matrix (DESIGN.md section 7): each role reaches what the table allows, 403 elsewhere."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction

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
    "/staff/axes/accesslog/": {ADMIN},
    "/staff/axes/accessfailurelog/": {ADMIN},
    "/staff/password_change/": EVERYONE,
    "/staff/django_tasks_database/dbtaskresult/": {ADMIN},
    "/staff/jobs/periodicrun/": {ADMIN},
    "/staff/jobs/workerheartbeat/": {ADMIN},
    "/staff/register/": {PRIVACY_OFFICER, ADMIN},
    "/staff/register/export.csv": {PRIVACY_OFFICER, ADMIN},
    "/staff/policy/policyversion/": {PRIVACY_OFFICER, ADMIN},
    "/staff/policy/processingactivity/": {PRIVACY_OFFICER, ADMIN},
    "/staff/consent/": {PRIVACY_OFFICER, ADMIN},
    "/staff/consent/?id=0b3c3f3e-1d0f-4a57-9d1e-6c1f0e2b8a11": {PRIVACY_OFFICER, ADMIN},
    "/staff/consent/?id=not-a-uuid": {PRIVACY_OFFICER, ADMIN},
    "/staff/rights/": {PRIVACY_OFFICER, ADMIN},
    "/staff/rights/new/": {PRIVACY_OFFICER},
    "/staff/crm/contacts/": EVERYONE,
    "/staff/crm/contacts/?q=acme": EVERYONE,
    "/staff/crm/contacts/new/": {SALES, ADMIN},
    "/staff/crm/organisations/": EVERYONE,
    "/staff/crm/import/": {SALES, ADMIN},
    "/staff/registers/": {PRIVACY_OFFICER, ADMIN},
    "/staff/registers/export/disclosures.csv": {PRIVACY_OFFICER, ADMIN},
    "/staff/registers/export/processors.json": {PRIVACY_OFFICER, ADMIN},
    "/staff/registers/export/breaches.csv": {PRIVACY_OFFICER, ADMIN},
    "/staff/registers/disclosures/": {PRIVACY_OFFICER, ADMIN},
    "/staff/registers/disclosures/new/": {PRIVACY_OFFICER},
    "/staff/registers/processors/": {PRIVACY_OFFICER, ADMIN},
    "/staff/registers/processors/new/": {PRIVACY_OFFICER},
    "/staff/registers/breaches/": {PRIVACY_OFFICER, ADMIN},
    "/staff/registers/breaches/new/": {PRIVACY_OFFICER},
    "/staff/promises/": {PRIVACY_OFFICER, ADMIN},
    "/staff/mailings/": EVERYONE,
    "/staff/mailings/campaigns/new/": {SALES, ADMIN},
    "/staff/mailings/suppression/": EVERYONE,
    "/staff/tracking/": {SALES, PRIVACY_OFFICER, ADMIN},
    "/staff/tracking/?days=365": {SALES, PRIVACY_OFFICER, ADMIN},
    "/staff/tracking/?days=not-a-number": {SALES, PRIVACY_OFFICER, ADMIN},
    "/staff/tracking/downloads/": {SALES, PRIVACY_OFFICER, ADMIN},
    "/staff/tracking/downloads/new/": {SALES, ADMIN},
    "/staff/tracking/visitors/": {PRIVACY_OFFICER},
}
# Pages of one record, made first: a contact ({pk}) of an organisation ({org}).
CRM_RECORD_MATRIX = {
    "/staff/crm/contacts/{pk}/": EVERYONE,
    "/staff/crm/contacts/{pk}/edit/": {SALES, ADMIN},
    "/staff/crm/contacts/{pk}/merge/": {SALES, ADMIN},
    "/staff/crm/organisations/{org}/edit/": {SALES, ADMIN},
}


@pytest.mark.parametrize("role", sorted(EVERYONE))
@pytest.mark.parametrize("url", sorted(MATRIX))
def test_role_matrix(staff_client, role, url):
    client = staff_client(role)
    response = client.get(url)
    expected = 200 if role in MATRIX[url] else 403
    assert response.status_code == expected, f"{role} on {url}"


@pytest.mark.parametrize("role", sorted(EVERYONE))
@pytest.mark.parametrize("url", sorted(CRM_RECORD_MATRIX))
def test_crm_record_matrix(staff_client, role, url):
    from privacydesk.crm import services

    org = services.create_organisation({"name": "Acme B.V."}, actor="system:test")
    contact = services.create_contact(
        {"name": "Jan de Boer", "email": "jan@acme.example", "organisation": org},
        actor="system:test",
    )
    response = staff_client(role).get(url.format(pk=contact.pk, org=org.pk))
    expected = 200 if role in CRM_RECORD_MATRIX[url] else 403
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


# --- Exactly one role, enforced below the forms (issue 8) ------------------------------------


def test_a_second_role_group_is_refused_from_either_side(staff):
    from privacydesk.accounts.signals import TooManyRoles

    user = staff(ADMIN)
    with pytest.raises(TooManyRoles), transaction.atomic():
        user.groups.add(Group.objects.get(name=PRIVACY_OFFICER))
    with pytest.raises(TooManyRoles), transaction.atomic():
        Group.objects.get(name=PRIVACY_OFFICER).user_set.add(user)
    with pytest.raises(TooManyRoles), transaction.atomic():
        user.groups.set(Group.objects.filter(name__in=[ADMIN, PRIVACY_OFFICER]))
    with pytest.raises(TooManyRoles), transaction.atomic():
        user.groups.clear()
        user.groups.add(*Group.objects.filter(name__in=[SALES, PRIVACY_OFFICER]))
    assert sorted(user.groups.values_list("name", flat=True)) == [ADMIN]


def test_a_group_that_is_not_a_role_may_be_added(staff):
    user = staff(SALES)
    user.groups.add(Group.objects.create(name="newsletter-editors"))
    assert user.role == SALES


def test_role_changes_are_audited_with_old_and_new(staff):
    from privacydesk.accounts.roles import assign_role
    from privacydesk.audit.models import AuditEntry

    user = staff(TECHNICIAN)
    assign_role(user, SALES, actor="user:1")
    entry = AuditEntry.objects.filter(action="staff.role_changed").latest("id")
    assert entry.detail == {"old": TECHNICIAN, "new": SALES}
    assert (entry.actor, entry.object_id) == ("user:1", str(user.pk))
    user.groups.clear()  # by hand, not through assign_role: still on record
    entry = AuditEntry.objects.filter(action="staff.role_changed").latest("id")
    assert entry.detail == {"old": SALES, "new": None}
    Group.objects.get(name=ADMIN).user_set.add(user)
    entry = AuditEntry.objects.filter(action="staff.role_changed").latest("id")
    assert entry.detail == {"old": None, "new": ADMIN}


def test_admin_form_offers_one_role_and_audits_the_change(staff_client, staff):
    from privacydesk.audit.models import AuditEntry

    other = staff(TECHNICIAN)
    client = staff_client(ADMIN)
    page = client.get(f"/staff/accounts/user/{other.pk}/change/").content.decode()
    assert page.count('type="radio" name="role"') == len(ROLES)
    assert 'name="groups"' not in page
    response = client.post(
        f"/staff/accounts/user/{other.pk}/change/",
        {
            "username": other.username,
            "role": PRIVACY_OFFICER,
            "groups": [Group.objects.get(name=ADMIN).pk],  # an old form's field: ignored
            "is_staff": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert sorted(other.groups.values_list("name", flat=True)) == [PRIVACY_OFFICER]
    entry = AuditEntry.objects.filter(action="staff.role_changed").latest("id")
    assert entry.detail == {"old": TECHNICIAN, "new": PRIVACY_OFFICER}
    assert entry.actor == f"user:{client.user.pk}"
    client.post(
        f"/staff/accounts/user/{other.pk}/change/",
        {"username": other.username, "role": [ADMIN, SALES], "is_staff": "on"},
    )
    assert other.groups.count() == 1  # one choice: never both
