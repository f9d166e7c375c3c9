"""The customer portal and the vault's staff pages in Chromium (privacydesk.testing.browser):
PIN, the list of files, a download; the jobs list, a job and a newly created job."""

import io
from urllib.parse import urlsplit

import pytest

from privacydesk.testing import make_staff
from privacydesk.testing.browser import LANGUAGES, WIDTHS, staff_session
from privacydesk.vault import services

pytestmark = pytest.mark.browser

NOTES = b"Recovered notes\n" * 40


@pytest.fixture
def recovered(transactional_db):
    """A job of a technician with two recovered files; ``(new_job, technician)``."""
    technician = make_staff("technician")
    new = services.create_job(
        contact_email="klant@example.nl",
        device="Laptop HP EliteBook, SSD 512 GB, serienummer 5CG1234XYZ",
        technician=technician,
        actor="system:test",
    )
    for name, data in [
        (b"notities-van-de-klant.txt", NOTES),
        (b"Foto's/vakantie 2024/IMG_20240812_153012_lange_naam.jpg", b"\xff\xd8" + b"x" * 5000),
    ]:
        services.store(new.job, io.BytesIO(data), raw_name=name, actor="system:test")
    return new, technician


def portal_path(new_job, lang: str) -> str:
    path = urlsplit(new_job.link).path
    return path if lang == "nl" else f"/en{path}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_portal_pin_list_and_download(pages, recovered, lang):
    new_job, _ = recovered
    tab = pages.open(lang)
    tab.check_with_axe(portal_path(new_job, lang), "portal-pin")

    tab.page.fill("#pd-pin", new_job.pin)
    tab.page.click("main form [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.page.locator("#items").count() == 1
    for width in WIDTHS:
        tab.check(urlsplit(tab.page.url).path, "portal-items", widths=(width,))
    tab.axe(f"portal-items ({lang}, {WIDTHS[-1]} px)")

    row = tab.page.locator("#items tbody tr", has_text="notities-van-de-klant.txt")
    with tab.page.expect_download() as event:
        row.locator("a").first.click()
    download = event.value
    assert download.suggested_filename == "notities-van-de-klant.txt"
    with open(download.path(), "rb") as fh:
        assert fh.read() == NOTES
    tab.problems.clear()  # a download ends its navigation as "aborted"; that is not a failure


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_vault_pages(pages, recovered, lang):
    new_job, technician = recovered
    tab = pages.open(lang, session_cookie=staff_session(technician))
    tab.check("/staff/vault/jobs/", "vault-jobs")
    tab.check(f"/staff/vault/jobs/{new_job.job.pk}/", "vault-job")

    tab.goto("/staff/vault/jobs/")
    tab.page.fill("#id_contact_email", "nieuw@example.nl")
    tab.page.fill("#id_device", "USB-stick 64 GB")
    tab.page.click("#vault-intake [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 200
    tab.check_here("vault-job-created")
