"""Sign-in, two-step enrolment and the code page in Chromium (privacydesk.testing.browser).

Seen before: the back-office sidebar sat inside the narrow sign-in box, text wrapped one word
per line and the enrolment QR code was cut off, so it could not be scanned.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacydesk.testing import PASSWORD, make_staff, totp_code
from privacydesk.testing.browser import LANGUAGES, WIDTHS

pytestmark = pytest.mark.browser


def sign_in_with_password(tab, user) -> None:
    tab.page.fill("#id_username", user.username)
    tab.page.fill("#id_password", PASSWORD)
    tab.page.click("#login-form [type=submit]")
    tab.page.wait_for_load_state("load")


def assert_narrow_box(tab) -> None:
    assert tab.page.locator("#nav-sidebar").count() == 0, "back-office sidebar on a sign-in step"
    tab.assert_text_not_squeezed("#content-main p, #content-main h1, #content-main label")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_in_page(pages, lang):
    tab = pages.open(lang)
    for width in WIDTHS:
        tab.check("/staff/login/", "signin", widths=(width,))
        assert_narrow_box(tab)
    tab.axe(f"signin ({lang}, {WIDTHS[-1]} px)")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_enrolment_shows_a_whole_scannable_qr_code(pages, lang):
    user = make_staff("sales", with_device=False)
    tab = pages.open(lang)
    tab.goto("/staff/login/?next=/staff/")
    sign_in_with_password(tab, user)
    assert urlsplit(tab.page.url).path == "/staff/2fa/enrol/"
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    for width in WIDTHS:
        tab.check(tab.page.url.removeprefix(tab.base_url), "enrol", widths=(width,))
        assert_narrow_box(tab)
        tab.assert_wholly_visible(".pd-qr svg")
        uri = tab.decode_qr(".pd-qr svg")
        assert uri.startswith("otpauth://totp/")
        secret = parse_qs(urlsplit(uri).query)["secret"][0]
        shown = tab.page.inner_text("#otp-secret").replace(" ", "")
        assert secret.rstrip("=") == shown
    tab.axe(f"enrol ({lang}, {WIDTHS[-1]} px)")
    tab.page.fill("#id_token", totp_code(device))
    tab.page.click("#enrol-form [type=submit]")
    tab.page.wait_for_load_state("load")
    assert urlsplit(tab.page.url).path == "/staff/"
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_code_page(pages, lang):
    user = make_staff("technician")
    tab = pages.open(lang)
    tab.goto("/staff/login/?next=/staff/")
    sign_in_with_password(tab, user)
    assert urlsplit(tab.page.url).path == "/staff/2fa/"
    for width in WIDTHS:
        tab.check(tab.page.url.removeprefix(tab.base_url), "otp", widths=(width,))
        assert_narrow_box(tab)
    tab.axe(f"otp ({lang}, {WIDTHS[-1]} px)")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_password_set_from_an_invitation_and_the_used_link(pages, transactional_db, lang):
    """The page an invitation or reset link opens, its done page, and the same link again."""
    from privacydesk.accounts.credentials import password_link

    user = make_staff("technician", with_device=False)
    user.email = "nieuw@example.nl"
    user.set_unusable_password()
    user.save()
    tab = pages.open(lang)
    link = password_link(user, base_url=tab.base_url).removeprefix(tab.base_url)
    for width in WIDTHS:
        tab.check(link, "password-set", widths=(width,))
        assert_narrow_box(tab)
    tab.axe(f"password-set ({lang}, {WIDTHS[-1]} px)")
    tab.page.fill("#id_new_password1", "mijn eigen lange wachtwoord 31")
    tab.page.fill("#id_new_password2", "mijn eigen lange wachtwoord 31")
    tab.page.click("#password-set-form [type=submit]")
    tab.page.wait_for_load_state("load")
    assert urlsplit(tab.page.url).path == "/staff/password/set/done/"
    tab.check_here("password-set-done")
    assert_narrow_box(tab)
    user.refresh_from_db()
    assert user.check_password("mijn eigen lange wachtwoord 31")

    tab.check(link, "password-set-used")
    assert tab.page.locator("#password-set-form").count() == 0
    assert tab.page.locator(".errornote").count() == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_lock_out_page(pages, transactional_db, lang):
    """The answer to the failure that locks an account: HTTP 429, in the sign-in box."""
    from axes.models import AccessAttempt
    from django.conf import settings

    user = make_staff("sales")
    AccessAttempt.objects.create(
        username=user.username,
        ip_address="127.0.0.1",
        user_agent="an earlier browser",
        http_accept="*/*",
        path_info="/staff/login/",
        get_data="",
        post_data="",
        failures_since_start=settings.AXES_FAILURE_LIMIT - 1,
    )
    tab = pages.open(lang)
    tab.goto("/staff/login/")
    tab.page.fill("#id_username", user.username)
    tab.page.fill("#id_password", "not the password")
    tab.page.click("#login-form [type=submit]")
    tab.page.wait_for_load_state("load")
    assert tab.document_status == 429
    tab.check_here("locked-out")
    assert_narrow_box(tab)
    tab.axe(f"locked-out ({lang}, {WIDTHS[-1]} px)")
