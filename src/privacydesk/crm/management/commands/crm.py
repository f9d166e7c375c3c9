"""``privacydesk crm import FILE [--json]``: contacts from a CSV file (issue 10's public contract).

Exit status 0: every row imported (or unchanged); 1: some rows rejected, the others imported;
2: the file is unusable (size, encoding, header) and nothing was imported. ``--json`` prints
``{"imported": n, "unchanged": n, "rejected": [{"row": n, "reason": "..."}], "notes": [{"row":
n, "note": "..."}]}`` (notes: imported rows whose newsletter "ja" was not carried out, and
why; an unusable file adds ``"error"``). ``--user`` (default ``PRIVACYDESK_USER``) names the
sales or admin staff member the audit log records; without it the import is recorded as
``system:cli``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, no_translations

from privacydesk.crm import importer
from privacydesk.spine.cli import USER_ENV, default_user, user_option
from privacydesk.spine.roles import ADMIN, SALES

USER_HELP = f"sales or admin staff member recorded in the audit log (default: ${USER_ENV})"


class Command(BaseCommand):
    help = "Customer relations: import contacts from a CSV file."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="NAME", default=default_user(), help=USER_HELP)
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="import contacts from a CSV file (exit 0 all, 1 some rejected, 2 unusable)",
            parents=[user_option(suppress=True, help=USER_HELP)],
        )
        imp.add_argument(
            "file",
            type=Path,
            help="CSV: name;email[;phone;function;organisation;newsletter]",
        )
        imp.add_argument("--json", action="store_true", help="print the report as JSON")

    @no_translations
    def handle(self, *args, action: str, user: str, **options):
        actor = self._actor(user)
        as_json = options["json"]
        try:
            report = importer.run_path(options["file"], actor=actor)
        except importer.Unusable as exc:
            if as_json:
                self.stdout.write(
                    json.dumps(
                        {
                            "imported": 0,
                            "unchanged": 0,
                            "rejected": [],
                            "notes": [],
                            "error": str(exc),
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                self.stderr.write(f"unusable file, nothing imported: {exc}")
            sys.exit(2)
        if as_json:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
        else:
            self.stdout.write(
                f"imported {report.imported} ({report.count(importer.CREATED)} new, "
                f"{report.count(importer.UPDATED)} updated), unchanged {report.unchanged}, "
                f"rejected {len(report.rejected)} (read as {report.encoding}, "
                f"separator {report.delimiter!r})"
            )
            if report.subscribed:
                self.stdout.write(f"added to the newsletter (soft opt-in): {report.subscribed}")
            for row in report.rows:
                if row.status == importer.REJECTED:
                    self.stdout.write(f"row {row.row}: {row.reason}")
                elif row.note:
                    self.stdout.write(f"row {row.row} (imported, note): {row.note}")
        if report.exit_status:
            sys.exit(report.exit_status)

    def _actor(self, username: str) -> str:
        if not username:
            return "system:cli"
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active staff user {username!r}", returncode=2)
        if user.role not in (SALES, ADMIN) and not user.is_superuser:
            raise CommandError(f"{username} is not a sales or admin staff member", returncode=2)
        return f"user:{user.pk}"
