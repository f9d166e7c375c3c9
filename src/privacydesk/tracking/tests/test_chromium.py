"""Gated downloads and the staff analytics in Debian's Chromium (privacydesk.testing.browser).

With the real banner: "accept all", the first download asks name, e-mail address and company,
the second only what is new (phone number and job title); the file arrives through its signed
link and the tracker reports the download; "Not you?" brings the whole form back. Before a
choice and after "reject all" every form is whole and nothing is kept. Then the analytics, the
visitors and the gated downloads pages of the back office, each in Dutch and English at both
widths, with their screenshots.
"""

from __future__ import annotations

import time

import pytest

from privacydesk.mailings.models import MailingList
from privacydesk.testing import make_staff
from privacydesk.testing.browser import LANGUAGES, staff_session
from privacydesk.tracking import demo
from privacydesk.tracking.models import Delivery, Download, Event, Profile

pytestmark = pytest.mark.browser

ACCEPT = {"nl": "Alles accepteren", "en": "Accept all"}
REJECT = {"nl": "Alles weigeren", "en": "Reject all"}
SETTINGS_LINK = {"nl": "Cookie-instellingen", "en": "Cookie settings"}
NOT_YOU = {"nl": "Niet u?", "en": "Not you?"}
SUBMIT = {"nl": "Downloaden", "en": "Download"}


@pytest.fixture(autouse=True)
def _in_the_request(settings):
    settings.TRACKING_FLUSH_MS = 0


def eventually(check, timeout: float = 8.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def consent_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "pd_consent"), None)


def fields(tab) -> list[str]:
    return tab.page.eval_on_selector_all(
        "#download-form input:not([type=hidden]):not([type=checkbox])",
        "els => els.map(e => e.name)",
    )


def submit(tab, values: dict[str, str]) -> None:
    for name, value in values.items():
        tab.page.fill(f"#id_{name}", value)
    tab.page.get_by_role("button", name=SUBMIT[tab.lang], exact=True).click()
    tab.page.wait_for_url("**/ready/**")
    assert tab.document_status == 200


@pytest.fixture
def offered(transactional_db):
    demo._gated_downloads()
    MailingList.objects.get_or_create(
        slug="nieuwsbrief",
        defaults={"title_nl": "Nieuwsbrief", "title_en": "Newsletter", "sender": "coMPjoeter"},
    )
    return list(Download.objects.order_by("pk"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_consenting_visitor_is_asked_only_the_next_questions(pages, offered, lang):
    checklist, whitepaper = offered
    prefix = "/en" if lang == "en" else ""
    tab = pages.open(lang)
    page = tab.page

    # Before a choice: the banner, the whole form, nothing kept.
    tab.goto(f"{prefix}/downloads/{whitepaper.slug}/")
    page.wait_for_selector("#pd-consent")
    assert fields(tab) == ["email", "phone", "function"]
    page.get_by_role("button", name=REJECT[lang], exact=True).click()
    assert eventually(lambda: consent_cookie(tab.context))
    submit(tab, {"email": "anna@example.nl", "phone": "0612345678", "function": "Directeur"})
    tab.goto(f"{prefix}/downloads/{whitepaper.slug}/")
    assert fields(tab) == ["email", "phone", "function"]  # refused: whole form again
    assert not Profile.objects.exists() and Delivery.objects.get().profile is None

    # Accept all, through the footer link.
    page.get_by_role("link", name=SETTINGS_LINK[lang], exact=True).click()
    page.get_by_role("button", name=ACCEPT[lang], exact=True).click()
    assert eventually(lambda: consent_cookie(tab.context).split(".")[1] == "11")
    tab.check_with_axe(f"{prefix}/downloads/", "downloads")
    assert page.locator("#downloads li").count() == 2

    # The first download: three questions, the newsletter box unticked.
    tab.check_with_axe(f"{prefix}/downloads/{checklist.slug}/", "download-form-first")
    assert fields(tab) == ["name", "email", "company"]
    assert not page.is_checked("#id_newsletter")
    assert page.locator("#download-forget").count() == 0
    submit(tab, {"name": "Piet de Vries", "email": "piet@example.nl", "company": "Bakkerij Piet"})
    tab.check_here("download-ready")
    with page.expect_download() as event:
        page.click("#download-file")
    download = event.value
    assert download.suggested_filename == "checklist-back-up.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read().startswith(b"%PDF-1.4")
    tab.problems.clear()  # a download ends its navigation as "aborted"; that is not a failure
    assert eventually(lambda: Event.objects.filter(kind="download").exists())
    profile = Profile.objects.get()
    assert (profile.name, profile.company) == ("Piet de Vries", "Bakkerij Piet")

    # The second: only what is new.
    tab.check_with_axe(f"{prefix}/downloads/{whitepaper.slug}/", "download-form-second")
    assert fields(tab) == ["phone", "function"]
    assert "Piet de Vries" in page.locator("#download-known").inner_text()
    submit(tab, {"phone": "+31 6 12345678", "function": "Eigenaar"})
    profile.refresh_from_db()
    assert (profile.phone, profile.function) == ("+31 6 12345678", "Eigenaar")
    assert Delivery.objects.filter(profile=profile).count() == 2

    # "Not you?": the form forgets; the whole form again.
    tab.goto(f"{prefix}/downloads/{whitepaper.slug}/")
    assert fields(tab) == []
    page.get_by_role("button", name=NOT_YOU[lang], exact=True).click()
    page.wait_for_load_state("load")
    # The tracker's beacons of the page that was left may be cut off by the navigation.
    tab.problems.failed[:] = [f for f in tab.problems.failed if not f.endswith("/t/")]
    assert fields(tab) == ["email", "phone", "function"]
    assert not Profile.objects.exists()
    tab.assert_clean(f"download-form after not-you ({lang})")
    # Leave the page and let its last beacon (time on page) arrive before the test's data are
    # flushed, so no request of the live server holds the database then.
    left = Event.objects.filter(kind="leave").count()
    page.goto("about:blank")
    assert eventually(lambda: Event.objects.filter(kind="leave").count() > left)


@pytest.fixture
def activity(transactional_db):
    from privacydesk.tracking.tests.test_staff import make_activity

    visitor = make_activity()
    demo._four_weeks()  # a month of figures to draw
    return visitor


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_tracking_pages(pages, activity, lang):
    officer, sales = make_staff("privacy_officer"), make_staff("sales")
    tab = pages.open(lang, session_cookie=staff_session(officer))
    tab.check("/staff/tracking/", "tracking-analytics")
    for chart in ("#chart-pageviews svg", "#chart-downloads svg", "#chart-consent svg"):
        tab.assert_wholly_visible(chart)
    tab.check("/staff/tracking/?days=365", "tracking-analytics-year")
    tab.check("/staff/tracking/visitors/", "tracking-visitors")
    tab.check(f"/staff/tracking/visitors/{activity}/", "tracking-visitor")
    assert tab.page.locator("#tracking-profile dd").first.inner_text() == "Piet"

    pages.add_session(tab.context, staff_session(sales))
    tab.check("/staff/tracking/downloads/", "tracking-downloads")
    tab.check("/staff/tracking/downloads/new/", "tracking-download-new")
    download = Download.objects.order_by("pk").first()
    tab.check(f"/staff/tracking/downloads/{download.pk}/", "tracking-download-edit")
    tab.goto("/staff/tracking/")
    assert tab.page.locator('a[href="/staff/tracking/visitors/"]').count() == 0
