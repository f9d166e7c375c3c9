"""``policy check`` compares model, published text and configuration."""

import pytest
from django.core.management import CommandError, call_command

from privacydesk.policy import services
from privacydesk.policy.checks import run_checks


def test_a_fresh_installation_is_consistent(db):
    assert run_checks() == []
    call_command("policy", "check")


def test_mismatched_vault_retention_is_caught(db, settings):
    settings.VAULT_RETENTION = "P2M"
    problems = run_checks()
    assert problems == [
        "vault retention in settings is P2M (PRIVACYDESK_VAULT_RETENTION) but the privacy "
        "policy says P1M"
    ]
    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("policy", "check")


def test_undeclared_cookie_is_caught(db, settings):
    settings.PRIVACYDESK_COOKIES = ["pd_visitor"]
    assert run_checks() == ["cookie 'pd_visitor' can be set by the site but is not declared"]


def test_unpublished_text_change_is_caught(db, monkeypatch):
    original = services.render_policy

    def changed(model, lang, **kwargs):
        return original(model, lang, **kwargs) + "<p>new sentence</p>"

    monkeypatch.setattr(services, "render_policy", changed)
    problems = run_checks()
    assert any("differs from the current policy text" in p for p in problems)
    services.publish(note="Zin toegevoegd", actor="system:test")
    assert run_checks() == []


def test_model_changed_since_publication_is_caught(db, monkeypatch):
    model = services.current_model()
    changed = model.model_copy(
        update={"controller": model.controller.model_copy(update={"city": "Gemert"})}
    )
    monkeypatch.setattr(services, "current_model", lambda: changed)
    problems = run_checks()
    assert any("changed since it was loaded" in p for p in problems)
    assert any("older privacy model" in p for p in problems)


def test_the_checks_are_djangos_system_checks_tagged_privacydesk(db, settings):
    """``policy check`` is a front end to Django's check framework: the same checks run from
    ``check --deploy --tag privacydesk --database default``, and never from a plain ``check``
    (which ``migrate`` and ``runserver`` run before the tables exist)."""
    from django.core.management.base import SystemCheckError

    settings.VAULT_RETENTION = "P2M"
    call_command("check")
    call_command("check", "--deploy", "--tag", "privacydesk")  # no database: not run
    with pytest.raises(SystemCheckError, match=r"\(vault\.E001\) vault retention in settings"):
        call_command("check", "--deploy", "--tag", "privacydesk", "--database", "default")


def test_the_vault_declares_its_own_retention_check():
    from pathlib import Path

    from privacydesk.policy import checks
    from privacydesk.vault import checks as vault_checks

    assert "recovery_vault" not in Path(checks.__file__).read_text()
    assert "recovery_vault" in Path(vault_checks.__file__).read_text()
