"""``privacydesk tracking stats [--json]``: event counts by kind and consent decisions by kind.

Aggregates only (no visitor, no page of a visitor), for monitors and tests.
"""

import json

from django.core.management.base import BaseCommand

from privacydesk.tracking import services


class Command(BaseCommand):
    help = "Tracking figures: events by kind, consent decisions by kind."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        stats = sub.add_parser("stats", help="events by kind and consent decisions by kind")
        stats.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, action: str, **options):
        figures = services.stats()
        if options["json"]:
            self.stdout.write(json.dumps(figures, sort_keys=True))
            return
        self.stdout.write("events")
        for kind, count in figures["events"].items():
            self.stdout.write(f"  {kind:<12} {count}")
        self.stdout.write(f"visitors       {figures['visitors']}")
        self.stdout.write("consent decisions")
        for kind, count in figures["consent"].items():
            self.stdout.write(f"  {kind:<12} {count}")
