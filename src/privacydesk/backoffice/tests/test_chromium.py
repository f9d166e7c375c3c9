"""The back office in Chromium (privacydesk.testing.browser): the staff home of each role,
the outbox, the audit log and the error pages, at 1280 and 390 px, in Dutch and English.

The back office has one URL per page; the language comes from the browser's
``Accept-Language`` (backoffice/middleware.py), which each tab sets."""

import pytest
from django.core.mail import send_mail

from privacydesk.backoffice import outbox
from privacydesk.testing import make_staff
from privacydesk.testing.browser import LANGUAGES, staff_session

pytestmark = pytest.mark.browser

ROLES = ["technician", "sales", "privacy_officer", "admin"]


def signed_in(pages, role: str, lang: str):
    return pages.open(lang, session_cookie=staff_session(make_staff(role)))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_staff_home(pages, role, lang):
    tab = signed_in(pages, role, lang)
    tab.check("/staff/", f"staff-home-{role}")
    assert tab.page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_services_page(pages, db, lang):
    """The demo site's services, reached from the public menu, at both widths."""
    tab = pages.open(lang)
    tab.goto("/" if lang == "nl" else "/en/")
    name = {"nl": "Diensten", "en": "Services"}[lang]
    tab.page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
    tab.page.wait_for_url("**/diensten/" if lang == "nl" else "**/en/services/")
    path = tab.page.url.removeprefix(tab.base_url)
    tab.check_with_axe(path, "public-services")
    assert tab.page.get_by_role("heading", level=1).inner_text() == name
    assert tab.page.locator("main").get_by_role("heading", level=2).count() == 3


@pytest.mark.parametrize("lang", LANGUAGES)
def test_outbox_and_a_message(pages, settings, lang):
    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"
    send_mail(
        "Uw bestanden staan klaar / Your files are ready",
        "Beste klant,\n\nUw bestanden staan klaar: https://www.compjoeter.nl/vault/abc/\n" * 3,
        None,
        ["klant@example.nl"],
    )
    (message,) = outbox.list_messages()
    tab = signed_in(pages, "privacy_officer", lang)
    tab.check("/staff/outbox/", "outbox")
    tab.check(f"/staff/outbox/{message.name}/", "outbox-message")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_audit_log(pages, lang):
    tab = signed_in(pages, "privacy_officer", lang)
    tab.check("/staff/audit/auditentry/", "audit-log")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "path,status,name",
    [("/staff/no-such-page/", 404, "staff-404"), ("/staff/audit/auditentry/", 403, "staff-403")],
)
def test_error_page(pages, lang, path, status, name):
    signed_in(pages, "sales", lang).check(path, name, status=status)
