"""The model file is validated on load; bad input names the entry and the field."""

from datetime import date

import pytest
import yaml

from privacydesk.policy.schema import MODEL_FILE, Duration, PrivacyModelError, parse_model


@pytest.fixture
def raw():
    return yaml.safe_load(MODEL_FILE.read_text(encoding="utf-8"))


def _problems(raw) -> list[str]:
    with pytest.raises(PrivacyModelError) as exc:
        parse_model(yaml.safe_dump(raw, allow_unicode=True))
    return exc.value.problems


def _activity(raw, activity_id):
    return next(a for a in raw["activities"] if a["id"] == activity_id)


def test_the_repository_model_is_valid():
    model = parse_model(MODEL_FILE.read_text(encoding="utf-8"))
    assert model.controller.email == "verkoop@compjoeter.nl"
    assert model.controller.reference == "persoonsgegevens"
    assert model.activity("recovery_vault").retention.duration == "P1M"
    assert model.activity("invoicing").retention.duration == "P7Y"
    assert model.activity("invoicing").retention.from_ == "end_of_fiscal_year"


def test_unknown_legal_basis(raw):
    _activity(raw, "newsletter")["legal_basis"] = "because_we_can"
    [problem] = _problems(raw)
    assert problem.startswith("activities[newsletter].legal_basis:")
    assert "because_we_can" in problem


def test_retention_without_duration(raw):
    del _activity(raw, "invoicing")["retention"]["duration"]
    assert _problems(raw) == ["activities[invoicing].retention.duration: is required"]


def test_retention_with_a_bad_duration(raw):
    _activity(raw, "invoicing")["retention"]["duration"] = "seven years"
    [problem] = _problems(raw)
    assert problem.startswith("activities[invoicing].retention.duration:")


def test_cookie_without_category(raw):
    raw["cookies"][0].pop("category")
    assert _problems(raw) == ["cookies[sessionid].category: is required"]


def test_activity_without_purpose(raw):
    del _activity(raw, "recovery_vault")["purpose"]
    assert _problems(raw) == ["activities[recovery_vault].purpose: is required"]


def test_purpose_needs_both_languages(raw):
    del _activity(raw, "recovery_vault")["purpose"]["en"]
    assert _problems(raw) == ["activities[recovery_vault].purpose.en: is required"]


def test_unknown_reference(raw):
    _activity(raw, "newsletter")["data_categories"].append("shoe_size")
    [problem] = _problems(raw)
    assert "activities[newsletter].data_categories: unknown data category 'shoe_size'" in problem


def test_unknown_field_is_refused(raw):
    _activity(raw, "newsletter")["legal_bais"] = "consent"
    [problem] = _problems(raw)
    assert problem.startswith("activities[newsletter].legal_bais:")


def test_not_yaml():
    with pytest.raises(PrivacyModelError, match="not valid YAML"):
        parse_model("activities: [unclosed")


@pytest.mark.parametrize(
    "iso,start,after",
    [
        ("P1M", date(2026, 1, 31), date(2026, 2, 28)),
        ("P1M", date(2028, 1, 31), date(2028, 2, 29)),
        ("P1M", date(2026, 11, 25), date(2026, 12, 25)),
        ("P7Y", date(2024, 2, 29), date(2031, 2, 28)),
        ("P30D", date(2026, 11, 25), date(2026, 12, 25)),
        ("P1Y2M3D", date(2026, 1, 1), date(2027, 3, 4)),
    ],
)
def test_durations_are_calendar_durations(iso, start, after):
    duration = Duration.parse(iso)
    assert duration.after(start) == after
    assert duration.iso() == iso
    assert duration.before(after) <= start


def test_durations_back_clamp_to_the_month_end():
    assert Duration.parse("P1M").before(date(2026, 3, 31)) == date(2026, 2, 28)
    assert Duration.parse("P1M").before(date(2028, 3, 31)) == date(2028, 2, 29)
    assert Duration.parse("P1Y2M3D").before(date(2027, 3, 4)) == date(2026, 1, 1)


def test_duration_descriptions():
    assert Duration.parse("P1M").describe("nl") == "1 maand"
    assert Duration.parse("P2M").describe("en") == "2 months"
    assert Duration.parse("P7Y").describe("nl") == "7 jaar"
    assert Duration.parse("P0D").describe("en") == "none"
