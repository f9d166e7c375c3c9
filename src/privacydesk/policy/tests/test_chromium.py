"""Public pages and the Art. 30 register in Chromium, at 1280 and 390 px, in Dutch and
English (checks in privacydesk.testing.browser; screenshots in var/screenshots/)."""

import pytest

from privacydesk.testing import make_staff
from privacydesk.testing.browser import LANGUAGES, staff_session

pytestmark = pytest.mark.browser


def prefix(lang: str) -> str:
    return "" if lang == "nl" else "/en"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "path,name",
    [
        ("/", "home"),
        ("/privacy/", "policy"),
        ("/privacy/versions/", "policy-versions"),
        ("/privacy/versions/1/", "policy-version-1"),
        ("/cookies/", "cookies"),
    ],
)
def test_public_page(pages, lang, path, name):
    pages.open(lang).check_with_axe(prefix(lang) + path, name)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_policy_diff(pages, lang):
    pages.open(lang).check_with_axe(
        f"{prefix(lang)}/privacy/versions/compare/?from=1&to=2", "policy-diff"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_not_found(pages, lang):
    pages.open(lang).check(f"{prefix(lang)}/no-such-page/", "public-404", status=404)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_register(pages, lang):
    session = staff_session(make_staff("privacy_officer"))
    pages.open(lang, session_cookie=session).check("/staff/register/", "staff-register")
