"""``privacydesk registers export --kind disclosures|processors|breaches --format csv|json``.

An export holds personal data (the disclosures name the authority's contact and the
approver), so the audit log names who made it (P3): ``--user NAME``, before or after
``export`` (default: ``PRIVACYDESK_USER``), a staff member who may read that register (the
privacy officer or the admin), as for the ``vault`` and ``subject`` commands.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from privacydesk.registers import services
from privacydesk.spine.cli import USER_ENV, default_user, user_option

USER_HELP = f"privacy officer or admin recorded in the audit log (default: ${USER_ENV})"
_MODEL = {"disclosures": "disclosure", "processors": "processor", "breaches": "breach"}


class Command(BaseCommand):
    help = "The registers of disclosures, processors and data breaches."

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="NAME", default=default_user(), help=USER_HELP)
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser(
            "export",
            help="write one register to standard output",
            parents=[user_option(suppress=True, help=USER_HELP)],
        )
        export.add_argument("--kind", choices=services.KINDS, required=True)
        export.add_argument("--format", choices=["csv", "json"], required=True)

    def handle(self, *args, action: str, kind: str, format: str, user: str, **options):
        actor = self._actor(user, kind)
        text = services.export(kind, format, actor=actor, via="cli")
        self.stdout.write(text, ending="" if text.endswith("\n") else "\n")

    def _actor(self, username: str, kind: str) -> str:
        if not username:
            raise CommandError(
                f"--user is required (a privacy officer or an admin; or set {USER_ENV})"
            )
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active staff user {username!r}")
        if not user.has_perm(f"registers.view_{_MODEL[kind]}"):
            raise CommandError(f"{username} may not read the {kind} register")
        return f"user:{user.pk}"
