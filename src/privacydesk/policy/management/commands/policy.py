"""``privacydesk policy show|publish|check|load``."""

from django.core.management.base import BaseCommand, CommandError

from privacydesk.policy import services
from privacydesk.policy.checks import run_checks
from privacydesk.policy.schema import PrivacyModelError


class Command(BaseCommand):
    help = "The privacy model and the published privacy policy."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="print the current published policy")
        show.add_argument("--lang", choices=services.LANGS, default="nl")
        show.add_argument("--version", type=int, default=None, help="an earlier version")
        publish = sub.add_parser("publish", help="publish a new version from the model")
        publish.add_argument("--note", required=True, help="what changed, for the change log")
        sub.add_parser("check", help="compare model, published text and configuration")
        sub.add_parser("load", help="validate the model file and load it into the database")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except PrivacyModelError as exc:
            raise CommandError(str(exc)) from None

    def _show(self, *, lang: str, version: int | None, **options):
        from privacydesk.policy.models import PolicyVersion

        shown = (
            PolicyVersion.objects.filter(number=version).first()
            if version
            else services.latest_version()
        )
        if shown is None:
            raise CommandError("no such policy version")
        self.stdout.write(shown.text(lang))

    def _publish(self, *, note: str, **options):
        try:
            version = services.publish(note=note, actor="system:cli")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"published privacy policy v{version.number} ({version.effective_date})")

    def _check(self, **options):
        problems = run_checks()
        for problem in problems:
            self.stderr.write(f"MISMATCH: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} mismatch(es) between policy and software")
        self.stdout.write("policy, model and configuration agree")

    def _load(self, **options):
        revision = services.sync_model()
        self.stdout.write(f"privacy model loaded (revision {revision.sha256[:12]})")
