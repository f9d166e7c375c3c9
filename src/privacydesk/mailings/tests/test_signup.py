"""Double opt-in at /newsletter/ (issue 10 item 3): proof, no enumeration, rate limit, bad input."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.test import Client

from privacydesk.audit.models import AuditEntry
from privacydesk.mailings import services
from privacydesk.mailings.models import ConsentProof, Subscription

LINK = re.compile(r"https://www\.example\.nl/(?:en/)?newsletter/nieuwsbrief/confirm/[^/\s]+/")


def post(client, data, path="/newsletter/", **extra):
    return client.post(path, data, **{"REMOTE_ADDR": "203.0.113.45", **extra})


def confirmation_link(smtp, address) -> str:
    [message] = smtp.messages_to(address)
    return LINK.search(message.part("plain")).group(0)


@pytest.mark.parametrize(("path", "heading"), [("/newsletter/", "Nieuwsbrief"),
                                               ("/en/newsletter/", "Newsletter")])  # fmt: skip
def test_the_form_shows_its_consent_text_in_the_page_language(client, newsletter, path, heading):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert 'name="email"' in html and 'name="name"' in html
    assert response.context["text"] in html


def test_signup_mails_a_link_and_confirming_stores_the_proof(client, smtp, newsletter):
    response = post(client, {"email": "Anna@Example.NL", "name": "Anna de Vries"})
    assert response.status_code == 302 and response["Location"] == "/newsletter/sent/"
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.state) == ("anna@example.nl", "pending")
    link = confirmation_link(smtp, "anna@example.nl")
    assert str(smtp.messages[0].email["From"]) == "coMPjoeter <verkoop@compjoeter.nl>"

    # A GET (a mail scanner following the link) shows a button and confirms nothing.
    path = link.removeprefix("https://www.example.nl")
    assert client.get(path).status_code == 200
    assert Subscription.objects.get().state == "pending"
    response = client.post(path, REMOTE_ADDR="2001:db8:abcd:12::1")
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.state == "confirmed" and subscription.confirmed_at
    proof = ConsentProof.objects.get()
    assert proof.form_url == "http://testserver/newsletter/"
    assert proof.text_shown.startswith("Ja, stuur mij Nieuwsbrief van coMPjoeter per e-mail.")
    assert proof.text_sha256 == services.text_sha256(proof.text_shown)
    assert proof.text_version and proof.policy_version >= 1
    assert proof.ip_truncated == "203.0.113.0"
    assert proof.confirm_ip_truncated == "2001:db8:abcd::"
    assert proof.language == "nl" and proof.confirmed_at
    assert AuditEntry.objects.filter(action="mailings.confirmed").count() == 1
    # Confirming twice is harmless.
    assert client.post(path).status_code == 200


def test_the_english_form_mails_an_english_link(client, smtp, newsletter):
    post(client, {"email": "bob@example.nl"}, path="/en/newsletter/")
    link = confirmation_link(smtp, "bob@example.nl")
    assert "/en/newsletter/" in link
    assert "Confirm your subscription" in str(smtp.messages[0].email["Subject"])


def test_the_answer_is_the_same_for_new_known_and_suppressed_addresses(
    client, smtp, newsletter, subscribe
):
    subscribe("known@example.nl")
    services.suppress("gone@example.nl", reason="objected", actor="system:test")
    smtp.reset()
    answers = [
        post(client, {"email": address})
        for address in ("new@example.nl", "known@example.nl", "gone@example.nl")
    ]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, "/newsletter/sent/")}
    assert smtp.recipients() == ["new@example.nl"]  # nothing for the known or suppressed one
    assert not Subscription.objects.filter(email="gone@example.nl").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "a" * 290 + "@example.nl"}, "email", "254"),
        ({"email": "geen-adres"}, "email", "geldig e-mailadres"),
        ({"email": ""}, "email", "verplicht"),
        ({"email": "x@example.nl", "name": "Eve\r\nBcc: victim@example.nl"}, "name", "regeleinden"),
        ({"email": "x@example.nl", "name": "<script>alert(1)</script>"}, "name", "< of >"),
        ({"email": "x@example.nl\r\nBcc: y@example.nl"}, "email", "e-mailadres"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_kept(
    client, smtp, newsletter, data, field, message
):
    response = post(client, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert "<script>alert" not in response.content.decode()
    assert not Subscription.objects.exists() and not ConsentProof.objects.exists()
    assert smtp.messages == []


def test_invalid_utf8_is_a_clear_400(client, smtp, newsletter):
    response = client.post(
        "/newsletter/",
        b"email=x%40example.nl&name=%FF%FEabc",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not Subscription.objects.exists()


def test_signups_are_rate_limited_per_address_and_per_network(client, smtp, newsletter, settings):
    settings.MAILINGS_SIGNUP_LIMIT_PER_ADDRESS = 2
    settings.MAILINGS_SIGNUP_LIMIT_PER_IP = 4
    codes = [post(client, {"email": "same@example.nl"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    codes = [post(client, {"email": f"n{n}@example.nl"}).status_code for n in range(3)]
    assert codes == [302, 429, 429]  # 4 attempts from this /24 network (refused ones too)
    other = post(client, {"email": "n9@example.nl"}, REMOTE_ADDR="198.51.100.1")
    assert other.status_code == 302  # a different network is not affected
    assert len(smtp.recipients()) == 4


def test_an_expired_link_and_a_link_for_another_list_do_not_work(client, smtp, newsletter):
    from privacydesk.mailings.models import MailingList

    MailingList.objects.create(slug="acties", title_nl="Acties", title_en="Offers")
    post(client, {"email": "late@example.nl"})
    path = confirmation_link(smtp, "late@example.nl").removeprefix("https://www.example.nl")
    other = path.replace("/nieuwsbrief/", "/acties/")
    assert client.get(other).status_code == 400
    assert client.post(other).status_code == 400
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert client.post(tampered).status_code == 400
    assert client.post("/newsletter/nieuwsbrief/confirm/%FF%00/").status_code in (400, 404)
    later = signing.time.time() + timedelta(hours=73).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.post(path)
    assert response.status_code == 410
    assert "verlopen" in response.content.decode()
    assert Subscription.objects.get().state == "pending"


def test_a_second_signup_replaces_the_first_link(client, smtp, newsletter):
    post(client, {"email": "twice@example.nl"})
    first = confirmation_link(smtp, "twice@example.nl").removeprefix("https://www.example.nl")
    smtp.reset()
    post(client, {"email": "twice@example.nl"})
    second = confirmation_link(smtp, "twice@example.nl").removeprefix("https://www.example.nl")
    assert client.post(first).status_code == 400
    assert client.post(second).status_code == 200


def test_unconfirmed_signups_are_deleted_once_the_link_expired(newsletter, smtp, client):
    from django.utils import timezone

    post(client, {"email": "typo@example.nl"})
    assert services.expire_pending() == 0
    assert services.expire_pending(timezone.now() + timedelta(hours=97)) == 1
    assert not Subscription.objects.exists() and not ConsentProof.objects.exists()


def test_no_list_no_500(client, db):
    assert client.get("/newsletter/").status_code == 404
    assert post(Client(), {"email": "a@example.nl"}).status_code == 404


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("203.0.113.45", "203.0.113.0"),
        ("::ffff:203.0.113.45", "203.0.113.0"),
        ("2001:db8:abcd:12:3456::1", "2001:db8:abcd::"),
        ("fe80::1%eth0", "fe80::"),
        ("not an address", ""),
        (None, ""),
    ],
)
def test_ip_addresses_are_kept_truncated(address, kept):
    from privacydesk.redaction import truncate_ip

    assert truncate_ip(address) == kept
