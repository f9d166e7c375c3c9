"""``privacydesk subject find --email ADDRESS [--phone NUMBER] [--json]``: where one person's
data is held, per source, with row counts, restrictions and legal holds (Art. 15, P14).

The first tool a privacy officer reaches for, and the rights app's find phase. It shows counts
and references, never the data itself; each run is audited. Only a privacy officer or an admin
may run it: ``--user`` names them, before or after ``find`` (default: ``PRIVACYDESK_USER``),
as for ``vault``.
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from privacydesk.audit.services import record, subject_ref
from privacydesk.policy import holds
from privacydesk.spine import registry
from privacydesk.spine.cli import USER_ENV, default_user, user_option
from privacydesk.spine.registry import Subject
from privacydesk.spine.roles import ADMIN, PRIVACY_OFFICER

ALLOWED_ROLES = (PRIVACY_OFFICER, ADMIN)
USER_HELP = f"privacy officer or admin recorded in the audit log (default: ${USER_ENV})"


class Command(BaseCommand):
    help = "Where the product holds data about one data subject (privacy officer, admin)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="NAME", default=default_user(), help=USER_HELP)
        sub = parser.add_subparsers(dest="action", required=True)
        find = sub.add_parser(
            "find",
            help="per source: rows, restricted rows, legal holds",
            parents=[user_option(suppress=True, help=USER_HELP)],
        )
        for kind in registry.SUBJECT_KINDS:
            find.add_argument(
                f"--{kind.replace('_', '-')}",
                dest=kind,
                action="append",
                metavar=kind.upper(),
                help=f"the person's {kind.replace('_', ' ')} (repeatable)",
            )
        find.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, action: str, user: str, **options):
        actor = self._actor(user)
        subjects = [
            Subject(kind, value)
            for kind in registry.SUBJECT_KINDS
            for value in options.get(kind) or ()
            if value.strip()
        ]
        if not subjects:
            raise CommandError("name the data subject: --email, --phone, ...")
        self._find(subjects, actor=actor, as_json=options["json"])

    def _actor(self, username: str) -> str:
        if not username:
            raise CommandError(
                f"--user is required (a privacy officer or an admin; or set {USER_ENV})"
            )
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active staff user {username!r}")
        if user.role not in ALLOWED_ROLES and not user.is_superuser:
            raise CommandError(f"{username} is not a privacy officer or an admin")
        return f"user:{user.pk}"

    def _find(self, subjects: list[Subject], *, actor: str, as_json: bool) -> None:
        found = registry.find_all(subjects)
        kept = holds.held_keys()
        rows = []
        for src in registry.sources():
            keys = found.get(src.label, [])
            if not keys:
                continue
            summary = src.inventory(keys)
            rows.append(
                {
                    "source": src.label,
                    "activity": src.activity,
                    "rows": summary["rows"],
                    "restricted": summary["restricted"],
                    "held": len(set(keys) & kept.get(src.label, set())),
                    "erasure": summary["erasure"],
                    "fields": summary["fields"],
                }
            )
        on_subject = [
            {
                "id": h.pk,
                "reason": h.reason,
                "placed_by": h.placed_by,
                "placed_at": h.placed_at.isoformat(),
            }
            for h in holds.subject_holds(subjects)
        ]
        # One entry per identifier, so the search is found under each of the person's refs.
        for subject in subjects:
            record(
                actor=actor,
                action="subject.found",
                subject=subject_ref(subject.kind, subject.value),
                detail={
                    "identifiers": len(subjects),
                    "sources": {r["source"]: r["rows"] for r in rows},
                },
            )
        if as_json:
            self.stdout.write(json.dumps({"sources": rows, "holds": on_subject}, indent=2))
            return
        if not rows:
            self.stdout.write("nothing is held about this data subject")
        width = max([len(r["source"]) for r in rows] + [6])
        if rows:
            self.stdout.write(f"{'source':<{width}}  {'rows':>6}  {'restricted':>10}  {'held':>6}")
        for r in rows:
            self.stdout.write(
                f"{r['source']:<{width}}  {r['rows']:>6}  {r['restricted']:>10}  {r['held']:>6}"
                + (f"  (kept: {r['erasure']})" if r["erasure"] == "keep" else "")
            )
        for h in on_subject:
            self.stdout.write(
                f"legal hold #{h['id']} since {h['placed_at']} by {h['placed_by']}: {h['reason']}"
            )
