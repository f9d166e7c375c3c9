"""P7 on the promise board: no tracking event stored without a consent that allowed it."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from privacydesk.consent import services as consent
from privacydesk.tracking import promises
from privacydesk.tracking.models import Event, Visitor
from privacydesk.tracking.tests.conftest import UA


@pytest.fixture(autouse=True)
def _evidence_in_english():
    """The evidence is compared in English (the CLI's language; the board shows Dutch too)."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


def _decide(action: str, *, at, consent_id=None):
    decision = consent.Decision(
        action=action,
        analytics=False,
        tracking=False,
        version=consent.banner_version(),
        language="nl",
        gpc=False,
        consent_id=consent_id,
    )
    return consent.decide(decision, user_agent=UA, ip_address="192.0.2.7", origin="", now=at)


def _event(visitor_id, at) -> Event:
    Visitor.objects.get_or_create(id=visitor_id, defaults={"first_seen": at, "last_seen": at})
    return Event.objects.create(visitor_id=visitor_id, at=at, kind="pageview", site="x", path="/")


def test_events_taken_in_with_consent_keep_p7(client, decide):
    cid = decide("accept_all").json()["id"]
    for path in ("/", "/diensten/"):
        body = {"c": cid, "t": "pageview", "u": f"https://www.example.nl{path}"}
        sent = client.post(
            "/t/", json.dumps(body), content_type="text/plain", headers={"User-Agent": UA}
        )
        assert sent.status_code == 202
    finding = promises.no_event_without_consent()
    assert finding.ok, finding.evidence
    with translation.override("en"):  # the requests above left Dutch active
        assert "2 tracking events" in str(finding.evidence)


def test_an_event_outside_an_allowing_consent_turns_p7_red():
    now = timezone.now()
    accepted = _decide("accept_all", at=now - timedelta(days=30))
    cid = accepted.consent_id
    fine = _event(cid, now - timedelta(days=20))
    assert promises.no_event_without_consent().ok
    # before any decision of the visitor
    early = _event(cid, now - timedelta(days=40))
    finding = promises.no_event_without_consent()
    assert not finding.ok and str(early.pk) in str(finding.evidence)
    Event.objects.filter(pk=early.pk).delete()
    # under a refusal: rejected, later accepted again; an event from the refused days
    other = _decide("reject_all", at=now - timedelta(days=10)).consent_id
    _decide("accept_all", at=now - timedelta(days=2), consent_id=other)
    refused = _event(other, now - timedelta(days=5))
    _event(other, now - timedelta(days=1))  # after the new consent: fine
    finding = promises.no_event_without_consent()
    assert not finding.ok
    assert str(refused.pk) in str(finding.evidence) and str(fine.pk) not in str(finding.evidence)


def test_an_event_after_the_consent_expired_turns_p7_red():
    now = timezone.now()
    cid = _decide("accept_all", at=now - timedelta(days=400)).consent_id
    _event(cid, now - timedelta(days=380))
    assert promises.no_event_without_consent().ok
    late = _event(cid, now - timedelta(days=10))  # 390 days after a 12-month consent
    finding = promises.no_event_without_consent()
    assert not finding.ok and str(late.pk) in str(finding.evidence)


def test_events_kept_after_a_withdrawal_turn_p7_red():
    now = timezone.now()
    cid = _decide("accept_all", at=now - timedelta(days=3)).consent_id
    _event(cid, now - timedelta(days=2))
    _decide("reject_all", at=now - timedelta(days=1), consent_id=cid)  # erases the events
    assert Event.objects.count() == 0
    assert promises.no_event_without_consent().ok
    _event(cid, now - timedelta(days=2))  # written behind the withdrawal's back
    finding = promises.no_event_without_consent()
    assert not finding.ok
    assert "1 visitors keep events after withdrawing consent" in str(finding.evidence)


def test_many_visitors_are_merged_with_their_own_records():
    """Visitors with and without records, in every order of their ids: each event is judged
    by its own visitor's records only."""
    now = timezone.now()
    bad = []
    for n in range(30):
        if n % 3 == 0:  # consent, events under it
            cid = _decide("accept_all", at=now - timedelta(days=10)).consent_id
            _event(cid, now - timedelta(days=5))
        elif n % 3 == 1:  # a refusal only, and an event written behind its back
            cid = _decide("reject_all", at=now - timedelta(days=10)).consent_id
            bad.append(_event(cid, now - timedelta(days=5)).pk)
        else:  # no record at all (the id never came from the banner)
            bad.append(_event(uuid.uuid4(), now - timedelta(days=5)).pk)
            _decide("accept_all", at=now - timedelta(days=3))  # someone else's record
    outcome = promises.check_events()
    assert outcome.checked == 30
    assert outcome.bad == sorted(bad)
    assert outcome.kept_after_withdrawal == 10
