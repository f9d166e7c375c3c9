"""``privacydesk rights ...``: data-subject requests from the command line (P14).

- ``poll`` runs one mailbox poll (the worker also polls every five minutes);
- ``ls [--json]``: id, kind, channel, received_at, due_on, state;
- ``new --kind KIND --email ADDRESS [--received ISO8601] [--channel post|phone|email] [--json]``:
  staff entry of a letter or call; the subject counts as verified when entered here;
- ``package ID --out DIR`` writes the access package (``data.json``, CSVs, ``report.html``);
- ``erase ID`` runs (or resumes) the erasure and prints what each source did;
- ``show ID --json``: the request, its deadline, its steps.

``--user NAME`` (default ``PRIVACYDESK_USER``) names the privacy officer the audit log records.
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from privacydesk.audit.services import record
from privacydesk.policy import plans
from privacydesk.policy.models import Plan
from privacydesk.rights import deadlines, package, services
from privacydesk.rights.models import Request
from privacydesk.spine.cli import USER_ENV, default_user, user_option
from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER

USER_HELP = f"privacy officer recorded in the audit log (default: ${USER_ENV})"


def request_json(req: Request) -> dict:
    st = deadlines.status(req.deadline)
    return {
        "id": req.pk,
        "kind": req.kind,
        "channel": req.channel,
        "received_at": timezone.localtime(req.received_at).isoformat(),
        "due_on": req.due_on.isoformat(),
        "extended_to": req.extended_to.isoformat() if req.extended_to else None,
        "deadline": req.deadline.isoformat(),
        "days_left": st.days_left,
        "overdue": st.overdue and not req.is_closed,
        "state": req.state,
        "verified": req.verified_at is not None,
        "letter_unsent": req.unsent_letter or None,
        "steps": [
            {
                "plan": step.plan.verb,
                "source": step.source,
                "status": step.status,
                "rows": step.rows,
                "found": len(step.keys) + len(step.held_keys),
                "held": len(step.held_keys),
                "attempts": step.attempts,
                "error": step.error,
            }
            for step in services.steps(req)
        ],
    }


class Command(BaseCommand):
    help = "Data-subject requests: mailbox poll, list, staff entry, access package, erasure."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="NAME", default=default_user(), help=USER_HELP)
        common = [user_option(suppress=True, help=USER_HELP)]
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("poll", parents=common, help="poll the mailbox once")
        ls = sub.add_parser("ls", parents=common, help="list requests")
        ls.add_argument("--json", action="store_true")
        new = sub.add_parser(
            "new", parents=common, help="enter a request received by post or phone"
        )
        new.add_argument("--kind", required=True, choices=Request.Kind.values)
        new.add_argument("--email", required=True)
        new.add_argument("--received", help="ISO 8601 moment of receipt (default: now)")
        new.add_argument("--channel", default="post", choices=["post", "phone", "email"])
        new.add_argument("--language", default="nl", choices=["nl", "en"])
        new.add_argument("--identity-check", default="", help="how identity was checked")
        new.add_argument("--json", action="store_true")
        pkg = sub.add_parser("package", parents=common, help="write the access package")
        pkg.add_argument("id", type=int)
        pkg.add_argument("--out", required=True)
        erase = sub.add_parser("erase", parents=common, help="run or resume an erasure")
        erase.add_argument("id", type=int)
        show = sub.add_parser("show", parents=common, help="a request, its deadline, its steps")
        show.add_argument("id", type=int)
        show.add_argument("--json", action="store_true")

    @no_translations
    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"cmd_{action}")(**options)
        except services.RightsError as exc:
            raise CommandError(str(exc)) from None
        except plans.StepFailed as exc:
            raise CommandError(
                f"step {exc.source} failed; run the command again to retry"
            ) from None

    def _actor(self, username: str, *, write: bool = True) -> str:
        if not username:
            raise CommandError(f"--user is required (a privacy officer; or set {USER_ENV})")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active staff user {username!r}")
        roles = {PRIVACY_OFFICER} if write else {PRIVACY_OFFICER, ADMIN}
        if user.role not in roles and not user.is_superuser:
            raise CommandError(f"{username} may not handle data-subject requests")
        return f"user:{user.pk}"

    def _request(self, pk: int) -> Request:
        req = Request.objects.filter(pk=pk).first()
        if req is None:
            raise CommandError(f"no request {pk}")
        return req

    def cmd_poll(self, **options):
        from django.conf import settings

        from privacydesk.rights import mailbox

        if not settings.IMAP_URL:
            raise CommandError("IMAP_URL is not set")
        result = mailbox.poll()
        self.stdout.write(
            f"{len(result.requests)} request(s), {result.ignored} ignored, "
            f"{result.unparseable + result.failed} kept for staff, "
            f"{result.replies} reply(ies) filed with their request"
        )

    def cmd_ls(self, *, user, json: bool = False, **options):
        actor = self._actor(user, write=False)
        rows = [request_json(r) for r in Request.objects.order_by("pk")]
        record(actor=actor, action="rights.listed", detail={"count": len(rows)})
        fields = ("id", "kind", "channel", "received_at", "due_on", "state")
        if json:
            self.stdout.write(_dumps([{k: r[k] for k in fields} for r in rows]))
            return
        for r in rows:
            self.stdout.write("  ".join(str(r[k]) for k in fields))

    def cmd_new(
        self,
        *,
        user,
        kind,
        email,
        received,
        channel,
        language,
        identity_check,
        json: bool = False,
        **options,
    ):
        actor = self._actor(user)
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            raise CommandError("--email is not a valid e-mail address") from None
        when = None
        if received:
            when = parse_datetime(received)
            if when is None:
                raise CommandError("--received must be an ISO 8601 date and time")
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        req = services.create(
            kind=kind,
            channel=channel,
            actor=actor,
            email=email,
            received_at=when,
            language=language,
            verified=True,
            identity_check=identity_check or f"entered by staff ({channel})",
        )
        if json:
            self.stdout.write(_dumps(request_json(req)))
        else:
            self.stdout.write(f"request {req.pk}: {req.kind}, due on {req.due_on.isoformat()}")

    def cmd_package(self, *, user, id, out, **options):
        actor = self._actor(user)
        req = self._request(id)
        if req.kind not in (Request.Kind.ACCESS, Request.Kind.PORTABILITY):
            raise CommandError(f"request {id} is a {req.kind} request, not access")
        self._refuse_unanswerable(req)
        run = plans.run(
            Plan.Verb.EXPORT,
            services.subjects(req),
            key=services.plan_key(req, "export"),
            actor=actor,
        )
        names = package.write(req, run, out)
        record(
            actor=actor,
            action="rights.package_written",
            obj=req,
            subject=services.subject_reference(req),
            detail={"files": names},
        )
        for name in names:
            self.stdout.write(name)

    def cmd_erase(self, *, user, id, **options):
        actor = self._actor(user)
        req = self._request(id)
        if req.kind != Request.Kind.ERASURE:
            raise CommandError(f"request {id} is a {req.kind} request, not erasure")
        self._refuse_unanswerable(req)
        if req.state == Request.State.ANSWERED:
            self._print_steps(req)
            self.stdout.write(
                f"request {id} was erased on {_day(req.answered_at)}; nothing left to do"
            )
            return
        try:
            done = services.carry_out(req, actor=actor)
        finally:
            self._print_steps(req)
        if done is None:
            req.refresh_from_db()
            since = timezone.localtime(req.running_since) if req.running_since else None
            when = f" since {since:%Y-%m-%d %H:%M}" if since else ""
            minutes = int(services.STALE_RUN.total_seconds() // 60)
            raise CommandError(
                f"request {id} is being carried out by another run{when}; nothing was done. "
                f"Try again when it has finished (a run that stopped is taken over after "
                f"{minutes} minutes)"
            )
        req.refresh_from_db()
        self.stdout.write(f"request {id}: erased, answered on {_day(req.answered_at)}")
        if req.unsent_letter:
            self.stderr.write(
                f"request {id}: the answer letter could not be sent yet; the worker retries it"
            )

    def _refuse_unanswerable(self, req):
        """A request nobody confirmed, or one that was refused, is not carried out."""
        if req.state in (Request.State.UNVERIFIED, Request.State.NEEDS_STAFF):
            raise CommandError(f"request {req.pk} is not verified")
        if req.state == Request.State.EXPIRED:
            raise CommandError(
                f"request {req.pk} expired: the address was never confirmed; nothing was done"
            )
        if req.state == Request.State.REFUSED:
            raise CommandError(f"request {req.pk} was refused; nothing was done")

    def _print_steps(self, req):
        for step in services.steps(req):
            line = f"{step.plan.verb:8} {step.source:32} {step.status:8} rows={step.rows}"
            if step.held_keys:
                line += f" held={len(step.held_keys)}"
            self.stdout.write(line)

    def cmd_show(self, *, user, id, json: bool = False, **options):
        actor = self._actor(user, write=False)
        req = self._request(id)
        record(
            actor=actor, action="rights.viewed", obj=req, subject=services.subject_reference(req)
        )
        data = request_json(req)
        if json:
            self.stdout.write(_dumps(data))
            return
        for key in ("id", "kind", "channel", "received_at", "deadline", "days_left", "state"):
            self.stdout.write(f"{key}: {data[key]}")
        self._print_steps(req)


def _day(moment) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else "?"


def _dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
