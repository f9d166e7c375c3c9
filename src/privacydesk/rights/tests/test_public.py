"""The public request form, the verification link and the package link (P14): the same
answer for known and unknown addresses, a rate limit, never a 500."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.test import override_settings

from privacydesk.audit.models import AuditEntry
from privacydesk.rights import services
from privacydesk.rights.models import Request


@pytest.mark.parametrize(
    ("path", "word"),
    [("/privacy/request/", "persoonsgegevens"), ("/en/privacy/request/", "personal data")],
)
def test_form_in_both_languages(client, db, path, word):
    page = client.get(path)
    assert page.status_code == 200
    assert word in page.content.decode()
    for kind in Request.Kind.values:
        assert f'value="{kind}"' in page.content.decode()


def _send(client, email, kind="access", path="/privacy/request/"):
    return client.post(path, {"kind": kind, "email": email, "name": "", "message": ""})


def test_known_and_unknown_addresses_get_the_same_answer(client, db, mailoutbox):
    services.create(
        kind="access", channel="post", actor="x:1", email="bekend@example.nl", verified=True
    )
    known = _send(client, "bekend@example.nl")
    unknown = _send(client, "onbekend@example.nl")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/privacy/request/sent/"
    assert [m.to for m in mailoutbox] == [["bekend@example.nl"], ["onbekend@example.nl"]]
    assert Request.objects.filter(channel="web", state="unverified").count() == 2
    # no address in the audit log, only references
    assert "example.nl" not in str(list(AuditEntry.objects.values_list("detail", "subject_ref")))


def test_verification_link_confirms_on_post_only_and_expires(client, db, mailoutbox, settings):
    _send(client, "jan@example.nl", path="/en/privacy/request/")
    req = Request.objects.get()
    assert req.language == "en"
    link = re.search(r"http://testserver(/en/privacy/request/verify/\S+/)", mailoutbox[0].body)
    path = link.group(1)
    page = client.get(path)
    assert page.status_code == 200 and "Confirm my request" in page.content.decode()
    req.refresh_from_db()
    assert req.state == "unverified"
    done = client.post(path)
    assert done.status_code == 200 and "confirmed" in done.content.decode()
    req.refresh_from_db()
    assert req.state == "processing"  # an access request goes to the worker at once
    assert client.post(path).status_code == 200  # a second click changes nothing
    with override_settings(RIGHTS_VERIFY_SECONDS=-1):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("token", ["x", "a" * 500, "eyJyIjoxfQ:1abc:sig", "%00", "1:2:3:4"])
def test_bad_tokens_are_a_page_not_a_500(client, db, token):
    assert client.get(f"/privacy/request/verify/{token}/").status_code == 404
    assert client.post(f"/privacy/request/verify/{token}/").status_code == 404
    assert client.get(f"/privacy/request/package/{token}/").status_code == 404


def test_a_token_for_another_address_does_not_verify(client, db):
    req = services.create(kind="access", channel="web", actor="x:1", email="a@example.nl")
    forged = signing.dumps(
        {"r": req.pk, "e": services.value_ref("b@example.nl")}, salt=services.VERIFY_SALT
    )
    assert client.post(f"/privacy/request/verify/{forged}/").status_code == 404
    req.refresh_from_db()
    assert req.state == "unverified"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "everything", "email": "jan@example.nl"},
        {"kind": "access", "email": "not an address"},
        {"kind": "access", "email": "jan@example.nl\r\nBcc: x@example.org"},
        {"kind": "access", "email": "a" * 300 + "@example.nl"},
        {"kind": "access", "email": "jan@example.nl", "message": "x" * 6000},
    ],
)
def test_bad_input_is_a_400_with_the_form(client, db, data, mailoutbox):
    response = client.post("/privacy/request/", data)
    assert response.status_code == 400
    assert Request.objects.count() == 0 and mailoutbox == []


def test_rate_limit_per_client_and_per_address(client, db, settings, mailoutbox):
    settings.RIGHTS_FORM_LIMIT = 2
    assert _send(client, "a@example.nl").status_code == 302
    assert _send(client, "b@example.nl").status_code == 302
    limited = _send(client, "c@example.nl")
    assert limited.status_code == 429
    assert Request.objects.count() == 2 and len(mailoutbox) == 2


def test_methods_other_than_get_and_post_are_refused(client, db):
    assert client.put("/privacy/request/").status_code == 405
    # repeated fields: Django takes the last value, one request, no error
    twice = {"kind": ["access", "erasure"], "email": ["a@example.nl", "b@example.nl"]}
    assert client.post("/privacy/request/", twice).status_code == 302
    assert Request.objects.get().email == "b@example.nl"
