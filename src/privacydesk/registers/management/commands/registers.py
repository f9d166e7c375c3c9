"""``privacydesk registers export --kind disclosures|processors|breaches --format csv|json``."""

from django.core.management.base import BaseCommand

from privacydesk.registers import services


class Command(BaseCommand):
    help = "The registers of disclosures, processors and data breaches."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write one register to standard output")
        export.add_argument("--kind", choices=services.KINDS, required=True)
        export.add_argument("--format", choices=["csv", "json"], required=True)

    def handle(self, *args, action: str, kind: str, format: str, **options):
        text = services.export(kind, format, actor="system:cli", via="cli")
        self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
