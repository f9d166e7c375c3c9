"""``privacydesk demo``: one staff user per role, with fresh passwords printed once, then each
installed app's own demo records (the function ``load(*, console)`` of its ``demo.py``)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.crypto import get_random_string
from rich.console import Console
from rich.table import Table

from privacydesk.accounts.roles import ROLES, assign_role, sync_roles
from privacydesk.audit.services import record
from privacydesk.spine.plugins import app_modules

# One person per role, with the name the back office greets them by ("Welcome, Sanne") and an
# address on a reserved domain (RFC 2606) for the notices about their account.
DEMO_USERS = {
    "technician": ("technician", "Sanne", "de Vries"),
    "sales": ("sales", "Joost", "Bakker"),
    "privacy": ("privacy_officer", "Fatima", "El Amrani"),
    "admin": ("admin", "Pieter", "Jansen"),
}
DEMO_DOMAIN = "demo.compjoeter.example"


class Command(BaseCommand):
    help = (
        "Load demo data: a staff user per role (passwords are reset and printed each run) and "
        "each app's demo records."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo data is refused in production (PRIVACYDESK_PRODUCTION=1)")
        sync_roles()
        User = get_user_model()
        rows = []
        with transaction.atomic():
            for username, (role, first_name, last_name) in DEMO_USERS.items():
                user, _ = User.objects.get_or_create(username=username)
                password = "-".join(get_random_string(5).lower() for _ in range(4))
                user.set_password(password)
                user.first_name, user.last_name = first_name, last_name
                user.email = f"{username}@{DEMO_DOMAIN}"
                user.is_staff = True
                user.is_active = True
                user.save()
                assign_role(user, role, actor="system:demo")
                rows.append(
                    (username, password, str(ROLES[role].label), f"{first_name} {last_name}")
                )
            record(actor="system:demo", action="demo.loaded", detail={"users": len(rows)})
        table = Table(title="Demo staff logins (2FA enrolment at first sign-in)")
        for column in ("username", "password", "role", "name"):
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        console = Console(file=self.stdout._out, width=100)
        console.print(table)
        # Each app adds its own records (lists, contacts, downloads, ...); loading twice adds
        # nothing twice.
        for _config, module in app_modules("demo"):
            with transaction.atomic():
                lines = module.load(console=console)
            for line in lines or ():
                console.print(line)
