"""Each role's permissions, assembled from every app's ``grants.py``, pinned (P3).

The grants moved out of one central table into the apps that own the records; this test
holds the result to the table of DESIGN.md section 7 as it was, so a grant added, lost or
moved to another role fails here by name.
"""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured

from privacydesk.accounts.roles import ADMIN, PRIVACY_OFFICER, ROLES, SALES, TECHNICIAN
from privacydesk.spine import roles

VAULT_METADATA = {
    "vault.view_recoveryjob",
    "vault.view_vaultitem",
    "vault.view_deletioncertificate",
}
RIGHTS_READ = {"rights.view_request", "rights.view_attachment", "rights.view_mailboxmessage"}
READERS = {
    "audit.view_auditentry",
    "backoffice.view_outbox",
    "policy.view_processingactivity",
    "policy.view_policyversion",
    "policy.view_modelrevision",
}
CRM_READ = {
    "crm.view_organisation",
    "crm.view_contact",
    "crm.view_interaction",
    "crm.view_invoice",
}
CRM_WRITE = CRM_READ | {
    "crm.add_organisation",
    "crm.change_organisation",
    "crm.add_contact",
    "crm.change_contact",
    "crm.delete_contact",
    "crm.add_interaction",
    "crm.add_invoice",
    "crm.change_invoice",
}
REGISTERS_READ = {
    "registers.view_disclosure",
    "registers.view_processor",
    "registers.view_breach",
}
REGISTERS_KEEP = REGISTERS_READ | {
    f"registers.{action}_{model}"
    for action in ("add", "change")
    for model in ("disclosure", "processor", "breach")
}
# The newsletter (DESIGN.md section 7, "CRM, mailings"): sales and admin write, others read.
MAILINGS_READ = {
    "mailings.view_mailinglist",
    "mailings.view_subscription",
    "mailings.view_campaign",
    "mailings.view_suppression",
}
MAILINGS_WRITE = MAILINGS_READ | {
    "mailings.add_campaign",
    "mailings.change_campaign",
    "mailings.send_campaign",
    "mailings.add_suppression",
}
# Tracking (DESIGN.md section 7, "tracking data"): sales and admin see aggregates and keep the
# gated downloads; the privacy officer reads single visitors too.
TRACKING_AGGREGATES = {"tracking.view_analytics"}
DOWNLOADS_WRITE = {"tracking.view_download", "tracking.add_download", "tracking.change_download"}
PINNED = {
    TECHNICIAN: VAULT_METADATA
    | CRM_READ
    | MAILINGS_READ
    | {
        "vault.add_recoveryjob",
        "vault.change_recoveryjob",
        "vault.add_vaultitem",
        "vault.unlock_portal",
    },
    SALES: CRM_WRITE | MAILINGS_WRITE | TRACKING_AGGREGATES | DOWNLOADS_WRITE,
    PRIVACY_OFFICER: READERS
    | VAULT_METADATA
    | RIGHTS_READ
    | CRM_READ
    | MAILINGS_READ
    | REGISTERS_KEEP
    | {
        "vault.hold_vaultitem",
        "consent.view_consentrecord",
        "tracking.view_visitor",
        "tracking.view_event",
        "tracking.view_profile",
        "tracking.view_delivery",
        "tracking.view_analytics",
        "tracking.view_download",
        "rights.add_request",
        "rights.change_request",
        "promises.view_promisecheck",
    },
    ADMIN: READERS
    | VAULT_METADATA
    | RIGHTS_READ
    | CRM_WRITE
    | MAILINGS_WRITE
    | REGISTERS_READ
    | TRACKING_AGGREGATES
    | DOWNLOADS_WRITE
    | {
        "promises.view_promisecheck",
        "consent.view_consentrecord",
        "vault.unlock_portal",
        "vault.export_key_vaultitem",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
        "django_tasks_database.view_dbtaskresult",
        "jobs.view_periodicrun",
        "jobs.view_workerheartbeat",
    },
}


def test_the_role_names_stay():
    assert list(ROLES) == [TECHNICIAN, SALES, PRIVACY_OFFICER, ADMIN]
    assert (TECHNICIAN, SALES, PRIVACY_OFFICER, ADMIN) == (
        "technician",
        "sales",
        "privacy_officer",
        "admin",
    )


@pytest.mark.parametrize("role", sorted(PINNED))
def test_each_role_gets_exactly_the_pinned_permissions(role):
    assert set(roles.permissions_for(role)) == PINNED[role]
    assert set(ROLES[role].permissions) == PINNED[role]


@pytest.mark.parametrize("role", sorted(PINNED))
def test_each_role_group_holds_exactly_the_pinned_permissions(db, role):
    group = Group.objects.get(name=role)
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert held == PINNED[role]


def test_the_grants_come_from_the_apps_that_own_the_records():
    from privacydesk.vault import grants as vault_grants

    assert "vault.export_key_vaultitem" in vault_grants.GRANTS[ADMIN]
    from privacydesk.accounts import grants as account_grants

    assert not any(p.startswith("vault.") for ps in account_grants.GRANTS.values() for p in ps)


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (None, "must define GRANTS"),
        ({"owner": {"vault.view_vaultitem"}}, "unknown role 'owner'"),
        ({ADMIN: "vault.view_vaultitem"}, "needs a set, not a string"),
        ({ADMIN: {"view_vaultitem"}}, "is not app_label.codename"),
    ],
)
def test_a_malformed_grants_module_is_refused_naming_it(monkeypatch, declared, message):
    from privacydesk.vault import grants as vault_grants

    if declared is None:
        monkeypatch.delattr(vault_grants, "GRANTS")
    else:
        monkeypatch.setattr(vault_grants, "GRANTS", declared)
    with pytest.raises(ImproperlyConfigured, match=message) as raised:
        roles.grants()
    assert "privacydesk.vault.grants" in str(raised.value)
