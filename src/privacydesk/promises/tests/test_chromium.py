"""The promise board in Chromium (privacydesk.testing.browser): nl and en, 1280 and 390 px."""

import pytest

from privacydesk.promises import services
from privacydesk.registers.tests.conftest import breach
from privacydesk.testing import make_staff
from privacydesk.testing.browser import LANGUAGES, staff_session

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", LANGUAGES)
def test_promise_board(pages, transactional_db, lang):
    officer = make_staff("privacy_officer")
    breach()  # an open breach: its 72-hour clock is on the board
    services.check()
    services.check()
    tab = pages.open(lang, session_cookie=staff_session(officer))
    tab.check("/staff/promises/", "promises-board")
    text = tab.page.inner_text("#promises")
    # Every promise is checked by an installed app now: none is "not built".
    assert ("not built" not in text) if lang == "en" else ("niet gebouwd" not in text)
    assert ("kept" in text) if lang == "en" else ("nagekomen" in text)
    assert tab.page.locator("#promises svg rect").count() == 30
    clocks = tab.page.inner_text("#clocks")
    assert (
        ("left to notify the AP" in clocks)
        if lang == "en"
        else ("om bij de AP te melden" in clocks)
    )
