"""``privacydesk promises check [--json]``: every promise against live data; exit 1 on failure."""

import json

from django.core.management.base import BaseCommand, CommandError

from privacydesk.promises import services
from privacydesk.spine.promises import FAILED


class Command(BaseCommand):
    help = "Check every promise of the privacy policy against live data (P1-P15)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="one line per promise; exit 1 when one failed")
        check.add_argument("--json", action="store_true", help="a JSON list instead of lines")

    def handle(self, *args, action: str, json: bool = False, **options):
        outcomes = services.check(actor="system:cli")
        if json:
            self.stdout.write(_dumps(outcomes))
        else:
            for o in outcomes:
                label = "FAILED" if o.status == FAILED else o.status
                self.stdout.write(f"{o.promise} {label} {o.evidence}".rstrip())
        failed = [o.promise for o in outcomes if o.status == FAILED]
        if failed:
            raise CommandError(f"promise failed: {', '.join(failed)}", returncode=1)


def _dumps(outcomes) -> str:
    return json.dumps(
        [{"promise": o.promise, "status": o.status, "evidence": o.evidence} for o in outcomes],
        indent=2,
    )
