"""An app plugs in without editing a central file (issue 9): its staff pages, role grants,
home-page panel and promise checks are found because it is installed, and are gone when it
is not. The app is ``privacydesk.testing.plugin``; nothing outside it and this test names it.
"""

from __future__ import annotations

import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import NoReverseMatch, clear_url_caches, path, reverse

from privacydesk.accounts.roles import SALES, TECHNICIAN, sync_roles
from privacydesk.policy.checks import run_checks
from privacydesk.spine import roles, staff

PLUGIN = "privacydesk.testing.plugin"


def _fresh_urlconf() -> None:
    """Let the next request import the URL conf again, so /staff/ is built anew."""
    sys.modules.pop(settings.ROOT_URLCONF, None)
    clear_url_caches()


@pytest.fixture
def plugged_in(db):
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, PLUGIN]):
        _fresh_urlconf()
        try:
            yield
        finally:
            _fresh_urlconf()
    sync_roles()


def test_its_grant_joins_the_role(plugged_in):
    assert "audit.view_auditentry" in roles.permissions_for(SALES)
    assert "audit.view_auditentry" not in roles.permissions_for(TECHNICIAN)


def test_its_staff_page_is_mounted_under_staff_behind_sign_in(plugged_in, staff_client, client):
    sync_roles()
    assert reverse("admin:plugin_notes") == "/staff/plugin/notes/"
    response = staff_client(SALES).get("/staff/plugin/notes/")
    assert (response.status_code, response.content) == (200, b"plug-in notes")
    assert response["Cache-Control"].startswith("max-age=0")  # admin_view: never cached
    assert (
        staff_client(TECHNICIAN, client=client.__class__()).get("/staff/plugin/notes/").status_code
        == 403
    )
    anonymous = client.__class__().get("/staff/plugin/notes/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/staff/login/")


def test_its_panel_is_on_the_home_page(plugged_in, staff_client):
    page = staff_client(TECHNICIAN).get("/staff/").content.decode()
    assert "Plug-in panel" in page


def test_its_check_is_run_by_policy_check(plugged_in):
    assert run_checks() == ["the plug-in test app's promise is not kept"]
    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("policy", "check")


def test_its_demo_records_are_loaded_by_demo(plugged_in):
    from io import StringIO

    from privacydesk.audit.models import AuditEntry

    out = StringIO()
    call_command("demo", stdout=out)
    assert "plug-in demo records loaded" in out.getvalue()
    assert AuditEntry.objects.filter(action="plugin.demo_loaded").count() == 1


def test_without_it_nothing_of_it_remains(staff_client):
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, PLUGIN]):
        _fresh_urlconf()
        reverse("admin:plugin_notes")
    _fresh_urlconf()
    with pytest.raises(NoReverseMatch):
        reverse("admin:plugin_notes")
    assert "audit.view_auditentry" not in roles.permissions_for(SALES)
    assert "Plug-in panel" not in staff_client(TECHNICIAN).get("/staff/").content.decode()
    assert staff_client(SALES).get("/staff/plugin/notes/").status_code == 404
    assert run_checks() == []


def test_two_apps_naming_a_staff_page_alike_are_refused(monkeypatch):
    from privacydesk.policy import staff as policy_staff

    monkeypatch.setattr(
        policy_staff, "urlpatterns", [path("elsewhere/", lambda r: None, name="vault_jobs")]
    )
    with pytest.raises(ImproperlyConfigured, match="'vault_jobs' is taken"):
        staff.staff_urlpatterns(lambda view: view)
