"""``privacydesk vault ...``: intake, storing, reading and erasure from the command line.

Streaming throughout: a disk image of hundreds of GB goes through in constant memory, with a
progress bar and throughput. ``--user`` names the staff member the audit log records
(default: ``PRIVACYDESK_CLI_USER``); ``vault key`` requires a user with the admin role.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from privacydesk.vault import erasure, services, storage
from privacydesk.vault.models import RecoveryJob, VaultItem


def _progress(console: Console, *, enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
        transient=False,
    )


class Command(BaseCommand):
    help = "The recovery vault: jobs, items, keys, erasure sweep and certificates."
    # Run for every file a technician stores: Django's system checks (admin, URLs, security
    # settings) guard the web site and run with ``migrate``, ``check`` and the server, not here.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--user", default=os.environ.get("PRIVACYDESK_CLI_USER", ""))
        sub = parser.add_subparsers(dest="action", required=True)

        job = sub.add_parser("job", help="recovery jobs").add_subparsers(dest="job_action")
        create = job.add_parser("create", help="create a job; prints id, link and PIN")
        create.add_argument("--contact", required=True, help="customer contact e-mail")
        create.add_argument("--device", required=True, help="device description")
        create.add_argument("--json", action="store_true")

        put = sub.add_parser("put", help="store files or directory trees in a job")
        put.add_argument("--job", type=int, required=True)
        put.add_argument("paths", nargs="+", type=Path)
        put.add_argument("--json", action="store_true")
        put.add_argument("--no-progress", action="store_true")

        get = sub.add_parser("get", help="write an item to a file")
        get.add_argument("item")
        get.add_argument("--out", type=Path, required=True)
        get.add_argument("--encrypted", action="store_true", help="the stored age file as is")
        get.add_argument("--no-progress", action="store_true")

        ls = sub.add_parser("ls", help="list items")
        ls.add_argument("--job", type=int)
        ls.add_argument("--json", action="store_true")

        sub.add_parser("key", help="print an item's age identity (admin)").add_argument("item")
        sub.add_parser("sweep", help="erase everything whose day has passed")
        verify = sub.add_parser("verify-certificate", help="check a deletion certificate")
        verify.add_argument("file", type=Path)
        verify.add_argument("--public-key", type=Path, help="trusted public key (PEM)")
        cert = sub.add_parser("certificate", help="write a job's deletion certificate(s)")
        cert.add_argument("--job", type=int, required=True)

    def handle(self, *args, action: str, **options):
        self.console = Console(file=self.stderr._out, stderr=True)
        handler = getattr(self, f"cmd_{action.replace('-', '_')}")
        try:
            handler(**options)
        except (services.VaultError, ValidationError) as exc:
            raise CommandError(_message(exc)) from None

    # -- helpers ---------------------------------------------------------------------------
    def _actor(self, username: str, *, role: str | None = None) -> str:
        if not username:
            if role:
                raise CommandError(f"--user is required (a user with the {role} role)")
            return "system:cli"
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active staff user {username!r}")
        if role and user.role != role and not user.is_superuser:
            raise CommandError(f"{username} does not have the {role} role")
        return f"user:{user.pk}"

    def _get_job(self, job_id: int) -> RecoveryJob:
        job = RecoveryJob.objects.filter(pk=job_id).first()
        if job is None:
            raise CommandError(f"no recovery job #{job_id}")
        return job

    def _item(self, item_id: str) -> VaultItem:
        try:
            item = VaultItem.objects.select_related("job").filter(pk=item_id).first()
        except ValidationError:
            item = None
        if item is None:
            raise CommandError(f"no vault item {item_id}")
        return item

    def _json(self, data) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    # -- actions ---------------------------------------------------------------------------
    def cmd_job(self, *, job_action, user, contact=None, device=None, json=False, **options):
        if job_action != "create":
            raise CommandError("usage: privacydesk vault job create --contact EMAIL --device TEXT")
        actor = self._actor(user)
        technician = (
            get_user_model().objects.get(pk=actor[5:]) if actor.startswith("user:") else None
        )
        new = services.create_job(
            contact_email=contact, device=device, technician=technician, actor=actor
        )
        if json:
            self._json({"id": new.job.pk, "link": new.link, "pin": new.pin})
        else:
            self.stdout.write(f"job:  {new.job.pk}\nlink: {new.link}\npin:  {new.pin}")

    def cmd_put(self, *, job, paths, user, json, no_progress, **options):
        actor = self._actor(user)
        target = self._get_job(job)
        files = list(services.walk(paths))
        total = sum(path.stat().st_size for path, _raw, _name in files)
        stored = []
        with _progress(self.console, enabled=not no_progress and not json) as bar:
            overall = bar.add_task(f"{len(files)} file(s)", total=total)
            for path, raw, display in files:
                with open(path, "rb", buffering=storage.BUFFER) as source:
                    item = services.store(
                        target,
                        source,
                        raw_name=raw,
                        display=display,
                        actor=actor,
                        progress=lambda n: bar.advance(overall, n),
                    )
                stored.append(item)
        if json:
            self._json([_item_json(i) for i in stored])
        else:
            for item in stored:
                self.stdout.write(f"{item.pk}  {item.size:>14}  {item.name}")

    def cmd_get(self, *, item, out, encrypted, user, no_progress, **options):
        actor = self._actor(user)
        found = self._item(item)
        if out.is_dir():
            out = out / found.name.replace(" / ", "_")
        size = found.size if not encrypted else None
        with _progress(self.console, enabled=not no_progress) as bar:
            task = bar.add_task(found.name, total=size)
            try:
                services.export_to_file(
                    found,
                    out,
                    encrypted=encrypted,
                    actor=actor,
                    progress=lambda n: bar.advance(task, n),
                )
            except services.keyring.KeyDestroyed:
                raise CommandError(f"item {found.pk} is erased; nobody can read it") from None
            except (OSError, services.ContentMismatch) as exc:
                raise CommandError(f"item {found.pk} failed verification: {exc}") from None
        self.stdout.write(str(out))

    def cmd_ls(self, *, job, json, **options):
        items = VaultItem.objects.order_by("job_id", "name")
        if job is not None:
            items = items.filter(job=self._get_job(job))
        if json:
            self._json([_item_json(i) for i in items])
            return
        for i in items:
            self.stdout.write(
                f"{i.pk}  job {i.job_id:<5} {i.state:<7} {i.size:>14}  {i.expires_on}  {i.name}"
            )

    def cmd_key(self, *, item, user, **options):
        actor = self._actor(user, role="admin")
        found = self._item(item)
        try:
            self.stdout.write(services.reveal_key(found, actor=actor))
        except services.keyring.KeyDestroyed:
            raise CommandError(f"item {found.pk} is erased; its key no longer exists") from None

    def cmd_sweep(self, **options):
        report = erasure.sweep()
        self.stdout.write(
            f"day keys destroyed: {len(report.keys_destroyed)}, items erased: "
            f"{report.items_erased}, blobs deleted: {report.blobs_deleted}, certificates: "
            f"{len(report.certificates)}, leftovers removed: {report.leftovers_removed}"
        )

    def cmd_certificate(self, *, job, **options):
        for certificate in self._get_job(job).certificates.order_by("issued_at"):
            self.stdout.write(erasure.certificate_file(certificate))

    def cmd_verify_certificate(self, *, file, public_key, **options):
        trusted = public_key.read_text() if public_key else None
        try:
            document = erasure.verify_certificate(file.read_text(), trusted_public_key_pem=trusted)
        except (OSError, ValueError) as exc:
            raise CommandError(f"certificate NOT valid: {exc}") from None
        self.stdout.write(
            f"certificate valid: job {document['job']}, {len(document['items'])} item(s) erased "
            f"under '{document['rule']}', issued {document['issued_at']}"
        )


def _item_json(item: VaultItem) -> dict:
    return {
        "id": str(item.pk),
        "job": item.job_id,
        "name": item.name,
        "size": item.size,
        "sha256": item.sha256,
        "expires": item.expires_on.isoformat(),
        "state": item.state,
    }


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)
