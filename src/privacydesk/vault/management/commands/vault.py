"""``privacydesk vault ...``: intake, storing, reading and erasure from the command line.

Streaming throughout: a disk image of hundreds of GB goes through in constant memory, with a
progress bar and throughput.

``--user NAME`` names the staff member the audit log records; it is accepted before or after
any subcommand (``vault --user anna key ITEM`` and ``vault key ITEM --user anna``), default
``PRIVACYDESK_USER`` (``PRIVACYDESK_CLI_USER`` is the older name, still read). ``job create``
needs a technician (the job is theirs in the web UI); ``key`` needs an admin.

The command line speaks English, like Django's own commands (messages from the database or
Django's validators are not translated here); web pages and e-mails follow their reader's
language. Sizes use the one format of ``vault.sizes``; names the one rule of ``vault.names``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, no_translations
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from privacydesk.audit.services import record, subject_ref
from privacydesk.spine.cli import OLD_USER_ENV, USER_ENV, default_user, user_option
from privacydesk.vault import erasure, names, services, storage
from privacydesk.vault.models import RecoveryJob, VaultItem
from privacydesk.vault.sizes import format_size

USER_HELP = (
    f"staff user recorded in the audit log (default: ${USER_ENV}, or ${OLD_USER_ENV}); "
    "for job create the job's technician, for key an admin"
)


def _progress(console: Console, *, enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),  # decimal units, as vault.sizes
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
        transient=False,
    )


def _user_option(*, suppress: bool) -> argparse.ArgumentParser:
    return user_option(suppress=suppress, help=USER_HELP)


class Command(BaseCommand):
    help = "The recovery vault: jobs, items, keys, erasure sweep and certificates."
    # Run for every file a technician stores: Django's system checks (admin, URLs, security
    # settings) guard the web site and run with ``migrate``, ``check`` and the server, not here.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="NAME", default=default_user(), help=USER_HELP)
        common = [_user_option(suppress=True)]
        sub = parser.add_subparsers(dest="action", required=True)

        job = sub.add_parser("job", help="recovery jobs", parents=common)
        job_sub = job.add_subparsers(dest="job_action", required=True)
        create = job_sub.add_parser(
            "create",
            parents=common,
            help="create a job for the --user technician; prints id, link, PIN; e-mails the link",
        )
        create.add_argument("--contact", required=True, help="customer contact e-mail")
        create.add_argument("--device", required=True, help="device description")
        create.add_argument("--json", action="store_true")

        put = sub.add_parser("put", parents=common, help="store files or directory trees in a job")
        put.add_argument("--job", type=int, required=True)
        put.add_argument("paths", nargs="+", type=Path)
        put.add_argument(
            "--again",
            action="store_true",
            help="store a file even if the job has one with the same name and SHA-256",
        )
        put.add_argument("--json", action="store_true")
        put.add_argument("--no-progress", action="store_true")

        get = sub.add_parser("get", parents=common, help="write an item to a file")
        get.add_argument("item")
        get.add_argument("--out", type=Path, required=True, help="a file, or a directory")
        get.add_argument("--force", action="store_true", help="replace an existing file")
        get.add_argument("--encrypted", action="store_true", help="the stored age file as is")
        get.add_argument("--no-progress", action="store_true")

        ls = sub.add_parser("ls", parents=common, help="list items (audited)")
        ls.add_argument("--job", type=int)
        ls.add_argument("--json", action="store_true")

        key = sub.add_parser("key", parents=common, help="print an item's age identity (admin)")
        key.add_argument("item")
        sub.add_parser("sweep", parents=common, help="erase everything whose day has passed")
        verify = sub.add_parser(
            "verify-certificate", parents=common, help="check a deletion certificate"
        )
        verify.add_argument("file", type=Path)
        verify.add_argument("--public-key", type=Path, help="trusted public key (PEM)")
        cert = sub.add_parser(
            "certificate", parents=common, help="write a job's deletion certificate(s) (audited)"
        )
        cert.add_argument("--job", type=int, required=True)

    @no_translations
    def handle(self, *args, action: str, **options):
        self.console = Console(file=self.stderr._out, stderr=True)
        handler = getattr(self, f"cmd_{action.replace('-', '_')}")
        try:
            handler(**options)
        except (services.VaultError, ValidationError) as exc:
            raise CommandError(_message(exc)) from None

    # -- helpers ---------------------------------------------------------------------------
    def _user(self, username: str, *, role: str | None = None):
        """The active staff user ``username`` (None when no name was given)."""
        if not username:
            if role:
                raise CommandError(
                    f"--user is required (a user with the {role} role; or set {USER_ENV})"
                )
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active staff user {username!r}")
        if role and user.role != role and not user.is_superuser:
            raise CommandError(f"{username} does not have the {role} role")
        return user

    def _actor(self, username: str, *, role: str | None = None) -> str:
        user = self._user(username, role=role)
        return f"user:{user.pk}" if user is not None else "system:cli"

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
        technician = self._user(user, role="technician")
        new = services.create_job(
            contact_email=contact,
            device=device,
            technician=technician,
            actor=f"user:{technician.pk}",
        )
        if json:
            self._json({"id": new.job.pk, "link": new.link, "pin": new.pin, "mailed": new.mailed})
            return
        mailed = (
            "the link was e-mailed to the customer (the PIN never is)"
            if new.mailed
            else "NOT sent; give the customer the link on the intake receipt"
        )
        self.stdout.write(
            f"job:    {new.job.pk}\nlink:   {new.link}\npin:    {new.pin}\ne-mail: {mailed}"
        )

    def cmd_put(self, *, job, paths, user, json, no_progress, again, **options):
        actor = self._actor(user)
        target = self._get_job(job)
        files = list(services.walk(paths))
        total = sum(path.stat().st_size for path, _raw, _name in files)
        results: list[tuple[VaultItem, bool]] = []
        with _progress(self.console, enabled=not no_progress and not json) as bar:
            overall = bar.add_task(f"{len(files)} file(s)", total=total)
            for path, raw, display in files:
                existing = None if again else services.stored_copy(target, path, raw)
                if existing is not None:
                    bar.advance(overall, existing.size)
                    results.append((existing, True))
                    continue
                with open(path, "rb", buffering=storage.BUFFER) as source:
                    item = services.store(
                        target,
                        source,
                        raw_name=raw,
                        display=display,
                        actor=actor,
                        progress=lambda n: bar.advance(overall, n),
                    )
                results.append((item, False))
        if json:
            self._json([{**_item_json(i), "skipped": skipped} for i, skipped in results])
            return
        for item, skipped in results:
            name = names.clean(item.name)
            if skipped:
                self.stdout.write(
                    f"skipped {name}: already in job {target.pk} as item {item.pk} "
                    "(same name and SHA-256; --again stores it anyway)"
                )
            else:
                self.stdout.write(f"stored  {item.pk}  {format_size(item.size):>10}  {name}")

    def cmd_get(self, *, item, out, encrypted, user, no_progress, force, **options):
        actor = self._actor(user)
        found = self._item(item)
        if out.is_dir():
            out = out / "_".join(names.file_parts(found.name))
        if not force and (out.exists() or out.is_symlink()):  # before any progress is shown
            raise CommandError(f"{out} exists; --force replaces it")
        size = found.size if not encrypted else None
        with _progress(self.console, enabled=not no_progress) as bar:
            task = bar.add_task(names.clean(found.name), total=size)
            try:
                services.export_to_file(
                    found,
                    out,
                    encrypted=encrypted,
                    actor=actor,
                    overwrite=force,
                    progress=lambda n: bar.advance(task, n),
                )
            except services.TargetExists:
                raise CommandError(f"{out} exists; --force replaces it") from None
            except services.keyring.KeyDestroyed:
                raise CommandError(f"item {found.pk} is erased; nobody can read it") from None
            except (OSError, services.ContentMismatch) as exc:
                raise CommandError(f"item {found.pk} failed verification: {exc}") from None
        self.stdout.write(str(out))

    def cmd_ls(self, *, job, json, user, **options):
        actor = self._actor(user)
        items = VaultItem.objects.order_by("job_id", "name")
        target = None
        if job is not None:
            target = self._get_job(job)
            items = items.filter(job=target)
        items = list(items)
        record(
            actor=actor,
            action="vault.items_listed",
            obj=target,
            subject=subject_ref("email", target.contact_email) if target else "",
            detail={"job": job, "count": len(items), "via": "cli"},
        )
        if json:
            self._json([_item_json(i) for i in items])
            return
        for i in items:
            self.stdout.write(
                f"{i.pk}  job {i.job_id:<5} {i.state:<7} {format_size(i.size):>10}  "
                f"{i.expires_on}  {names.clean(i.name)}"
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

    def cmd_certificate(self, *, job, user, **options):
        actor = self._actor(user)
        target = self._get_job(job)
        certificates = list(target.certificates.order_by("issued_at"))
        if not certificates:
            raise CommandError(f"job {target.pk} has no deletion certificate yet")
        for certificate in certificates:
            record(
                actor=actor,
                action="vault.certificate_downloaded",
                obj=certificate,
                subject=subject_ref("email", target.contact_email),
                detail={"job": target.pk, "via": "cli"},
            )
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
        "name": names.clean(item.name),
        "size": item.size,
        "sha256": item.sha256,
        "expires": item.expires_on.isoformat(),
        "state": item.state,
    }


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)
