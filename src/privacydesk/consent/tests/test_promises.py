"""P7 on the promise board: no cookie beyond the necessary ones without consent."""

from __future__ import annotations

import pytest
from django.utils import translation

from privacydesk.consent import promises
from privacydesk.policy import services as policy
from privacydesk.policy.schema import Cookie, Text


@pytest.fixture(autouse=True)
def _evidence_in_english():
    """The evidence is compared in English (the CLI's language; the board shows Dutch too)."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


def _with_cookie(monkeypatch, *, category: str, activity: str) -> None:
    model = policy.current_model()
    cookie = Cookie(
        name="pd_stats",
        category=category,
        activity=activity,
        purpose=Text(nl="Statistiek.", en="Statistics."),
        lifetime=Text(nl="1 jaar", en="1 year"),
    )
    changed = model.model_copy(update={"cookies": [*model.cookies, cookie]})
    monkeypatch.setattr(policy, "current_model", lambda: changed)


def test_the_declared_cookies_keep_p7():
    finding = promises.no_cookie_beyond_the_necessary_without_consent()
    assert finding.ok, finding.evidence
    assert "0 of them beyond the necessary ones" in str(finding.evidence)


def test_a_cookie_for_consent_under_a_consent_activity_keeps_p7(monkeypatch):
    _with_cookie(monkeypatch, category="analytics", activity="website_tracking")
    finding = promises.no_cookie_beyond_the_necessary_without_consent()
    assert finding.ok and "1 of them" in str(finding.evidence)


def test_a_tracking_cookie_under_an_activity_without_consent_turns_p7_red(monkeypatch):
    _with_cookie(monkeypatch, category="tracking", activity="customer_relations")
    finding = promises.no_cookie_beyond_the_necessary_without_consent()
    assert not finding.ok
    assert "pd_stats: activity customer_relations is not based on consent" in str(finding.evidence)


def test_a_category_the_banner_does_not_ask_for_turns_p7_red(monkeypatch):
    monkeypatch.setattr(promises, "CATEGORIES", ("necessary", "analytics"))
    _with_cookie(monkeypatch, category="tracking", activity="website_tracking")
    finding = promises.no_cookie_beyond_the_necessary_without_consent()
    assert not finding.ok and "category tracking has no banner switch" in str(finding.evidence)
