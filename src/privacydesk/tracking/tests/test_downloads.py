"""Gated downloads with progressive profiling (P7): only with tracking consent on the server's
record does a form remember, and then it asks only what is new; never a 500 on bad input."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from privacydesk.audit.models import AuditEntry
from privacydesk.consent import services as consent
from privacydesk.mailings.models import ConsentProof, MailingList, Subscription
from privacydesk.policy import plans
from privacydesk.policy import services as policy
from privacydesk.spine.registry import Subject
from privacydesk.tracking import demo, downloads
from privacydesk.tracking.models import Delivery, Download, Profile, Visitor
from privacydesk.tracking.tests.conftest import UA

ANSWERS = {"name": "Piet de Vries", "email": "Piet@Example.nl", "company": "Bakkerij Piet"}


@pytest.fixture(autouse=True)
def _no_flood_left():
    downloads._per_address.counts.clear()
    yield
    downloads._per_address.counts.clear()


@pytest.fixture
def two(db):
    """The demo's two downloads: (checklist: name, email, company; whitepaper: email, phone,
    function)."""
    demo._gated_downloads()
    first, second = sorted(Download.objects.all(), key=lambda d: d.pk)
    return first, second


@pytest.fixture
def newsletter(db, settings):
    return MailingList.objects.create(
        slug=settings.MAILINGS_PUBLIC_LIST,
        title_nl="Nieuwsbrief",
        title_en="Newsletter",
        sender="coMPjoeter",
    )


def consent_cookie(client, decide, action="accept_all", **more) -> str:
    """Decide as the banner does and keep its cookie, as the banner would."""
    receipt = decide(action, **more).json()
    flags = f"{int(receipt['analytics'])}{int(receipt['tracking'])}"
    client.cookies["pd_consent"] = f"{receipt['id']}.{flags}.{receipt['version'][:16]}.1"
    return receipt["id"]


def asked(response) -> list[str]:
    html = response.content.decode()
    form = html[html.index('id="download-form"') :]
    return [n for n in re.findall(r'name="([a-z_]+)"', form) if n != "csrfmiddlewaretoken"]


def post(client, download, data, *, lang="nl", **extra):
    prefix = "/en" if lang == "en" else ""
    url = f"{prefix}/downloads/{download.slug}/"
    return client.post(url, data, headers={"User-Agent": UA}, **extra)


# -- the pages ---------------------------------------------------------------------------------
def test_the_list_in_both_languages(client, two):
    _first, second = two
    Download.objects.filter(pk=second.pk).update(published=False)
    nl = client.get("/downloads/").content.decode()
    assert "Checklist: een back-up die werkt" in nl and "veilig thuiswerken" not in nl
    en = client.get("/en/downloads/").content.decode()
    assert "Checklist: a backup that works" in en and 'lang="en"' in en
    assert client.get(f"/downloads/{second.slug}/").status_code == 404
    assert client.get("/downloads/no-such-thing/").status_code == 404
    assert client.get("/downloads/" + "a" * 300 + "/").status_code == 404


def test_without_consent_the_whole_form_every_time_and_nothing_kept(client, two, decide):
    first, second = two
    assert asked(client.get(f"/downloads/{first.slug}/")) == ["name", "email", "company"]
    response = post(client, first, ANSWERS)
    assert response.status_code == 302 and "/ready/" in response["Location"]
    assert asked(client.get(f"/downloads/{second.slug}/")) == ["email", "phone", "function"]
    assert asked(client.get(f"/downloads/{first.slug}/")) == ["name", "email", "company"]
    # Refused tracking (analytics only): the same.
    consent_cookie(client, decide, "save", analytics=True)
    post(client, first, ANSWERS)
    assert asked(client.get(f"/downloads/{first.slug}/")) == ["name", "email", "company"]
    assert not Profile.objects.exists() and not Visitor.objects.exists()
    assert Delivery.objects.count() == 2
    assert not Delivery.objects.filter(profile__isnull=False).exists()
    page = client.get(f"/downloads/{first.slug}/").content.decode()
    assert 'id="download-forget"' not in page
    assert "bewaren wij uw antwoorden niet" in page


def test_a_consenting_visitor_is_asked_only_what_is_new(client, two, decide):
    first, second = two
    cid = consent_cookie(client, decide)
    assert asked(client.get(f"/downloads/{first.slug}/")) == ["name", "email", "company"]
    assert post(client, first, ANSWERS).status_code == 302
    profile = Profile.objects.get(visitor_id=cid)
    assert (profile.name, profile.email, profile.company) == (
        "Piet de Vries",
        "piet@example.nl",
        "Bakkerij Piet",
    )
    page = client.get(f"/downloads/{second.slug}/")
    assert asked(page) == ["phone", "function"]
    text = page.content.decode()
    assert "Niet u?" in text and "Welkom terug, Piet de Vries" in text
    assert "piet@example.nl" not in text  # the page does not show what it knows
    assert (
        post(client, second, {"phone": "+31 6 12345678", "function": "Eigenaar"}).status_code == 302
    )
    profile.refresh_from_db()
    assert (profile.phone, profile.function) == ("+31 6 12345678", "Eigenaar")
    assert asked(client.get(f"/downloads/{first.slug}/")) == []  # everything known: a button
    assert post(client, first, {}).status_code == 302
    assert Delivery.objects.filter(profile=profile).count() == 3
    assert AuditEntry.objects.filter(action="tracking.profile_answered").count() == 3
    assert asked(client.get(f"/en/downloads/{second.slug}/")) == []


def test_not_you_starts_a_new_profile(client, two, decide):
    first, second = two
    cid = consent_cookie(client, decide)
    post(client, first, ANSWERS)
    old = Profile.objects.get()
    response = client.post(f"/downloads/{second.slug}/forget/")
    assert response.status_code == 302
    assert not Profile.objects.exists()
    assert Delivery.objects.get().profile is None  # the download stays, naming no one
    assert AuditEntry.objects.filter(action="tracking.profile_reset").count() == 1
    assert asked(client.get(f"/downloads/{second.slug}/")) == ["email", "phone", "function"]
    post(client, second, {"email": "jan@example.nl", "phone": "0612345678", "function": "IT"})
    new = Profile.objects.get(visitor_id=cid)
    assert new.pk != old.pk and new.name == "" and new.email == "jan@example.nl"
    assert client.get(f"/downloads/{second.slug}/forget/").status_code == 405
    # Without a profile (or a cookie) there is nothing to forget: the same answer.
    client.cookies.pop("pd_consent")
    assert client.post(f"/downloads/{second.slug}/forget/").status_code == 302


def test_withdrawing_tracking_erases_the_profile(client, two, decide):
    first, _second = two
    cid = consent_cookie(client, decide)
    post(client, first, ANSWERS)
    assert Profile.objects.exists()
    decide("reject_all", id=cid)
    assert not Profile.objects.exists() and not Visitor.objects.exists()
    assert Delivery.objects.get().profile is None
    client.cookies["pd_consent"] = f"{cid}.00.x.1"
    assert asked(client.get(f"/downloads/{first.slug}/")) == ["name", "email", "company"]


@pytest.mark.parametrize(
    "cookie",
    [
        lambda: f"{uuid.uuid4()}.11.abc.1",  # an id we never issued
        lambda: "not-a-uuid.11.abc.1",
        lambda: "\u00e9\u00e9\u00e9",
        lambda: "",
        lambda: "x" * 4000,
    ],
)
def test_a_forged_consent_cookie_keeps_nothing(client, two, cookie):
    first, _second = two
    client.cookies["pd_consent"] = cookie()
    assert asked(client.get(f"/downloads/{first.slug}/")) == ["name", "email", "company"]
    assert post(client, first, ANSWERS).status_code == 302
    assert not Profile.objects.exists() and not Visitor.objects.exists()


def test_global_privacy_control_keeps_nothing(client, two, decide):
    first, _second = two
    consent_cookie(client, decide)
    assert post(client, first, ANSWERS, HTTP_SEC_GPC="1").status_code == 302
    assert not Profile.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "a" * 290 + "@example.nl", "Longer than 254"),
        ("email", "piet@example.nl\r\nBcc: x@example.nl", "valid e-mail"),
        ("email", "not an address", "valid e-mail"),
        ("name", "Piet\r\nBcc: x@example.nl", "line break"),
        ("name", "x" * 201, "Longer than 200"),
        ("company", "<script>alert(1)</script>", "&lt; or &gt;"),
        ("company", "Bakkerij\u202ePiet", "control character"),
        ("name", "   ", "required"),
    ],
)
def test_bad_answers_are_refused_with_a_message(client, two, decide, field, value, message):
    first, _second = two
    consent_cookie(client, decide)
    response = post(client, first, {**ANSWERS, field: value}, lang="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Delivery.objects.exists() and not Profile.objects.exists()


def test_bad_requests_are_4xx(client, two):
    first, _second = two
    url = f"/en/downloads/{first.slug}/"
    raw = client.post(
        url,
        b"name=%FF%FE&email=a%40b.nl&company=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert raw.status_code == 400 and "could not be read" in raw.content.decode()
    surrogate = client.post(  # UTF-8 of a lone surrogate: Django reads it as U+FFFD
        url,
        b"name=%ED%A0%80&email=a%40b.nl&company=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert surrogate.status_code == 400 and "could not be read" in surrogate.content.decode()
    huge = client.post(url, {"name": "x" * 3_000_000, "email": "a@b.nl", "company": "c"})
    assert huge.status_code == 400
    assert client.put(url).status_code == 405
    assert (
        client.post(url, b"\x00\xff", content_type="multipart/form-data; boundary=x").status_code
        == 400
    )
    assert not Delivery.objects.exists()


def test_a_flood_from_one_address_is_refused(client, two, settings):
    first, _second = two
    settings.DOWNLOADS_PER_MINUTE = 3
    downloads._per_address.counts.clear()
    statuses = [
        post(client, first, ANSWERS, REMOTE_ADDR="198.51.100.7").status_code for _ in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    assert Delivery.objects.count() == 3
    downloads._per_address.counts.clear()


# -- the signed, expiring link -----------------------------------------------------------------
def test_the_file_comes_through_a_signed_link(client, two):
    first, _second = two
    ready = client.get(post(client, first, ANSWERS)["Location"])
    assert ready.status_code == 200
    link = re.search(r'href="(/downloads/file/[^"]+)"', ready.content.decode()).group(1)
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="checklist-back-up.pdf"'
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF")
    token = link.split("/")[3]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/downloads/file/{forged}/x.pdf").status_code == 400
    assert client.get("/downloads/file/1/x.pdf").status_code == 400
    assert client.get(f"/downloads/other/ready/{token}/").status_code in (400, 404)
    Download.objects.filter(pk=first.pk).update(published=False)
    assert client.get(link).status_code == 400


def test_an_expired_link_offers_the_form_again(client, two, monkeypatch, settings):
    first, _second = two
    post(client, first, ANSWERS)
    delivery = Delivery.objects.get()
    past = time.time() - settings.DOWNLOADS_LINK_HOURS * 3600 - 60
    monkeypatch.setattr(signing.time, "time", lambda: past)
    token = downloads.link_token(delivery)
    monkeypatch.undo()
    response = client.get(f"/downloads/file/{token}/checklist-back-up.pdf")
    assert response.status_code == 410
    assert f'href="/downloads/{first.slug}/"' in response.content.decode()
    assert client.get(f"/en/downloads/{first.slug}/ready/{token}/").status_code == 410


# -- the newsletter box ------------------------------------------------------------------------
def test_the_newsletter_box_is_unticked_and_starts_the_double_opt_in(client, two, newsletter):
    first, _second = two
    page = client.get(f"/downloads/{first.slug}/").content.decode()
    box = re.search(r'<input type="checkbox" name="newsletter"[^>]*>', page).group(0)
    assert "checked" not in box
    post(client, first, ANSWERS)
    assert not Subscription.objects.exists()  # a download is not consent to marketing
    ready = client.get(post(client, first, {**ANSWERS, "newsletter": "on"})["Location"])
    assert (
        "confirmation link" in ready.content.decode()
        or "bevestigingslink" in ready.content.decode()
    )
    subscription = Subscription.objects.get()
    assert subscription.state == "pending" and subscription.email == "piet@example.nl"
    proof = ConsentProof.objects.get()
    assert proof.text_shown.startswith("Ja, stuur mij ook")
    assert proof.text_version == downloads.NEWSLETTER_TEXT_VERSION
    assert proof.form_url.endswith(f"/downloads/{first.slug}/")


def test_no_newsletter_box_without_an_address(client, db, newsletter):
    download = downloads.create_download(
        {"title_nl": "Alleen naam", "title_en": "Name only", "questions": ["name"]},
        SimpleUploadedFile("a.pdf", b"%PDF-1.4\n"),
        actor="system:test",
    )
    page = client.get(f"/downloads/{download.slug}/").content.decode()
    assert 'name="newsletter"' not in page
    post(client, download, {"name": "Piet", "newsletter": "on"})
    assert not Subscription.objects.exists()


# -- access, erasure, objection, retention -----------------------------------------------------
def test_the_profile_in_requests_and_retention(client, two, decide):
    first, _second = two
    cid = consent_cookie(client, decide)
    post(client, first, ANSWERS)
    by_email = Subject("email", "PIET@example.nl")
    exported = plans.run("export", [by_email], key="t-export", actor="system:test").results
    assert exported["tracking.Profile"][0]["company"] == "Bakkerij Piet"
    assert exported["tracking.Delivery"][0]["file"] == "checklist-back-up.pdf"
    by_id = plans.run("export", [Subject("visitor_id", cid)], key="t-x2", actor="system:test")
    assert by_id.results["tracking.Profile"][0]["visitor"] == cid
    plans.run("erase", [by_email], key="t-erase", actor="system:test")
    assert not Profile.objects.exists()
    assert Delivery.objects.get().profile is None  # a count that names no one
    # the profile revealed the visitor: found by the address, erased with their consent
    assert not Visitor.objects.filter(pk=cid).exists()
    assert consent.records_of(uuid.UUID(cid)) == []

    consent_cookie(client, decide)  # the banner asks again: a new consent id
    post(client, first, ANSWERS)
    plans.run("object", [by_email], key="t-object", actor="system:test")
    assert not Profile.objects.exists()
    assert AuditEntry.objects.filter(action="tracking.profile_erased_on_objection").exists()

    post(client, first, ANSWERS)
    from datetime import timedelta

    from django.utils import timezone

    later = timezone.now() + timedelta(days=367)
    consent_records = policy.sweep_retention(now=later)
    assert consent_records.get("tracking.Profile") == 1
    assert not Profile.objects.exists()
    assert Delivery.objects.filter(profile__isnull=True).count() == 3


def test_a_withdrawal_racing_a_form_is_seen(client, two, decide):
    """The consent is read again under the consent id's lock when the answers are written."""
    first, _second = two
    cid = consent_cookie(client, decide)
    visitor = downloads.consenting_visitor(client.cookies["pd_consent"].value, gpc=False)
    assert visitor == uuid.UUID(cid)
    decide("reject_all", id=cid)  # withdrawn after the page was shown
    downloads.deliver(first, ANSWERS, visitor=visitor)
    assert not Profile.objects.exists()


# -- demo ------------------------------------------------------------------------------------
def test_demo_loads_two_downloads_with_three_questions_once(db):
    lines = demo.load(console=None)
    assert lines[1].startswith("Gated downloads: ")
    assert lines[2].startswith("Website: ")
    assert [len(d.questions) for d in Download.objects.all()] == [3, 3]
    assert demo.load(console=None) == []
    assert Download.objects.count() == 2
    # Four weeks of decisions: every kind, some with GPC, none of them valid for tracking
    # without the server's record saying so.
    counts = consent.counts_by_kind()
    assert counts["accept_all"] > 20 and counts["reject_all"] > 20 and counts["gpc"] >= 5
    assert Delivery.objects.filter(profile__isnull=False).count() == 0
