"""The rights app's background work: carrying out requests, deadline warnings, the mailbox."""

from datetime import timedelta

from privacydesk.jobs.registry import job, periodic
from privacydesk.policy.plans import StepFailed


@job(max_attempts=1)
def run_request(request_id: int, actor: str) -> dict:
    """Carry out one request; a failed step stays failed on the request's page for a retry."""
    from privacydesk.rights import services
    from privacydesk.rights.models import Request

    req = Request.objects.filter(pk=request_id).first()
    if req is None:
        return {"missing": True}
    try:
        done = services.carry_out(req, actor=actor)
    except StepFailed as exc:
        return {"failed": exc.source}
    return {"ran": done is not None}


@periodic(every=timedelta(minutes=10), name="rights.resume")
@job(max_attempts=3)
def resume_requests() -> dict:
    """Finish what a stopped worker left half-way (the plans skip every finished step), and
    send again the answer letters the mail server did not take."""
    from privacydesk.rights import services

    return {"resumed": services.resume_unfinished(), "letters": services.resend_letters()}


@periodic(every=timedelta(hours=1), name="rights.deadlines")
@job(max_attempts=3)
def deadline_warnings() -> dict:
    from privacydesk.rights import package, services

    sent = services.warn_deadlines()
    sent["packages_expired"] = package.expire_packages()
    sent["unconfirmed_expired"] = services.expire_unverified()
    return sent


@periodic(every=timedelta(minutes=5), name="rights.mailbox")
@job(max_attempts=1)
def poll_mailbox() -> dict:
    from django.conf import settings

    from privacydesk.rights import mailbox

    if not settings.IMAP_URL:
        return {"configured": False}
    return mailbox.poll().as_dict()
