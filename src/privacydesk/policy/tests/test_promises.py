"""P2 (the Art. 30 register) and P10 (data categories) on the promise board."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation

from privacydesk.policy import promises, services
from privacydesk.policy.schema import Text
from privacydesk.spine import registry


@pytest.fixture(autouse=True)
def _evidence_in_english():
    """The evidence is compared in English (the CLI's language; the board shows Dutch too)."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


def _changed(monkeypatch, **activity_changes):
    """The current model with each named activity changed (``id={"field": value}``)."""
    model = services.current_model()
    activities = [
        a.model_copy(update=activity_changes[a.id]) if a.id in activity_changes else a
        for a in model.activities
    ]
    changed = model.model_copy(update={"activities": activities})
    monkeypatch.setattr(services, "current_model", lambda: changed)
    return changed


def test_the_model_keeps_p2_and_p10():
    register = promises.the_article_30_register_is_complete()
    assert register.ok and "11 activities" in str(register.evidence)
    categories = promises.every_declaration_falls_under_the_categories_of_its_activity()
    assert categories.ok and "checked per activity, not per field" in str(categories.evidence)


def test_a_retention_without_reason_or_an_unknown_processor_turns_p2_red(monkeypatch):
    model = services.current_model()
    vault = model.activity("recovery_vault")
    retention = vault.retention.model_copy(update={"reason": Text(nl=" ", en=" ")})
    _changed(
        monkeypatch,
        recovery_vault={"retention": retention},
        newsletter={"processors": ["unknown_mailer"]},
    )
    finding = promises.the_article_30_register_is_complete()
    assert not finding.ok
    evidence = str(finding.evidence)
    assert "activity recovery_vault: its retention gives no reason" in evidence
    assert "newsletter names processor 'unknown_mailer'" in evidence


def test_a_source_under_an_unknown_activity_turns_p10_red():
    stray = SimpleNamespace(label="tests.stray", activity="profiling", parent=None)
    registry._SOURCES["tests.stray"] = stray
    try:
        finding = promises.every_declaration_falls_under_the_categories_of_its_activity()
    finally:
        registry._SOURCES.pop("tests.stray")
    assert not finding.ok and "unknown activity 'profiling'" in str(finding.evidence)


def test_a_policy_category_no_source_holds_turns_p10_red(monkeypatch):
    model = services.current_model()
    _changed(
        monkeypatch,
        **{
            a.id: {"data_categories": [c for c in a.data_categories if c != "website_usage"]}
            for a in model.activities
            if "website_usage" in a.data_categories
        },
    )
    finding = promises.every_declaration_falls_under_the_categories_of_its_activity()
    assert not finding.ok
    assert "no declared source holds the policy's category website_usage" in str(finding.evidence)
