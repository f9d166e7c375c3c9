"""``privacydesk audit verify``: walk the hash chain and name the first broken entry."""

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from privacydesk.audit.models import AuditEntry
from privacydesk.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. 'verify' checks the hash chain from the first entry to the last."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="verify the hash chain")
        verify.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, action: str, **options):
        if action == "verify":
            self._verify(show_progress=not options["no_progress"])

    def _verify(self, *, show_progress: bool) -> None:
        total = AuditEntry.objects.count()
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            disable=not show_progress,
            transient=True,
        ) as bar:
            task = bar.add_task("verifying audit chain", total=total)
            result = verify_chain(progress=lambda n: bar.advance(task, n))
        if not result.ok:
            raise CommandError(
                f"audit chain broken at entry #{result.broken_id}: {result.reason} "
                f"({result.checked} entries before it are intact)"
            )
        self.stdout.write(f"audit chain intact: {result.checked} entries verified")
