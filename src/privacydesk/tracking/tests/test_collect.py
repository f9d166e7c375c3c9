"""The tracking endpoint: stored only with the server's consent, never a 500 (P1, P7)."""

import json
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from privacydesk.audit.models import AuditEntry
from privacydesk.policy import plans
from privacydesk.policy import services as policy
from privacydesk.spine.registry import Subject
from privacydesk.tracking import services
from privacydesk.tracking.models import Event, Visitor
from privacydesk.tracking.tests.conftest import UA


@pytest.fixture
def send(client):
    def post(body, *, content_type="text/plain;charset=UTF-8", headers=None, **extra):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return client.post(
            "/t/", raw, content_type=content_type, headers={"User-Agent": UA, **(headers or {})},
            **extra,
        )  # fmt: skip

    return post


@pytest.fixture
def consenting(decide):
    return decide("accept_all").json()["id"]


def pageview(cid, url="https://www.example.nl/diensten/", **more):
    return {"c": cid, "t": "pageview", "u": url, **more}


def test_events_with_tracking_consent_are_stored(send, consenting):
    assert send(pageview(consenting)).status_code == 202
    assert (
        send(
            {
                "c": consenting,
                "t": "click",
                "u": "https://www.example.nl/",
                "x": "https://www.example.nl/contact/",
            }
        ).status_code
        == 202
    )
    assert (
        send(
            {
                "c": consenting,
                "t": "download",
                "u": "https://www.example.nl/",
                "x": "https://www.example.nl/checklist.pdf",
            }
        ).status_code
        == 202
    )
    assert (
        send({"c": consenting, "t": "leave", "u": "https://www.example.nl/", "d": 5400}).status_code
        == 202
    )
    kinds = sorted(Event.objects.values_list("kind", flat=True))
    assert kinds == ["click", "download", "leave", "pageview"]
    event = Event.objects.get(kind="leave")
    assert event.duration_ms == 5400 and event.ip_address == "127.0.0.0"
    assert event.site == "www.example.nl"
    assert Visitor.objects.get().id == uuid.UUID(consenting)


@pytest.mark.parametrize("action", ["reject_all", "save"])
def test_nothing_without_tracking_consent(send, decide, action):
    cid = decide(action, analytics=True).json()["id"]
    assert send(pageview(cid)).status_code == 204
    assert not Event.objects.exists() and not Visitor.objects.exists()


def test_forged_unknown_and_withdrawn_ids_store_nothing(send, decide, consenting):
    assert send(pageview(str(uuid.uuid4()))).status_code == 204
    assert send(pageview("not-a-uuid")).status_code == 204
    assert send(pageview(None)).status_code == 204
    send(pageview(consenting))
    assert Event.objects.count() == 1
    decide("reject_all", id=consenting)
    # The withdrawal erased what was stored, at once, and the next event is dropped.
    assert not Event.objects.exists() and not Visitor.objects.exists()
    assert AuditEntry.objects.filter(action="tracking.erased_on_withdrawal").count() == 1
    assert send(pageview(consenting)).status_code == 204
    assert not Event.objects.exists()


def test_gpc_bots_and_no_user_agent_are_ignored(send, consenting):
    assert send(pageview(consenting), headers={"Sec-GPC": "1"}).status_code == 204
    for agent in ["Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.5.0",
                  "python-requests/2.32", "Mozilla/5.0 (compatible; bingbot/2.0)", ""]:  # fmt: skip
        assert send(pageview(consenting), headers={"User-Agent": agent}).status_code == 204
    assert not Event.objects.exists()


def test_personal_data_is_stripped_from_urls():
    url = "https://www.example.nl/a?email=piet%40example.nl&utm_source=mail#x"
    assert services.clean_url(url) == ("www.example.nl", "/a?utm_source=mail")
    assert services.clean_url("https://www.example.nl/?tel=%2B31%206%2012345678&q=router") == (
        "www.example.nl", "/?q=router",
    )  # fmt: skip
    assert services.clean_url("https://www.example.nl/u/piet@example.nl/") == (
        "www.example.nl", "/[removed]",
    )  # fmt: skip
    assert services.clean_url("https://user:pw@www.example.nl:8443/x") == (
        "www.example.nl:8443",
        "/x",
    )
    for bad in ["javascript:alert(1)", "ftp://x/", "/relative", "http://[::1", 5, None, "x" * 3000]:
        assert services.clean_url(bad) is None


def test_stored_urls_hold_no_personal_data(send, consenting):
    send(pageview(consenting, "https://www.example.nl/bedankt?email=piet@example.nl&plan=b"))
    send({"c": consenting, "t": "click", "u": "https://www.example.nl/",
          "x": "mailto:piet@example.nl"})  # fmt: skip
    assert list(Event.objects.values_list("path", flat=True)) == ["/bedankt?plan=b"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"x" * 100_000, "text/plain", 413),
        (b"{}", "multipart/form-data; boundary=x", 415),
        (b"{}", "application/x-www-form-urlencoded", 415),
        (b'{"c": "\xff\xfe"}', "text/plain", 400),
        (b"\xc3\x28", "text/plain", 400),
        (b"null", "text/plain", 400),
        (b'"pageview"', "application/json", 400),
        (b"{not json", "text/plain", 400),
        (b"{}", "text/plain", 204),
        (b'{"c": [], "t": {}, "u": 1}', "text/plain", 204),
        # Lone surrogates: plain ASCII bytes, valid JSON, text no database can store.
        (b'{"t": "pageview", "u": "https://x.nl/?q=\\ud800"}', "text/plain", 400),
        (b'{"t": "pageview", "u": "https://x.nl/\\udfff"}', "application/json", 400),
        (b'{"t": "pageview", "u": "https://x.nl/", "r": "\\ud800"}', "text/plain", 400),
        (b'{"t": "pageview", "u": "https://x.nl/", "\\udc80": 1}', "text/plain", 400),
    ],
)
def test_bad_input_is_4xx_or_silent(send, consenting, body, content_type, status):
    body = body.replace(b'{"t"', f'{{"c": "{consenting}", "t"'.encode(), 1)
    assert send(body, content_type=content_type).status_code == status
    assert not Event.objects.exists()


def test_an_escaped_surrogate_pair_is_text_like_any_other(send, consenting):
    body = f'{{"c": "{consenting}", "t": "pageview", "u": "https://x.nl/?q=\\ud83d\\ude00"}}'
    assert send(body.encode()).status_code == 202
    assert Event.objects.get().path == "/?q=%F0%9F%98%80"


def test_bad_events_are_dropped(send, consenting):
    for event in [
        {"c": consenting, "t": "purchase", "u": "https://www.example.nl/"},
        {"c": consenting, "t": "leave", "u": "https://www.example.nl/", "d": -1},
        {"c": consenting, "t": "leave", "u": "https://www.example.nl/", "d": "12"},
        {"c": consenting, "t": "leave", "u": "https://www.example.nl/", "d": True},
        {"c": consenting, "t": "click", "u": "https://www.example.nl/"},
        {"c": consenting, "t": "pageview", "u": "https://www.example.nl/" + "a" * 2100},
    ]:
        assert send(event).status_code == 204, event
    assert (
        send(
            {"c": consenting, "t": "leave", "u": "https://www.example.nl/", "d": 10**12}
        ).status_code
        == 202
    )
    assert Event.objects.get().duration_ms == services.MAX_DURATION_MS


def test_a_flood_is_refused(send, consenting, settings, decide):
    settings.TRACKING_VISITOR_PER_MINUTE = 5
    services._per_visitor.counts.clear()
    statuses = [send(pageview(consenting)).status_code for _ in range(8)]
    assert statuses == [202] * 5 + [429] * 3
    settings.TRACKING_ADDRESS_PER_MINUTE = 3
    services._per_address.counts.clear()
    other = decide("accept_all").json()["id"]
    statuses = [send(pageview(other), REMOTE_ADDR="198.51.100.9").status_code for _ in range(5)]
    assert statuses == [202] * 3 + [429] * 2
    assert Event.objects.count() == 8
    services._per_address.counts.clear()
    services._per_visitor.counts.clear()


def test_other_origins_are_refused(send, consenting):
    assert send(pageview(consenting), headers={"Origin": "https://evil.example"}).status_code == 403
    ok = send(pageview(consenting), headers={"Origin": "https://www.example.nl"})
    assert ok.status_code == 202 and ok["Access-Control-Allow-Origin"] == "https://www.example.nl"
    assert Event.objects.count() == 1


def test_queued_events_are_written_and_checked_again(send, consenting, decide, settings):
    settings.TRACKING_FLUSH_MS = 60_000  # the thread waits; the test writes
    services._queue.take()
    assert send(pageview(consenting)).status_code == 202
    assert not Event.objects.exists()
    assert services.flush() == 1
    other = decide("accept_all").json()["id"]
    send(pageview(other))
    send(pageview(consenting))
    decide("reject_all", id=other)  # withdrawn before its queued event was written
    assert services.flush() == 1
    assert set(Event.objects.values_list("visitor_id", flat=True)) == {uuid.UUID(consenting)}


@pytest.mark.parametrize(
    "bad",
    [
        {"u": "https://www.example.nl/?q=\ud800"},
        {"u": "https://www.example.nl/\ud800"},
        {"t": "click", "x": "https://www.example.nl/\udfff"},
    ],
)
def test_a_lone_surrogate_never_costs_others_their_events(consenting, decide, settings, bad):
    """What reaches ``accept`` without the endpoint's check (another caller) is dropped, in
    the request and in the queue."""
    other = decide("accept_all").json()["id"]
    for flush_ms in (0, 60_000):
        settings.TRACKING_FLUSH_MS = flush_ms
        services._queue.take()
        ok = services.accept(pageview(other), user_agent=UA, gpc=False, ip_address="192.0.2.1")
        status = services.accept(
            {**pageview(consenting), **bad}, user_agent=UA, gpc=False, ip_address="192.0.2.1"
        )
        assert (ok, status) == (202, 204)
        services.flush()
    assert list(Event.objects.values_list("visitor_id", flat=True)) == [uuid.UUID(other)] * 2


def test_an_event_the_database_refuses_does_not_lose_the_batch(consenting, decide, settings):
    settings.TRACKING_FLUSH_MS = 60_000
    services._queue.take()
    other = decide("accept_all").json()["id"]
    good = services.parse(pageview(other), ip_address="192.0.2.1", now=timezone.now())
    bad = services.Incoming(**{**good.__dict__, "visitor": uuid.UUID(consenting),
                               "path": "/\ud800"})  # fmt: skip
    for event in (good, bad, good):
        services._queue.items.append(event)
    assert services.flush() == 2
    assert Event.objects.filter(visitor_id=other).count() == 2


def test_no_cookie_is_set_by_the_endpoints(send, consenting, client):
    response = send(pageview(consenting))
    assert not response.cookies


def test_access_and_erasure_by_consent_id(send, consenting, decide):
    send(pageview(consenting))
    subject = Subject("visitor_id", consenting)
    exported = plans.run("export", [subject], key="test-export", actor="system:test").results
    assert exported["tracking.Event"][0]["path"] == "/diensten/"
    assert exported["consent.ConsentRecord"][0]["consent_id"] == consenting
    plans.run("erase", [subject], key="test-erase", actor="system:test")
    assert not Event.objects.exists() and not Visitor.objects.exists()
    from privacydesk.consent.models import ConsentRecord

    assert not ConsentRecord.objects.exists()
    assert AuditEntry.objects.filter(action="consent.erased").exists()


def test_retention_sweep(send, consenting, decide):
    from privacydesk.consent.models import ConsentRecord

    send(pageview(consenting))
    replaced = decide("accept_all").json()["id"]
    decide("reject_all", id=replaced)
    now = timezone.now()
    assert policy.sweep_retention(now=now + timedelta(days=300)).get("tracking.Event", 0) == 0
    counts = policy.sweep_retention(now=now + timedelta(days=367))
    assert counts["tracking.Event"] == 1 and not Visitor.objects.exists()
    # Proof of consent stays two years after the consent ended.
    assert ConsentRecord.objects.count() == 3
    policy.sweep_retention(now=now + timedelta(days=2 * 365 + 10))
    # The replaced decision ended at once: two years later it goes; the newest two are kept
    # until two years after their 12 months of validity.
    assert ConsentRecord.objects.count() == 2
    policy.sweep_retention(now=now + timedelta(days=3 * 365 + 10))
    assert not ConsentRecord.objects.exists()


def test_stats_command(send, consenting, decide):
    send(pageview(consenting))
    send({"c": consenting, "t": "leave", "u": "https://www.example.nl/", "d": 100})
    decide("reject_all")
    out = StringIO()
    call_command("tracking", "stats", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["events"] == {"pageview": 1, "click": 0, "download": 0, "leave": 1}
    assert figures["consent"]["accept_all"] == 1 and figures["consent"]["reject_all"] == 1
    out = StringIO()
    call_command("tracking", "stats", stdout=out)
    assert "pageview" in out.getvalue()


def test_an_answer_reused_by_a_process_never_stores_after_a_withdrawal(
    send, consenting, decide, settings
):
    """Another web process records the withdrawal: this one may accept for a moment from its
    cache, but the batch is checked against the records before anything is written."""
    from privacydesk.consent.services import decided

    settings.TRACKING_CONSENT_CACHE_MS = 60_000
    settings.TRACKING_FLUSH_MS = 60_000
    services._queue.take()
    assert send(pageview(consenting)).status_code == 202
    assert services.flush() == 1
    decided.disconnect(dispatch_uid="tracking.on_decision")  # as if in another process
    try:
        decide("reject_all", id=consenting)
    finally:
        decided.connect(services.on_decision, dispatch_uid="tracking.on_decision")
    assert send(pageview(consenting)).status_code == 202  # this process's answer, reused
    assert services.flush() == 0
    assert Event.objects.count() == 1  # only the one from before the withdrawal
    decide("reject_all", id=consenting)  # through this process: forgotten at once
    assert send(pageview(consenting)).status_code == 204
    assert not Event.objects.exists()


def test_the_demo_visits_pages_that_exist(client, db):
    from privacydesk.tracking import demo

    demo.load(console=None)
    visited = set(Event.objects.values_list("path", flat=True))
    assert visited >= set(demo.VISITOR_PAGES) and visited <= set(demo.PAGES)
    for path in sorted(visited):
        assert client.get(path).status_code == 200, path


def test_demo_records_load_once(db):
    from privacydesk.tracking import demo

    assert demo.load(console=None)[0] == (
        "Cookie consent: 3 demo decisions, 4 page views of the visitor who accepted"
    )
    assert demo.load(console=None) == []
    assert Event.objects.filter(site=demo.DEMO_SITE.removeprefix("https://")).count() == 4
