"""The access package (Art. 15) and the portability file (Art. 20) of one request.

Built from the export plan's results, so every registered source is asked; a source that
raises fails the plan and with it the package (never a package with a source left out).
The package is a ZIP file with:

- ``data.json``: every record, each with its source and processing activity;
- one CSV per kind of record (per source);
- ``report.html``: a readable report in the requester's language answering Art. 15(1)(a)-(h)
  from the privacy model (purposes, categories, recipients, retention, the rights, the right
  to complain, the source of the data, automated decisions).

Portability gives ``data.json`` only, of the fields the person provided. The file lies in the
default storage under ``rights/packages/`` until its link expires (``expire_packages``).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from privacydesk.audit.services import record
from privacydesk.policy.plans import PlanRun
from privacydesk.rights.models import Request
from privacydesk.spine import registry

FOLDER = "rights/packages"


def contents(req: Request, run: PlanRun) -> dict[str, bytes]:
    """The files of the package, by name."""
    portability = req.kind == Request.Kind.PORTABILITY
    records = []
    by_source: dict[str, list[dict]] = {}
    for step in run.steps:
        rows = run.results.get(step.source)
        if rows is None:  # every step of an export runs each time; a missing one is a bug
            raise RuntimeError(f"source {step.source} gave no rows")
        src = registry.source(step.source)
        provided = registry.provided_fields(src) if portability else None
        for row in rows:
            if provided is not None:
                row = {k: v for k, v in row.items() if k in provided or k == "id"}
            by_source.setdefault(step.source, []).append(row)
            records.append({"source": step.source, "activity": src.activity, "data": row})
    data = {
        "request": {
            "id": req.pk,
            "kind": req.kind,
            "received_at": req.received_at.isoformat(),
            "due_on": req.deadline.isoformat(),
        },
        "generated_at": timezone.now().isoformat(),
        "sources": sorted(by_source),
        "records": records,
    }
    files = {"data.json": json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()}
    if portability:
        return files
    for label, rows in sorted(by_source.items()):
        files[f"{label.replace('.', '-')}.csv"] = _csv(rows)
    with translation.override(req.language):
        files["report.html"] = render_to_string(
            "rights/report.html", report_context(req, by_source)
        ).encode()
    return files


def report_context(req: Request, by_source: dict[str, list[dict]]) -> dict:
    from privacydesk.policy.services import current_model
    from privacydesk.rights.services import activities_for

    model = current_model()
    lang = req.language
    labels = sorted(by_source)
    return {
        "req": req,
        "lang": lang,
        "controller": model.controller,
        "authority": model.supervisory_authority.get(lang),
        "activities": activities_for(labels),
        "sources": [
            {"label": label, "rows": len(rows), "activity": registry.source(label).activity}
            for label, rows in sorted(by_source.items())
        ],
        "total": sum(len(rows) for rows in by_source.values()),
    }


def _csv(rows: list[dict]) -> bytes:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue().encode("utf-8-sig")


def _cell(value) -> str:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = "" if value is None else str(value)
    # A cell that a spreadsheet would run as a formula is written as text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def build(req: Request, run: PlanRun, *, actor: str) -> str:
    """Write the package to storage, remember it on the request; returns its storage name."""
    files = contents(req, run)
    old = req.package
    name = default_storage.save(
        f"{FOLDER}/{req.pk}-{secrets.token_hex(8)}.zip", ContentFile(zipped(files))
    )
    expires = timezone.now() + timedelta(seconds=settings.RIGHTS_PACKAGE_SECONDS)
    Request.objects.filter(pk=req.pk).update(package=name, package_expires_at=expires)
    req.package, req.package_expires_at = name, expires
    if old and old != name:
        default_storage.delete(old)
    record(
        actor=actor,
        action="rights.package_built",
        obj=req,
        detail={"files": sorted(files), "records": len(json.loads(files["data.json"])["records"])},
    )
    return name


def write(req: Request, run: PlanRun, directory) -> list[str]:
    """Write the package's files into ``directory`` (the CLI)."""
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = contents(req, run)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return sorted(files)


def expire_packages(*, now=None) -> int:
    """Delete packages whose link has expired (the data stays where it is, not in a copy)."""
    now = now or timezone.now()
    count = 0
    for req in Request.objects.exclude(package="").filter(package_expires_at__lt=now):
        default_storage.delete(req.package)
        Request.objects.filter(pk=req.pk).update(package="", package_expires_at=None)
        count += 1
    return count
