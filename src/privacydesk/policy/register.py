"""The record of processing activities (Art. 30(1) GDPR), built from the privacy model (P5)."""

from __future__ import annotations

import csv
import io
import json

from privacydesk.policy.schema import PrivacyModel
from privacydesk.policy.services import activity_view

#: Column key -> (Art. 30(1) point, heading).
COLUMNS = {
    "controller": ("a", "Name and contact details of the controller"),
    "activity": ("b", "Processing activity"),
    "purpose": ("b", "Purposes of the processing"),
    "legal_basis": ("b", "Legal basis (Art. 6(1))"),
    "data_subjects": ("c", "Categories of data subjects"),
    "data_categories": ("c", "Categories of personal data"),
    "recipients": ("d", "Categories of recipients"),
    "processors": ("d", "Processors"),
    "transfers": ("e", "Transfers to third countries"),
    "retention": ("f", "Time limits for erasure"),
    "security": ("g", "Technical and organisational security measures"),
}


def register_rows(model: PrivacyModel, lang: str = "en") -> list[dict[str, str]]:
    c = model.controller
    controller = f"{c.name}, {c.street}, {c.postcode} {c.city}, {c.email}"
    none = "geen" if lang == "nl" else "none"
    rows = []
    for activity in model.activities:
        view = activity_view(model, activity, lang)
        rows.append(
            {
                "controller": controller,
                "activity": view.name,
                "purpose": view.purpose,
                "legal_basis": f"Art. {view.legal_basis_article} — {view.legal_basis_detail}",
                "data_subjects": "; ".join(view.data_subjects),
                "data_categories": "; ".join(view.data_categories),
                "recipients": "; ".join(view.recipients) or none,
                "processors": "; ".join(view.processors) or none,
                "transfers": view.transfers or none,
                "retention": f"{view.retention} ({activity.retention.duration}, from "
                f"{activity.retention.from_}) — {view.retention_reason}",
                "security": "; ".join(view.security_measures),
            }
        )
    return rows


def export_csv(model: PrivacyModel, lang: str = "en") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writerow({key: f"Art. 30(1)({p}) {title}" for key, (p, title) in COLUMNS.items()})
    writer.writerows(register_rows(model, lang))
    return out.getvalue()


def export_json(model: PrivacyModel, lang: str = "en") -> str:
    doc = {
        "controller": model.controller.model_dump(),
        "columns": {key: {"article": f"30(1)({p})", "title": t} for key, (p, t) in COLUMNS.items()},
        "activities": register_rows(model, lang),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
