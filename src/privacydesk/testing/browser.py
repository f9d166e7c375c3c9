"""Every page a person sees, checked in Debian's Chromium (Playwright for Python).

One browser runs per test session (``privacydesk.testing.chromium.launch``); each test gets
fresh contexts from :class:`Pages` (one per language, with that language's
``Accept-Language``). ``Tab.check`` opens a page at each width and asserts what a person
would notice first:

- every subresource loaded (no response >= 400, no failed request) and the page itself
  answered with the expected status;
- no console error, no uncaught exception and no Content-Security-Policy violation (CSP is
  ``'self'`` only, so an inline style or script shows up here);
- the project's stylesheet (``static/privacydesk/``) is applied;
- no horizontal overflow (the document is no wider than the viewport, 1 px allowed);
- a full-page screenshot ``<name>-<lang>-<width>.png`` in :func:`screenshot_dir`, for a person
  to look at.

``Tab.axe`` runs axe-core (the copy bundled in the ``axe-playwright-python`` wheel, so no
network) and fails on serious or critical violations; ``Tab.check_with_axe`` runs it once
per page, after the last (narrow) width.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

WIDTHS = (1280, 390)
LANGUAGES = ("nl", "en")
HEIGHT = {1280: 800, 390: 844}
ACCEPT_LANGUAGE = {"nl": "nl-NL", "en": "en-GB"}

# Reported by the page itself through an init script (init scripts are not subject to CSP).
_CSP_LISTENER = """
window.__pdViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__pdViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def screenshot_dir() -> Path:
    """``PRIVACYDESK_SCREENSHOTS``, or ``var/screenshots/`` in the checkout (gitignored)."""
    configured = os.environ.get("PRIVACYDESK_SCREENSHOTS")
    if configured:
        path = Path(configured)
    else:
        root = Path(__file__).resolve().parents[3]
        if not (root / "pyproject.toml").exists():
            root = Path.cwd()
        path = root / "var" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Problems:
    """What went wrong while one page loaded."""

    responses: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.responses.clear()
        self.failed.clear()
        self.console.clear()


class Tab:
    """One browser page in one language, with recorders for what goes wrong."""

    def __init__(self, context, *, base_url: str, lang: str):
        self.context = context
        self.base_url = base_url
        self.lang = lang
        self.page = context.new_page()
        self.problems = Problems()
        self.document_status: int | None = None
        self._navigations = 0
        self._commits = 0
        self.page.on("framenavigated", self._on_commit)
        self.page.on("request", self._on_request)
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.problems.console.append(f"exception: {exc}"))

    # -- recorders -------------------------------------------------------------------------
    @staticmethod
    def _is_document(request) -> bool:
        return request.is_navigation_request() and request.frame.parent_frame is None

    def _on_commit(self, frame) -> None:
        if frame.parent_frame is None:
            self._commits += 1

    def _on_request(self, request) -> None:
        if self._is_document(request):
            self._navigations += 1
        request.pd_navigation = self._navigations
        request.pd_commit = self._commits

    def _on_response(self, response) -> None:
        if self._is_document(response.request):
            self.document_status = response.status
        elif response.status >= 400:
            self.problems.responses.append(f"{response.status} {response.url}")

    def _on_request_failed(self, request) -> None:
        left_behind = getattr(request, "pd_navigation", self._navigations) < self._navigations
        # Or asked for by the old document after the next navigation began, cut off when the
        # new one committed (a script the banner adds as the tab moves on).
        left_behind = left_behind or getattr(request, "pd_commit", self._commits) < self._commits
        if left_behind and request.failure == "net::ERR_ABORTED":
            return  # the page that asked for it was left (e.g. its icon, while submitting)
        if (
            request.failure == "net::ERR_ABORTED"
            and request.method == "POST"
            and request.url.split("?")[0].endswith("/t/")
        ):
            # The tracker's keepalive fetch sent as a page is left (time on page): Chromium
            # reports it aborted for the page it left; the tracking tests count what arrived.
            return
        if request.failure == "net::ERR_ABORTED" and request.url.endswith("/favicon.svg"):
            # Chromium fetches the icon lazily and may ask for it after the next navigation
            # began, so the counter above cannot tell; a missing icon is still a 404 response.
            return
        self.problems.failed.append(f"{request.failure} {request.url}")

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text
        # Chromium reports a page's own 4xx status as a console error; the status is checked.
        own = message.location.get("url", "") == message.page.url if message.page else False
        if (
            own
            and text.startswith("Failed to load resource")
            and (self.document_status or 0) >= 400
        ):
            return
        source = message.location.get("url")
        self.problems.console.append(f"{text} ({source})" if source else text)

    # -- actions ---------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str, *, status: int = 200) -> None:
        self.problems.clear()
        self.document_status = None
        self.page.goto(self.url(path), wait_until="load")
        assert self.document_status == status, (path, self.document_status, status)

    def refuse_cookies(self) -> None:
        """Answer the cookie banner with "Alles weigeren" / "Reject all" when it is shown, as a
        visitor would before using a form the banner lies over (the banner's own tests are in
        ``consent/tests``)."""
        if not self.page.locator("script[src*='consent/banner']").count():
            return
        # The banner appears once its texts have been fetched, which may be after "load":
        # wait until it is shown or a choice is already in the cookie.
        self.page.wait_for_function(
            "() => /(?:^|;\\s*)pd_consent=/.test(document.cookie)"
            " || !!document.querySelector('#pd-consent:not([hidden])')"
        )
        banner = self.page.locator("#pd-consent")
        if banner.count() and banner.is_visible():
            name = {"nl": "Alles weigeren", "en": "Reject all"}[self.lang]
            banner.get_by_role("button", name=name, exact=True).click()
            banner.wait_for(state="hidden")

    def assert_clean(self, where: str) -> None:
        """No failed subresource, console error, CSP violation or horizontal overflow."""
        page = self.page
        page.wait_for_load_state("load")
        violations = page.evaluate("window.__pdViolations || []")
        problems = self.problems
        assert not problems.responses, f"{where}: subresources failed: {problems.responses}"
        assert not problems.failed, f"{where}: requests failed: {problems.failed}"
        assert not problems.console, f"{where}: console errors: {problems.console}"
        assert not violations, f"{where}: CSP violations: {violations}"
        styled = page.evaluate(
            "[...document.styleSheets].some((sheet) => sheet.href"
            " && sheet.href.includes('/static/privacydesk/') && sheet.cssRules.length > 0)"
        )
        assert styled, f"{where}: the project's stylesheet is not applied"
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth,"
            " document.body ? document.body.scrollWidth : 0]"
        )
        assert max(widths[0], widths[2]) <= widths[1] + 1, (
            f"{where}: horizontal overflow, document {widths[0]}/{widths[2]} px wide "
            f"in a {widths[1]} px viewport"
        )

    def check(self, path: str, name: str, *, status: int = 200, widths=WIDTHS) -> None:
        """Open ``path`` at each width, assert it is clean and save a full-page screenshot."""
        for width in widths:
            self.page.set_viewport_size({"width": width, "height": HEIGHT[width]})
            self.goto(path, status=status)
            self.screenshot(name, width)  # first, so a failing page can be looked at
            self.assert_clean(f"{name} ({self.lang}, {width} px)")

    def check_here(self, name: str, *, widths=WIDTHS) -> None:
        """Like :meth:`check` for the page already open (e.g. the answer to a POST)."""
        for width in widths:
            self.page.set_viewport_size({"width": width, "height": HEIGHT[width]})
            self.screenshot(name, width)
            self.assert_clean(f"{name} ({self.lang}, {width} px)")

    def screenshot(self, name: str, width: int) -> Path:
        path = screenshot_dir() / f"{name}-{self.lang}-{width}.png"
        self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    def axe(self, where: str) -> None:
        """axe-core: no serious or critical accessibility violation on the open page."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
            for v in results.response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert not bad, f"{where}: accessibility violations:\n" + "\n".join(bad)

    def check_with_axe(self, path: str, name: str, *, status: int = 200) -> None:
        """:meth:`check`, then axe-core on the narrow layout (the same document as the wide
        one; crowding shows there first). Once per page keeps the suite fast."""
        self.check(path, name, status=status)
        self.axe(f"{name} ({self.lang}, {self.page.viewport_size['width']} px)")

    # -- whole elements ------------------------------------------------------------------------
    def assert_wholly_visible(self, selector: str) -> dict:
        """The element lies inside the viewport's width and no ancestor clips any of it."""
        box = self.page.evaluate(_VISIBILITY, selector)
        where = f"{selector} ({self.lang}, {box['viewport']} px)"
        assert box["width"] > 0 and box["height"] > 0, f"{where}: not shown"
        assert box["left"] >= 0 and box["right"] <= box["viewport"], f"{where}: {box}"
        assert not box["clipped_by"], f"{where}: clipped by {box['clipped_by']}"
        return box

    def decode_qr(self, selector: str) -> str:
        """Screenshot the element as a person sees it and decode the QR code in it (zxing-cpp)."""
        import base64

        import zxingcpp

        png = self.page.locator(selector).screenshot(animations="disabled")
        scratch = self.context.new_page()
        try:
            width, height, gray = scratch.evaluate(_GRAYSCALE, base64.b64encode(png).decode())
        finally:
            scratch.close()
        pixels = memoryview(base64.b64decode(gray)).cast("B", (height, width))
        found = zxingcpp.read_barcodes(pixels, formats=zxingcpp.BarcodeFormat.QRCode)
        assert found, f"{selector} ({self.lang}): no QR code could be read"
        return found[0].text

    def assert_text_not_squeezed(self, selector: str, *, minimum: int = 200) -> None:
        """Text boxes are wide enough to read: not one word (or letter) per line."""
        narrow = self.page.evaluate(
            """([selector, minimum]) => [...document.querySelectorAll(selector)]
                .filter((el) => el.offsetParent !== null && el.textContent.trim().length > 30)
                .filter((el) => el.getBoundingClientRect().width < minimum)
                .map((el) => el.textContent.trim().slice(0, 40))""",
            [selector, minimum],
        )
        assert not narrow, f"{selector} ({self.lang}): squeezed text boxes: {narrow}"


_VISIBILITY = """(selector) => {
  const el = document.querySelector(selector);
  const r = el.getBoundingClientRect();
  const clipped_by = [];
  if (el instanceof SVGSVGElement) {
    // Without a viewBox an SVG is drawn at its width/height attributes and cut to its box.
    if (el.getAttribute('width') && !el.getAttribute('viewBox')
        && (r.width + 0.5 < parseFloat(el.getAttribute('width'))
            || r.height + 0.5 < parseFloat(el.getAttribute('height')))) {
      clipped_by.push('its own box (' + r.width + 'x' + r.height + ' px, drawn at '
                      + el.getAttribute('width') + 'x' + el.getAttribute('height') + ')');
    }
    for (const child of el.children) {
      const c = child.getBoundingClientRect();
      if (c.left < r.left - 0.5 || c.right > r.right + 0.5 || c.bottom > r.bottom + 0.5) {
        clipped_by.push('its own box (content ' + c.width + 'x' + c.height + ' px)');
      }
    }
  }
  for (let a = el.parentElement; a; a = a.parentElement) {
    const style = getComputedStyle(a);
    if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
    const c = a.getBoundingClientRect();
    const right = c.left + a.clientLeft + a.clientWidth;
    const bottom = c.top + a.clientTop + a.clientHeight;
    if (r.left < c.left - 0.5 || r.right > right + 0.5
        || (style.overflowY !== 'visible' && r.bottom > bottom + 0.5)) {
      clipped_by.push(a.tagName.toLowerCase() + (a.id ? '#' + a.id : ''));
    }
  }
  return {left: r.left, right: r.right, width: r.width, height: r.height,
          viewport: document.documentElement.clientWidth, clipped_by};
}"""

_GRAYSCALE = """async (png) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + png;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const rgba = ctx.getImageData(0, 0, img.width, img.height).data;
  let gray = '';
  for (let i = 0; i < rgba.length; i += 4) {
    gray += String.fromCharCode(Math.round((rgba[i] + rgba[i + 1] + rgba[i + 2]) / 3));
  }
  return [img.width, img.height, btoa(gray)];
}"""


class Pages:
    """Opens :class:`Tab` objects on the live server; closes their contexts at the end."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.contexts: list = []

    def open(self, lang: str = "nl", *, session_cookie: str | None = None) -> Tab:
        context = self.browser.new_context(
            locale=ACCEPT_LANGUAGE[lang],
            extra_http_headers={"Accept-Language": ACCEPT_LANGUAGE[lang]},
            viewport={"width": WIDTHS[0], "height": HEIGHT[WIDTHS[0]]},
            accept_downloads=True,
        )
        context.add_init_script(_CSP_LISTENER)
        self.contexts.append(context)
        if session_cookie:
            self.add_session(context, session_cookie)
        return Tab(context, base_url=self.base_url, lang=lang)

    def add_session(self, context, session_key: str) -> None:
        from django.conf import settings

        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": self.base_url}]
        )

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


def staff_session(user) -> str:
    """A session key for ``user`` signed in with password and second factor (as after 2FA)."""
    from django.test import Client

    from privacydesk.testing import sign_in_verified

    client = Client()
    sign_in_verified(client, user)
    return client.session.session_key
