"""Art. 12(3): one calendar month, an extension of at most two with reason and notice, the
7- and 2-day warnings e-mailed once each, overdue marked; Art. 12(4) refusals."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from privacydesk.audit.models import AuditEntry
from privacydesk.rights import deadlines, services
from privacydesk.rights.models import Request
from privacydesk.spine import mail
from privacydesk.spine.roles import PRIVACY_OFFICER
from privacydesk.testing import make_staff

AMS = timezone.get_fixed_timezone(60)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (datetime(2026, 1, 31, 10, 0, tzinfo=AMS), date(2026, 2, 28)),
        (datetime(2028, 1, 31, 10, 0, tzinfo=AMS), date(2028, 2, 29)),
        (datetime(2026, 3, 15, 9, 0, tzinfo=AMS), date(2026, 4, 15)),
        (datetime(2026, 12, 31, 23, 30, tzinfo=AMS), date(2027, 1, 31)),
        # 23:30 UTC on 31 March is 1 April in Amsterdam: the local day counts.
        (datetime(2026, 3, 31, 23, 30, tzinfo=timezone.get_fixed_timezone(0)), date(2026, 5, 1)),
    ],
)
def test_due_one_calendar_month_after_the_local_day_of_receipt(received, due):
    assert deadlines.due_on(received) == due


def test_extension_is_one_or_two_months_from_the_first_deadline():
    assert deadlines.extended(date(2026, 2, 28), 2) == date(2026, 4, 28)
    with pytest.raises(ValueError):
        deadlines.extended(date(2026, 2, 28), 3)


def test_status_warns_at_seven_and_two_days_and_marks_overdue():
    today = date(2026, 5, 1)
    assert deadlines.status(date(2026, 5, 9), today=today).warning is None
    assert deadlines.status(date(2026, 5, 8), today=today).warning == 7
    assert deadlines.status(date(2026, 5, 3), today=today).warning == 2
    st = deadlines.status(date(2026, 4, 29), today=today)
    assert st.overdue and st.overdue_days == 2


def _request(db, received: datetime, **extra) -> Request:
    return services.create(
        kind="access",
        channel="post",
        actor="system:test",
        email="jan@example.nl",
        received_at=received,
        verified=True,
        **extra,
    )


def test_extension_needs_reason_and_the_first_month_and_is_told(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    req = _request(db, timezone.now() - timedelta(days=3))
    with pytest.raises(services.RightsError):
        services.extend(req, months=1, reason="  ", actor="system:test")
    with django_capture_on_commit_callbacks(execute=True):
        services.extend(req, months=2, reason="Veel gegevens in oude back-ups", actor="system:test")
    req.refresh_from_db()
    assert req.extended_to == deadlines.extended(req.due_on, 2)
    assert req.extension_notified_at is not None
    assert mailoutbox[-1].to == ["jan@example.nl"]
    assert "Veel gegevens in oude back-ups" in mailoutbox[-1].body
    with pytest.raises(services.RightsError):
        services.extend(req, months=1, reason="again", actor="system:test")
    late = _request(db, timezone.now() - timedelta(days=40))
    with pytest.raises(services.RightsError, match="eerste maand"):
        services.extend(late, months=1, reason="too late", actor="system:test")


def test_warnings_are_mailed_once_each_and_overdue_is_marked(db, mailoutbox):
    officer = make_staff(PRIVACY_OFFICER)
    officer.email = "privacy@compjoeter.nl"
    officer.save()
    today = timezone.localdate()
    now = timezone.now()
    # due in 7 days: received one month minus 7 days ago
    seven = _request(db, now - timedelta(days=1))
    Request.objects.filter(pk=seven.pk).update(due_on=today + timedelta(days=7))
    two = _request(db, now - timedelta(days=1))
    Request.objects.filter(pk=two.pk).update(due_on=today + timedelta(days=2))
    late = _request(db, now - timedelta(days=1))
    Request.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=1))
    done = _request(db, now - timedelta(days=1))
    Request.objects.filter(pk=done.pk).update(
        due_on=today + timedelta(days=2), state=Request.State.ANSWERED
    )
    unconfirmed = services.create(kind="access", channel="web", actor="x:1", email="x@example.nl")
    Request.objects.filter(pk=unconfirmed.pk).update(due_on=today + timedelta(days=2))
    assert services.warn_deadlines() == {"7": 1, "2": 1, "overdue": 1}
    assert services.warn_deadlines() == {"7": 0, "2": 0, "overdue": 0}
    assert len(mailoutbox) == 3
    assert all(m.to == ["privacy@compjoeter.nl"] for m in mailoutbox)
    assert "jan@example.nl" not in "".join(m.subject + m.body for m in mailoutbox)
    # built by the one sender (spine.mail): its Message-ID under the sender's domain
    domain = mail.message_domain()
    assert all(m.extra_headers["Message-ID"].endswith(f"@{domain}>") for m in mailoutbox)
    late.refresh_from_db()
    assert late.overdue_at is not None
    assert AuditEntry.objects.filter(action="rights.deadline_warning").count() == 3


def test_refusal_records_the_reason_and_names_complaint_and_court(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    req = _request(db, timezone.now(), language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.refuse(
            req, reason="Manifestly unfounded: the fifth request this week", actor="x:1"
        )
    req.refresh_from_db()
    assert req.state == Request.State.REFUSED and req.closed_at is not None
    body = mailoutbox[-1].body
    assert "Manifestly unfounded" in body
    assert "Autoriteit Persoonsgegevens" in body and "court" in body
