"""The registers' staff pages in Chromium (privacydesk.testing.browser): the overview, each
register's list, record and form, in Dutch and English at 1280 and 390 px."""

import pytest

from privacydesk.registers.tests.conftest import breach, disclosure, processor
from privacydesk.testing import make_staff
from privacydesk.testing.browser import LANGUAGES, staff_session

pytestmark = pytest.mark.browser


@pytest.fixture
def entries(transactional_db):
    p = processor(sub_processors="Voorbeeld Cloud GmbH (Duitsland)")
    d = disclosure(
        subjects=["piet.puk@example.nl", "phone:+31 6 12345678"],
        place_hold=True,
        subject_told=False,
        told_on=None,
        not_told_reason="Verzoek van de politie: het onderzoek loopt nog",
    )
    b = breach(subjects=["piet.puk@example.nl"])
    return p, d, b


@pytest.mark.parametrize("lang", LANGUAGES)
def test_register_pages(pages, entries, lang):
    p, d, b = entries
    tab = pages.open(lang, session_cookie=staff_session(make_staff("privacy_officer")))
    for path, name in [
        ("/staff/registers/", "registers"),
        ("/staff/registers/disclosures/", "registers-disclosures"),
        (f"/staff/registers/disclosures/{d.pk}/", "registers-disclosure"),
        (f"/staff/registers/disclosures/{d.pk}/edit/", "registers-disclosure-edit"),
        ("/staff/registers/processors/", "registers-processors"),
        (f"/staff/registers/processors/{p.pk}/", "registers-processor"),
        ("/staff/registers/processors/new/", "registers-processor-new"),
        ("/staff/registers/breaches/", "registers-breaches"),
        (f"/staff/registers/breaches/{b.pk}/", "registers-breach"),
        (f"/staff/registers/breaches/{b.pk}/edit/", "registers-breach-edit"),
    ]:
        tab.check(path, name)
    # A refused form names the field, in the page's language.
    tab.goto("/staff/registers/processors/new/")
    tab.page.fill("#id_key", "bad_dates")
    tab.page.fill("#id_agreement_signed_on", "2026-01-10")
    tab.page.fill("#id_agreement_ends_on", "2025-01-10")
    tab.page.click("#registers-form [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 400
    text = tab.page.inner_text("#content-main")
    assert (
        ("ends before" in text or "cannot end before" in text)
        if lang == "en"
        else ("kan niet eindigen" in text)
    )
    tab.problems.clear()  # the 400 of the refused form is the point
    tab.screenshot("registers-processor-refused", 1280)
