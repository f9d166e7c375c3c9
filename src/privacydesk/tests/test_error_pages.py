"""Error pages in the page's language and look (issue 8, "Seen" 6).

The 404 for a missing policy version was Django's bare English "Not Found"; a technician
opening a staff page not meant for them got a bare "403 Forbidden".
"""

import re

import pytest
from django.template import loader
from django.test import Client, RequestFactory
from django.urls import get_resolver
from django.utils import translation

from privacydesk import errors


def visible(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.parametrize(
    ("url", "lang", "heading", "home"),
    [
        ("/privacy/versions/99/", "nl", "Pagina niet gevonden", 'href="/"'),
        ("/en/privacy/versions/99/", "en", "Page not found", 'href="/en/"'),
        ("/nothing-here/", "nl", "Pagina niet gevonden", 'href="/"'),
    ],
)
def test_public_404_in_the_page_language(client, db, url, lang, heading, home):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert heading in visible(response) and "Not Found" not in html
    assert "privacydesk/public.css" in html and home in html


def test_staff_404_and_403_have_the_back_office_look(staff_client):
    technician = staff_client("technician")
    forbidden = technician.get("/staff/register/", HTTP_ACCEPT_LANGUAGE="nl")
    assert forbidden.status_code == 403
    html = forbidden.content.decode()
    assert "Geen toegang" in visible(forbidden) and "403 Forbidden" not in html
    assert "privacydesk/staff.css" in html and 'href="/staff/"' in html
    assert 'id="site-name"' in html  # the back office's header, with its user tools

    missing = technician.get("/staff/nothing-here/", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 404
    assert "Page not found" in visible(missing) and "Back to the back office" in visible(missing)


def test_bad_request_is_a_styled_400(client, db):
    response = client.get("/privacy/", HTTP_HOST="not-ours.example")
    assert response.status_code == 400
    assert "Ongeldig verzoek" in visible(response)
    assert "privacydesk/public.css" in response.content.decode()


def test_csrf_failure_explains_and_links_back(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 403
    assert "Formulier verlopen" in visible(response)
    assert 'href="/"' in response.content.decode()


def test_500_renders_without_context_or_database():
    """No ``db`` fixture: any query here fails the test."""
    assert get_resolver().resolve_error_handler(500) is errors.server_error
    with translation.override("nl"):
        bare = loader.get_template("500.html").render()
        assert "Er ging iets mis" in bare and 'href="/"' in bare
        response = errors.server_error(RequestFactory().get("/staff/vault/jobs/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Er ging iets mis" in html and 'href="/staff/"' in html
    assert "privacydesk/staff.css" in html
    with translation.override("en"):
        public = errors.server_error(RequestFactory().get("/en/privacy/")).content.decode()
    assert "Something went wrong" in public and 'href="/en/"' in public
    assert "style=" not in html + public and "<script" not in html + public


@pytest.mark.parametrize("status", [400, 403, 404])
def test_handlers_are_installed(status):
    handler = get_resolver().resolve_error_handler(status)
    assert handler.__module__ == "privacydesk.errors"
