"""``privacydesk demo``: one staff user per role, with fresh passwords printed once."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.crypto import get_random_string
from rich.console import Console
from rich.table import Table

from privacydesk.accounts.roles import ROLES, assign_role, sync_roles
from privacydesk.audit.services import record

DEMO_USERS = {
    "technician": "technician",
    "sales": "sales",
    "privacy": "privacy_officer",
    "admin": "admin",
}


class Command(BaseCommand):
    help = "Load demo data: a staff user per role. Passwords are reset and printed each run."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo data is refused in production (PRIVACYDESK_PRODUCTION=1)")
        sync_roles()
        User = get_user_model()
        rows = []
        with transaction.atomic():
            for username, role in DEMO_USERS.items():
                user, _ = User.objects.get_or_create(
                    username=username, defaults={"is_staff": True, "first_name": "Demo"}
                )
                password = "-".join(get_random_string(5).lower() for _ in range(4))
                user.set_password(password)
                user.is_staff = True
                user.is_active = True
                user.save()
                assign_role(user, role)
                rows.append((username, password, str(ROLES[role].label)))
            record(actor="system:demo", action="demo.loaded", detail={"users": len(rows)})
        table = Table(title="Demo staff logins (2FA enrolment at first sign-in)")
        for column in ("username", "password", "role"):
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        Console(file=self.stdout._out, width=100).print(table)
