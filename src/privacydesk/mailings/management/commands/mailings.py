"""``privacydesk mailings ...``: campaigns and subscribers from the command line (issue 10).

    privacydesk mailings campaign create --list SLUG --subject TEXT --markdown FILE [--json]
    privacydesk mailings campaign send ID [--test ADDRESS]
    privacydesk mailings campaign status ID [--json]
    privacydesk mailings subscribers --list SLUG [--json]

``send`` queues the campaign; the worker (``privacydesk worker``) sends it. ``--user NAME``
(default ``PRIVACYDESK_USER``) names the staff member the audit log records; without it the
actor is ``system:cli``, the operator on the server. The command line speaks English.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, no_translations

from privacydesk.audit.services import record
from privacydesk.mailings import services
from privacydesk.mailings.models import Campaign
from privacydesk.spine.cli import default_user, user_option

MAX_MARKDOWN = 1_000_000


class Command(BaseCommand):
    help = "Newsletter campaigns and subscribers."

    def add_arguments(self, parser):
        parents = [user_option(suppress=True, help="staff user recorded in the audit log")]
        parser.add_argument("--user", metavar="NAME", default=default_user(),
                            help="staff user recorded in the audit log")  # fmt: skip
        sub = parser.add_subparsers(dest="what", required=True)
        campaign = sub.add_parser("campaign", parents=parents, help="create, send, status")
        verbs = campaign.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", parents=parents, help="a draft from a Markdown file")
        create.add_argument("--list", required=True, dest="list_slug")
        create.add_argument("--subject", required=True)
        create.add_argument("--markdown", required=True, type=Path)
        create.add_argument("--json", action="store_true")
        send = verbs.add_parser("send", parents=parents, help="queue it (or --test ADDRESS)")
        send.add_argument("id", type=int)
        send.add_argument("--test", metavar="ADDRESS")
        status = verbs.add_parser("status", parents=parents, help="counts per delivery state")
        status.add_argument("id", type=int)
        status.add_argument("--json", action="store_true")
        subs = sub.add_parser("subscribers", parents=parents, help="a list's subscribers")
        subs.add_argument("--list", required=True, dest="list_slug")
        subs.add_argument("--json", action="store_true")

    def _actor(self, name: str, perm: str) -> str:
        if not name:
            return "system:cli"
        user = get_user_model().objects.filter(username=name, is_active=True).first()
        if user is None:
            raise CommandError(f"no active staff user {name!r}")
        if not user.has_perm(perm):
            raise CommandError(f"{name} may not do this (needs {perm})")
        return f"user:{user.pk}"

    @no_translations
    def handle(self, *args, what, user, **options):
        try:
            if what == "subscribers":
                return self.subscribers(user, **options)
            return getattr(self, options["verb"])(user, **options)
        except services.MailingError as exc:
            raise CommandError(str(exc)) from None

    def _campaign(self, campaign_id: int) -> Campaign:
        found = Campaign.objects.select_related("mailing_list").filter(pk=campaign_id).first()
        if found is None:
            raise CommandError(f"no campaign {campaign_id}")
        return found

    def create(self, user, *, list_slug, subject, markdown, json: bool = False, **_):
        actor = self._actor(user, "mailings.add_campaign")
        try:
            if markdown.stat().st_size > MAX_MARKDOWN:
                raise CommandError(f"{markdown} is larger than {MAX_MARKDOWN} bytes")
            text = markdown.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise CommandError(f"cannot read {markdown}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{markdown} is not UTF-8 text") from None
        campaign = services.create_campaign(list_slug, subject=subject, markdown=text, actor=actor)
        self._out({"id": campaign.pk} if json else campaign.pk, as_json=json)

    def send(self, user, *, id, test=None, **_):
        campaign = self._campaign(id)
        if test:
            actor = self._actor(user, "mailings.change_campaign")
            try:
                services.send_test(campaign, test, actor=actor)
            except OSError as exc:
                raise CommandError(f"the mail server did not take the test: {exc}") from None
            self.stdout.write(f"test of campaign {campaign.pk} sent")
            return
        actor = self._actor(user, "mailings.send_campaign")
        if campaign.state != Campaign.State.DRAFT:
            raise CommandError(f"campaign {campaign.pk} is {campaign.state}, not a draft")
        count = services.queue_campaign(campaign.pk, actor=actor)
        self.stdout.write(f"campaign {campaign.pk} queued for {count} recipients")

    def status(self, user, *, id, json: bool = False, **_):
        self._actor(user, "mailings.view_campaign")
        campaign = self._campaign(id)
        counts = services.status_counts(campaign)
        stopped = services.last_stop(campaign)
        if json:
            self._out(
                {"id": campaign.pk, "state": campaign.state, "counts": counts, "stopped": stopped},
                as_json=True,
            )
            return
        self.stdout.write(f"campaign {campaign.pk}: {campaign.state}")
        for state, count in counts.items():
            self.stdout.write(f"  {state:13} {count}")
        if stopped:
            self.stdout.write(
                f"sending stopped: the mail server refused the session ({stopped['stage']}, "
                f"{stopped['code']}); nobody was bounced. Check EMAIL_URL and the sender address."
            )
        if counts.get("unknown"):
            self.stdout.write(
                f"{counts['unknown']} unknown: the server may have taken these messages; they "
                "are not sent again. Look their Message-IDs up on the campaign page."
            )

    def subscribers(self, user, *, list_slug, json: bool = False, **_):
        actor = self._actor(user, "mailings.view_subscription")
        rows = services.subscribers(list_slug)
        record(
            actor=actor,
            action="mailings.subscribers_listed",
            object_type="mailings.mailinglist",
            object_id=list_slug,
            detail={"count": len(rows)},
        )
        out = [
            {
                "address": s.email,
                "state": s.state,
                "basis": s.basis,
                "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
            }
            for s in rows
        ]
        if json:
            self._out(out, as_json=True)
            return
        for row in out:
            self.stdout.write(
                f"{row['address']}\t{row['state']}\t{row['basis']}\t{row['confirmed_at'] or '-'}"
            )

    def _out(self, value, *, as_json: bool) -> None:
        self.stdout.write(json.dumps(value) if as_json else str(value))
