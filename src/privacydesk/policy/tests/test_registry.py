"""The personal-data registry: every model is declared, and declarations find a person's data."""

from datetime import timedelta
from uuid import uuid4

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import models
from django.test.utils import isolate_apps
from django.utils import timezone

from privacydesk.audit.services import record, subject_ref
from privacydesk.policy import plans, services
from privacydesk.spine import registry
from privacydesk.spine.registry import DeclarationError, ModelData, Subject


def test_every_installed_model_is_declared_or_exempt():
    assert registry.undeclared_models() == []


@isolate_apps("privacydesk.policy")
def test_an_undeclared_model_is_named():
    class CustomerNote(models.Model):
        customer_email = models.EmailField()
        text = models.TextField()

        class Meta:
            app_label = "policy"

    class Counter(models.Model):
        value = models.IntegerField()

        class Meta:
            app_label = "policy"

    missing = registry.undeclared_models([CustomerNote, Counter])
    assert missing == ["policy.CustomerNote (customer_email, text)"]


def test_every_declaration_names_an_activity_of_the_model():
    model = services.current_model()
    ids = {a.id for a in model.activities}
    for source in registry.sources():
        assert source.activity in ids, source.label


def test_declared_fields_exist():
    for source in registry.sources():
        if isinstance(source, ModelData):
            model = source.model_class
            for name in source.fields:
                model._meta.get_field(name)


def test_declarations_refuse_incomplete_erasure_rules():
    with pytest.raises(ValueError, match="anonymise"):
        ModelData(model="x.Y", activity="a", fields=("f",), erasure="anonymise")
    with pytest.raises(ValueError, match="keep_reason"):
        ModelData(model="x.Y", activity="a", fields=("f",), erasure="keep")


@pytest.fixture
def person(db, settings):
    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"
    get_user_model().objects.create_user(
        username="piet", email="Piet@Example.nl", first_name="Piet", last_name="Puk"
    )
    record(
        actor="system:test", action="test.touch", subject=subject_ref("email", "piet@example.nl")
    )
    AccessAttempt.objects.create(
        username="piet@example.nl",
        ip_address="192.0.2.1",
        user_agent="x",
        failures_since_start=1,
        attempt_time=timezone.now(),
    )
    mail.send_mail("Uw herstelde bestanden", "…", None, ["piet@example.nl"])
    mail.send_mail("Iets anders", "…", None, ["someone@else.nl"])
    return Subject("email", "piet@example.nl")


def _export(subject):
    done = plans.run("export", [subject], key=f"test-export:{uuid4()}", actor="system:test")
    return {label: rows for label, rows in done.results.items() if rows}


def test_export_finds_the_person_everywhere(person):
    found = _export(person)
    assert found["accounts.User"][0]["email"] == "Piet@example.nl"
    assert found["audit.AuditEntry"][0]["action"] == "test.touch"
    assert found["axes.AccessAttempt"][0]["ip_address"] == "192.0.2.1"
    assert [m["subject"] for m in found["backoffice.outbox"]] == ["Uw herstelde bestanden"]
    assert "otp_totp.TOTPDevice" not in found


def test_erase_follows_each_declaration(person):
    user = get_user_model().objects.get(username="piet")
    plans.run("erase", [person], key="test-erase", actor="system:test")
    user.refresh_from_db()
    assert (user.username, user.email, user.first_name, user.is_active) == (
        f"erased-{user.pk}",
        "",
        "",
        False,
    )
    assert not AccessAttempt.objects.exists()
    assert registry.source("backoffice.outbox").find(person, {}) == []
    # The audit log is kept (legal duty) and holds only the reference.
    assert registry.source("audit.AuditEntry").find(person, {})
    # After erasure nothing identifies the person any more.
    assert list(_export(person)) == ["audit.AuditEntry"]


def test_rectify_only_declared_fields(person):
    source = registry.source("accounts.User")
    keys = source.find(person, {})
    source.rectify(keys, {"last_name": "Puk-Jansen"})
    user = get_user_model().objects.get(username="piet")
    assert user.last_name == "Puk-Jansen"
    with pytest.raises(ValueError, match="username"):
        source.rectify(keys, {"username": "other"})


def test_declaring_a_model_twice_is_an_error():
    with pytest.raises(DeclarationError, match="twice"):
        registry.register(
            ModelData(model="vault.RecoveryJob", activity="recovery_vault", fields=("device",))
        )
    with pytest.raises(DeclarationError, match="twice"):
        registry.exempt("accounts.User", "no")
    assert registry.source("vault.RecoveryJob").erasure == "anonymise"


def test_parents_come_first_and_must_be_declared():
    labels = [s.label for s in registry.sources()]
    assert labels.index("accounts.User") < labels.index("otp_totp.TOTPDevice")
    assert labels.index("vault.RecoveryJob") < labels.index("vault.VaultItem")
    orphan = ModelData(
        model="x.Y", activity="a", fields=("f",), parent="x.Missing", parent_field="m"
    )
    with pytest.raises(DeclarationError, match="not declared"):
        registry._parents_first([orphan])
    with pytest.raises(DeclarationError, match="together"):
        ModelData(model="x.Y", activity="a", fields=("f",), parent="x.Z")


def test_retention_sweep_applies_each_activity(db, settings):
    settings.EMAIL_BACKEND = "privacydesk.backoffice.outbox.OutboxBackend"
    now = timezone.now()
    old = AccessAttempt.objects.create(
        username="a",
        ip_address="192.0.2.2",
        user_agent="x",
        failures_since_start=1,
        attempt_time=now - timedelta(days=31),
    )
    # attempt_time is set on creation; move the rows back in time afterwards.
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=now - timedelta(days=31))
    fresh = AccessAttempt.objects.create(
        username="b",
        ip_address="192.0.2.3",
        user_agent="x",
        failures_since_start=1,
        attempt_time=now - timedelta(days=29),
    )
    AccessAttempt.objects.filter(pk=fresh.pk).update(attempt_time=now - timedelta(days=29))
    user_model = get_user_model()
    gone = user_model.objects.create_user(username="left", email="left@example.nl", is_active=False)
    user_model.objects.filter(pk=gone.pk).update(deactivated_at=now - timedelta(days=400))
    recent = user_model.objects.create_user(
        username="recent", email="r@example.nl", is_active=False
    )
    active = user_model.objects.create_user(username="here", email="here@example.nl")

    counts = services.sweep_retention(now=now)

    assert not AccessAttempt.objects.filter(pk=old.pk).exists()
    assert AccessAttempt.objects.filter(pk=fresh.pk).exists()
    gone.refresh_from_db()
    assert gone.email == "" and gone.username == f"erased-{gone.pk}"
    recent.refresh_from_db()
    active.refresh_from_db()
    assert recent.email == "r@example.nl" and active.email == "here@example.nl"
    assert counts == {"axes.AccessAttempt": 1, "accounts.User": 1}


def test_retention_cutoff_is_calendar_arithmetic_at_the_same_local_time():
    from datetime import datetime

    activity = services.current_model().activity("recovery_vault")
    assert activity.retention.duration == "P1M"
    tz = timezone.get_current_timezone()
    now = datetime(2028, 3, 31, 14, 30, tzinfo=tz)
    assert services.retention_cutoff(activity, now) == datetime(2028, 2, 29, 14, 30, tzinfo=tz)


def test_fiscal_retention_runs_to_the_end_of_the_year():
    from datetime import datetime

    invoicing = services.current_model().activity("invoicing")
    tz = timezone.get_current_timezone()
    # An invoice of March 2019 is kept until the end of 2026.
    cutoff_2026 = services.retention_cutoff(invoicing, datetime(2026, 12, 30, tzinfo=tz))
    cutoff_2027 = services.retention_cutoff(invoicing, datetime(2027, 1, 2, tzinfo=tz))
    invoice = datetime(2019, 3, 1, tzinfo=tz)
    assert not invoice < cutoff_2026
    assert invoice < cutoff_2027
