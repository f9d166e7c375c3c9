"""``privacydesk register export --format csv|json``: the Art. 30 register on stdout."""

from django.core.management.base import BaseCommand

from privacydesk.audit.services import record
from privacydesk.policy import register, services


class Command(BaseCommand):
    help = "The record of processing activities (Art. 30(1) GDPR)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the register to standard output")
        export.add_argument("--format", choices=["csv", "json"], default="csv")
        export.add_argument("--lang", choices=services.LANGS, default="en")

    def handle(self, *args, action: str, format: str, lang: str, **options):
        model = services.current_model()
        text = (register.export_csv if format == "csv" else register.export_json)(model, lang)
        self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
        record(
            actor="system:cli",
            action="register.exported",
            detail={"format": format, "language": lang, "via": "cli"},
        )
