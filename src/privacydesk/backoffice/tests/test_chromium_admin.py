"""Every staff admin page in Chromium, for the role meant to use it, at 1280 and 390 px, in
Dutch and English (privacydesk.testing.browser; screenshots ``admin-*`` in var/screenshots/).

Each role walks its pages in one signed-in tab per language, so the whole walk costs one
sign-in per role and language. Besides the usual checks (no failed subresource, no console
error, styled, no overflow), each Dutch page must not show one of the English labels the
third-party apps brought before (issue 8, "Seen" 6: "IP Address", "Attempt Time", ...);
``test_admin_labels.py`` checks every label of the registry without a browser.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.accounts.models import User
from privacydesk.backoffice.tests.admin_rows import make_rows
from privacydesk.policy.models import ModelRevision, PolicyVersion, ProcessingActivity
from privacydesk.testing import PASSWORD, make_staff
from privacydesk.testing.browser import LANGUAGES, WIDTHS, staff_session

pytestmark = pytest.mark.browser

# Words of the packages' English labels that are not also Dutch (so no "Status", "Filter").
ENGLISH = re.compile(
    r"\b(Username|IP Address|Attempt|User Agent|HTTP Accept|Path|Logout|Locked Out|Failed"
    r"|Device|Confirmed|Created|Last used|Enqueued|Started at|Priority|Queue|Task|Ready"
    r"|Running|Successful|Args|Return value|Exception|Run after|Revision|Model name"
    r"|Add link|Change or view|object \()\b"
)


def check(tab, path: str, name: str) -> None:
    """``tab.check`` at each width; on a wide screen every column of a list is in view (the
    table scrolls inside its box only on a phone); on a Dutch page no English label."""
    for width in WIDTHS:
        tab.check(path, name, widths=(width,))
        if width >= 1280:
            assert_columns_in_view(tab, name)
    assert_dutch(tab, name)


def assert_columns_in_view(tab, name: str) -> None:
    hidden = tab.page.evaluate(
        """() => [...document.querySelectorAll('#changelist .results')]
            .filter((box) => box.scrollWidth > box.clientWidth + 1)
            .map((box) => box.scrollWidth + ' px of columns in ' + box.clientWidth + ' px')"""
    )
    assert not hidden, f"{name} ({tab.lang}, wide): columns hidden: {hidden}"


def assert_dutch(tab, name: str) -> None:
    if tab.lang != "nl":
        return
    text = tab.page.evaluate("document.body.innerText")
    found = sorted(set(ENGLISH.findall(text)))
    assert not found, f"{name} (nl): English on a Dutch page: {found}"


def change(obj) -> str:
    opts = obj._meta
    return f"/staff/{opts.app_label}/{opts.model_name}/{obj.pk}/change/"


def changelist(model) -> str:
    return f"/staff/{model._meta.app_label}/{model._meta.model_name}/"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_administrator_pages(pages, transactional_db, lang):
    """Staff users (list, record, invitation), second factors, lock-out records, the job
    queue, and the administrator's own password change."""
    rows = make_rows()
    user = make_staff("admin")
    user.email = "beheer@example.nl"
    user.save()
    tab = pages.open(lang, session_cookie=staff_session(user))

    check(tab, "/staff/accounts/user/", "admin-users")
    check(tab, change(user), "admin-user")
    check(tab, "/staff/accounts/user/add/", "admin-user-add")
    tab.page.fill("#id_username", f"nieuw-{lang}")
    tab.page.fill("#id_email", f"nieuw-{lang}@example.nl")
    tab.page.check("input[name=role][value=technician]")
    tab.page.click("#user_form [name=_save]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 200
    assert tab.page.locator(".messagelist .success").count() == 1
    tab.check_here("admin-user-invited")
    assert_dutch(tab, "admin-user-invited")
    assert [m.to for m in mail.outbox] == [[f"nieuw-{lang}@example.nl"]]
    assert not User.objects.get(username=f"nieuw-{lang}").has_usable_password()

    device = TOTPDevice.objects.get(user=user)
    for model, name in [
        (TOTPDevice, "totp"),
        (rows["axes.AccessAttempt"], "axes-attempts"),
        (rows["axes.AccessLog"], "axes-logs"),
        (rows["axes.AccessFailureLog"], "axes-failures"),
        (rows["django_tasks_database.DBTaskResult"], "task-results"),
        (rows["jobs.PeriodicRun"], "periodic-runs"),
        (rows["jobs.WorkerHeartbeat"], "workers"),
    ]:
        obj = device if model is TOTPDevice else model
        check(tab, changelist(obj), f"admin-{name}")
        check(tab, change(obj), f"admin-{name}-record")

    check(tab, "/staff/password_change/", "admin-password-change")
    tab.page.fill("#id_old_password", PASSWORD)
    tab.page.fill("#id_new_password1", "een ander lang wachtwoord 77")
    tab.page.fill("#id_new_password2", "een ander lang wachtwoord 77")
    tab.page.click("#content-main [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.page.url.endswith("/staff/password_change/done/")
    tab.check_here("admin-password-changed")
    assert_dutch(tab, "admin-password-changed")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_privacy_officer_pages(pages, transactional_db, lang):
    """An audit entry, the processing activities, policy versions and model revisions."""
    entry = make_rows()["audit.AuditEntry"]
    tab = pages.open(lang, session_cookie=staff_session(make_staff("privacy_officer")))
    check(tab, change(entry), "admin-audit-entry")
    for model, name in [
        (ProcessingActivity, "activities"),
        (PolicyVersion, "policy-versions"),
        (ModelRevision, "model-revisions"),
    ]:
        check(tab, changelist(model), f"admin-{name}")
        check(tab, change(model.objects.order_by("pk").first()), f"admin-{name}-record")
