"""The cookie banner and first-party tracking in Debian's Chromium (privacydesk.testing.browser).

Proved from the browser's own network log and cookie jar: nothing but necessary cookies and no
tracking request before a choice; after "reject all" none ever, across pages; after "accept
all" page views, clicks and time on page arrive and are stored; with Global Privacy Control
no tracking; a withdrawal stops tracking at once; and all of it again from a page of a second
loopback origin that embeds the banner with one script tag.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from privacydesk.consent.models import ConsentRecord
from privacydesk.policy import services as policy
from privacydesk.testing import free_port, make_staff
from privacydesk.testing.browser import LANGUAGES, WIDTHS, screenshot_dir, staff_session
from privacydesk.tracking.models import Event

pytestmark = pytest.mark.browser

NAMES = {
    "nl": ("Alles accepteren", "Alles weigeren", "Instellingen", "Cookie-instellingen"),
    "en": ("Accept all", "Reject all", "Settings", "Cookie settings"),
}
GPC_SCRIPT = (
    "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"
)


@pytest.fixture(autouse=True)
def _in_the_request(settings):
    settings.TRACKING_FLUSH_MS = 0


def necessary_cookies() -> set[str]:
    model = policy.current_model()
    return {n for c in model.cookies if c.category == "necessary" for n in (c.name, *c.aliases)}


class Network:
    """Every request the browser context makes, as (method, URL)."""

    def __init__(self, context):
        self.seen: list[tuple[str, str]] = []
        context.on("request", lambda r: self.seen.append((r.method, r.url)))

    def tracking(self) -> list[str]:
        return [url for _m, url in self.seen if "/t/" in url or "/tracking/t.js" in url]

    def decisions(self) -> list[str]:
        return [url for m, url in self.seen if m == "POST" and "/consent/decide/" in url]


def eventually(check, timeout: float = 8.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def consent_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "pd_consent"), None)


def button(tab, name: str):
    return tab.page.get_by_role("button", name=name, exact=True)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_banner_before_a_choice(pages, transactional_db, lang):
    """Three equal buttons with their exact names, focus in the banner, Escape is no consent,
    a settings layer with unticked switches, and nothing stored or tracked."""
    accept, reject, settings_name, reopen = NAMES[lang]
    tab = pages.open(lang)
    network = Network(tab.context)
    home = "/" if lang == "nl" else "/en/"
    tab.check_with_axe(home, "banner")
    page = tab.page
    page.wait_for_selector("#pd-consent")
    for name in (accept, reject, settings_name):
        assert button(tab, name).count() == 1, name
    boxes = [button(tab, n).bounding_box() for n in (accept, reject, settings_name)]
    assert len({(round(b["width"]), round(b["height"])) for b in boxes}) == 1, boxes
    styles = page.evaluate(
        "[...document.querySelectorAll('.pdc-buttons button')].slice(0, 3)"
        ".map(b => getComputedStyle(b).backgroundColor + getComputedStyle(b).fontWeight)"
    )
    assert len(set(styles)) == 1, styles
    assert page.evaluate("document.activeElement.closest('#pd-consent') !== null")
    assert page.get_by_role("link", name=reopen, exact=True).count() == 1

    page.keyboard.press("Escape")
    assert page.locator("#pd-consent").count() == 1  # Escape is not consent

    button(tab, settings_name).click()
    assert button(tab, settings_name).get_attribute("aria-expanded") == "true"
    switches = page.get_by_role("switch")
    assert switches.count() == 3
    assert page.is_checked("#pdc-necessary") and page.is_disabled("#pdc-necessary")
    assert not page.is_checked("#pdc-analytics") and not page.is_checked("#pdc-tracking")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844 if width < 500 else 800})
        tab.screenshot("banner-settings", width)
    tab.assert_clean(f"banner-settings ({lang})")
    tab.axe(f"banner-settings ({lang})")

    names = {c["name"] for c in tab.context.cookies()}
    assert names <= necessary_cookies() - {"pd_consent"}, names
    assert network.tracking() == [] and network.decisions() == []
    assert not ConsentRecord.objects.exists()


def test_reject_all_tracks_nothing_across_pages(pages, transactional_db):
    tab = pages.open("nl")
    network = Network(tab.context)
    tab.goto("/")
    tab.page.wait_for_selector("#pd-consent")
    button(tab, "Alles weigeren").click()
    assert eventually(lambda: consent_cookie(tab.context))
    assert consent_cookie(tab.context).split(".")[1] == "00"
    for path in ("/privacy/", "/cookies/", "/"):
        tab.goto(path)
        tab.page.wait_for_load_state("networkidle")
        assert tab.page.locator("#pd-consent").count() == 0, path
    tab.page.get_by_role("link", name="Privacyvoorwaarden").first.click()
    tab.page.wait_for_load_state("networkidle")
    assert network.tracking() == []
    assert len(network.decisions()) == 1
    rec = ConsentRecord.objects.get()
    assert rec.kind == "reject_all" and not rec.tracking and not rec.analytics
    assert not Event.objects.exists()
    names = {c["name"] for c in tab.context.cookies()}
    assert names <= necessary_cookies(), names


def test_accept_all_tracks_and_withdrawal_stops_at_once(pages, transactional_db):
    tab = pages.open("en")
    network = Network(tab.context)
    page = tab.page
    tab.goto("/en/")
    page.wait_for_selector("#pd-consent")
    button(tab, "Accept all").click()
    assert eventually(lambda: Event.objects.filter(kind="pageview").exists())
    consent_id = uuid.UUID(consent_cookie(tab.context).split(".")[0])
    # A click on a link, the next page's view and the time the first page was visible.
    page.get_by_role("link", name="Privacy policy").first.click()
    page.wait_for_url("**/en/privacy/")
    assert eventually(lambda: Event.objects.filter(kind="pageview").count() == 2)
    assert eventually(lambda: Event.objects.filter(kind="leave").exists())
    kinds = set(Event.objects.filter(visitor_id=consent_id).values_list("kind", flat=True))
    assert kinds == {"pageview", "click", "leave"}, kinds
    leave = Event.objects.get(kind="leave")
    assert leave.duration_ms is not None and leave.path == "/en/"
    assert Event.objects.get(kind="click").target.endswith("/en/privacy/")

    # The receipt: the consent id and the choice, in the settings layer.
    page.get_by_role("link", name="Cookie settings", exact=True).click()
    receipt = page.locator("#pdc-receipt")
    assert str(consent_id) in receipt.inner_text()
    assert page.is_checked("#pdc-tracking") and page.is_checked("#pdc-analytics")
    for width in WIDTHS:  # the viewport, where the banner is (the page below is long)
        page.set_viewport_size({"width": width, "height": 844 if width < 500 else 800})
        page.screenshot(path=str(screenshot_dir() / f"banner-receipt-en-{width}.png"))
        tab.assert_clean(f"banner-receipt (en, {width} px)")

    # Withdraw tracking: nothing is sent from this moment on, and what was stored is erased.
    page.click("label[for=pdc-tracking]")
    button(tab, "Save my choice").click()
    assert eventually(lambda: consent_cookie(tab.context).split(".")[1] == "10")
    sent = len(network.tracking())
    page.get_by_role("link", name="Cookie statement").first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Privacy policy").first.click()
    page.wait_for_load_state("networkidle")
    assert network.tracking()[sent:] == []
    assert not Event.objects.exists()
    kinds = list(ConsentRecord.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["accept_all", "withdrawal"]


def test_gpc_means_no_tracking(pages, transactional_db):
    tab = pages.open("nl")
    tab.context.add_init_script(GPC_SCRIPT)
    tab.context.set_extra_http_headers({"Accept-Language": "nl-NL", "Sec-GPC": "1"})
    network = Network(tab.context)
    tab.goto("/")
    page = tab.page
    page.wait_for_selector("#pd-consent")
    assert "Global Privacy Control" in page.locator("#pdc-gpc").inner_text()
    tab.screenshot("banner-gpc", WIDTHS[0])
    button(tab, "Alles accepteren").click()
    assert eventually(lambda: consent_cookie(tab.context))
    tab.goto("/privacy/")
    page.wait_for_load_state("networkidle")
    rec = ConsentRecord.objects.get()
    assert rec.gpc and rec.analytics and not rec.tracking
    assert network.tracking() == [] and not Event.objects.exists()


def test_a_refused_decision_says_so(pages, transactional_db, settings):
    """Beyond the flood limit the server answers 429 and records nothing; the banner stays
    open and says the choice could not be saved."""
    settings.CONSENT_NETWORK_PER_MINUTE = 1
    tab = pages.open("nl")
    page = tab.page
    tab.goto("/")
    page.wait_for_selector("#pd-consent")
    button(tab, "Alles weigeren").click()
    assert eventually(lambda: consent_cookie(tab.context))
    page.get_by_role("link", name="Cookie-instellingen", exact=True).click()
    with page.expect_response("**/consent/decide/") as answer:
        button(tab, "Alles accepteren").click()
    assert answer.value.status == 429
    failed = page.locator(".pdc-failed")
    failed.wait_for(state="visible")
    assert "kon niet worden opgeslagen" in failed.inner_text()
    assert page.locator("#pd-consent").is_visible()
    assert consent_cookie(tab.context).split(".")[1] == "00"
    assert list(ConsentRecord.objects.values_list("kind", flat=True)) == ["reject_all"]
    tab.problems.clear()  # the refused request is what this test is about


EMBED_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Klantsite</title></head>
<body><h1>Klantsite</h1>
<p><a id="next" href="{next}">Verder</a>
<a id="file" href="checklist.pdf" download>Checklist</a></p>
<script src="{server}/static/consent/banner.js" defer></script>
<script type="text/plain" data-category="tracking" src="marker.js"></script>
</body></html>
"""


@pytest.fixture
def other_site(tmp_path, settings):
    """A tiny static site on a second loopback origin: its own port and its own host name
    (127.0.0.1, where Privacydesk's live server is ``localhost``), so that a cookie of the
    one is never taken for a cookie of the other."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "marker.js").write_text("window.pdMarker = true;\n")
    (root / "checklist.pdf").write_bytes(b"%PDF-1.4\n%test\n")
    handler = functools.partial(QuietHandler, directory=str(root))
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{port}"
    settings.EMBED_ORIGINS = (origin,)
    yield root, origin
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def write_pages(root: Path, server: str) -> None:
    (root / "a.html").write_text(EMBED_PAGE.format(lang="nl", next="b.html", server=server))
    (root / "b.html").write_text(EMBED_PAGE.format(lang="nl", next="a.html", server=server))


def embedding_cookie(context) -> dict:
    """The banner's cookie, which must be the embedding site's and not Privacydesk's."""
    cookies = [c for c in context.cookies() if c["name"] == "pd_consent"]
    assert [c["domain"] for c in cookies] == ["127.0.0.1"], cookies
    return cookies[0]


def test_embedded_on_another_origin(pages, transactional_db, other_site, live_server):
    root, origin = other_site
    assert urlsplit(live_server.url).hostname != urlsplit(origin).hostname  # another host
    write_pages(root, live_server.url)
    # Reject on one visit: nothing, across pages.
    tab = pages.open("nl")
    network = Network(tab.context)
    page = tab.page
    page.goto(f"{origin}/a.html")
    page.wait_for_selector("#pd-consent")
    assert network.tracking() == [] and not tab.context.cookies()
    assert not page.evaluate("window.pdMarker === true")
    button(tab, "Alles weigeren").click()
    assert eventually(lambda: consent_cookie(tab.context))
    embedding_cookie(tab.context)  # a first-party cookie of the embedding site
    page.click("#next")
    page.wait_for_load_state("networkidle")
    assert network.tracking() == [] and not page.evaluate("window.pdMarker === true")
    tab.problems.clear()

    # Accept on another: the inert script runs, page views, clicks, downloads, time arrive.
    other = pages.open("nl")
    network = Network(other.context)
    page = other.page
    page.goto(f"{origin}/a.html")
    page.wait_for_selector("#pd-consent")
    page.screenshot(path=str(screenshot_dir() / "banner-embedded-nl-1280.png"))
    button(other, "Alles accepteren").click()
    assert eventually(lambda: Event.objects.filter(kind="pageview").exists())
    assert page.evaluate("window.pdMarker === true")
    with page.expect_download():
        page.click("#file")
    assert eventually(lambda: Event.objects.filter(kind="download").exists())
    page.click("#next")
    page.wait_for_url("**/b.html")
    assert eventually(lambda: Event.objects.filter(kind="pageview").count() == 2)
    assert eventually(lambda: Event.objects.filter(kind="leave").exists())
    assert set(Event.objects.values_list("site", flat=True)) == {origin.removeprefix("http://")}
    rec = ConsentRecord.objects.get(kind="accept_all")
    assert rec.origin == origin

    # Withdraw there too: at once, nothing more.
    page.get_by_role("link", name="Cookie-instellingen", exact=True).click()
    button(other, "Alles weigeren").click()
    assert eventually(lambda: consent_cookie(other.context).split(".")[1] == "00")
    embedding_cookie(other.context)
    sent = len(network.tracking())
    page.click("#next")
    page.wait_for_load_state("networkidle")
    assert network.tracking()[sent:] == []
    assert not Event.objects.exists()
    other.problems.clear()

    # Global Privacy Control on the embedding site: the banner says so, no tracking at all.
    gpc = pages.open("nl")
    gpc.context.add_init_script(GPC_SCRIPT)
    gpc.context.set_extra_http_headers({"Accept-Language": "nl-NL", "Sec-GPC": "1"})
    network = Network(gpc.context)
    page = gpc.page
    page.goto(f"{origin}/a.html")
    page.wait_for_selector("#pd-consent")
    assert "Global Privacy Control" in page.locator("#pdc-gpc").inner_text()
    button(gpc, "Alles accepteren").click()
    assert eventually(lambda: consent_cookie(gpc.context))
    embedding_cookie(gpc.context)
    page.click("#next")
    page.wait_for_url("**/b.html")
    page.wait_for_load_state("networkidle")
    rec = ConsentRecord.objects.filter(gpc=True).get()
    assert rec.analytics and not rec.tracking and rec.origin == origin
    assert network.tracking() == [] and not Event.objects.exists()
    assert not page.evaluate("window.pdMarker === true")
    gpc.problems.clear()
    pages.close()  # now, so that no last request of a page meets the database's teardown


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_consent_lookup(pages, transactional_db, lang):
    from privacydesk.consent import services

    rec = services.decide(
        services.Decision("accept_all", True, True, services.banner_version(), "nl", False),
        user_agent="Mozilla/5.0",
        ip_address="192.0.2.10",
        origin="https://www.compjoeter.nl",
    )
    officer = make_staff("privacy_officer")
    tab = pages.open(lang, session_cookie=staff_session(officer))
    tab.check(f"/staff/consent/?id={rec.consent_id}", "consent-lookup")
    assert tab.page.locator("#consent-verified").count() == 1
    assert tab.page.locator("#consent-records tbody tr").count() == 1
