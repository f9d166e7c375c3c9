"""The record of processing activities (Art. 30(1) GDPR), built from the privacy model (P5).

One language per register: the column headings, the legal bases and the retention periods
are in the language asked for (the page's, or ``lang`` for an export). The exports keep
stable machine keys: the JSON's object keys and the CSV's column order are the keys of
:data:`COLUMNS`, whatever the language; the CSV's first row holds the translated headings
(``Art. 30(1)(b) Verwerking``), for the person who opens it in a spreadsheet. The JSON adds
the model's raw codes (legal basis key, ISO 8601 period, retention event) per activity.
"""

from __future__ import annotations

import csv
import io
import json

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacydesk.policy import labels
from privacydesk.policy.schema import Activity, PrivacyModel
from privacydesk.policy.services import activity_view, processor_views

#: Column key (stable, machine-readable) -> (Art. 30(1) point, heading).
COLUMNS = {
    "controller": ("a", gettext_lazy("Name and contact details of the controller")),
    "activity": ("b", gettext_lazy("Processing activity")),
    "purpose": ("b", gettext_lazy("Purposes of the processing")),
    "legal_basis": ("b", gettext_lazy("Legal basis (Art. 6(1))")),
    "data_subjects": ("c", gettext_lazy("Categories of data subjects")),
    "data_categories": ("c", gettext_lazy("Categories of personal data")),
    "recipients": ("d", gettext_lazy("Categories of recipients")),
    "processors": ("d", gettext_lazy("Processors")),
    "transfers": ("e", gettext_lazy("Transfers to third countries")),
    "retention": ("f", gettext_lazy("Time limits for erasure")),
    "security": ("g", gettext_lazy("Technical and organisational security measures")),
}


def headings(lang: str) -> dict[str, tuple[str, str]]:
    """Column key -> (Art. 30(1) point, heading in ``lang``)."""
    with translation.override(lang):
        return {key: (point, str(title)) for key, (point, title) in COLUMNS.items()}


def register_rows(model: PrivacyModel, lang: str = "en") -> list[dict[str, str]]:
    with translation.override(lang):
        return [_row(model, activity, lang) for activity in model.activities]


def _row(model: PrivacyModel, activity: Activity, lang: str) -> dict[str, str]:
    c = model.controller
    controller = f"{c.name}, {c.street}, {c.postcode} {c.city}, {c.email}"
    none = _("none")
    view = activity_view(model, activity, lang)
    processors = processor_views(model, activity.processors, lang)
    described = [
        ", ".join(part for part in (p.name, p.service, p.location) if part) for p in processors
    ]
    transfers = [view.transfers] if view.transfers else []
    transfers += [f"{p.name} ({p.location}): {p.safeguards}" for p in processors if p.third_country]
    retention = labels.retention(activity.retention.duration, activity.retention.from_, lang)
    return {
        "controller": controller,
        "activity": view.name,
        "purpose": view.purpose,
        "legal_basis": f"{labels.legal_basis(activity.legal_basis, lang)} — "
        f"{view.legal_basis_detail}",
        "data_subjects": "; ".join(view.data_subjects),
        "data_categories": "; ".join(view.data_categories),
        "recipients": "; ".join(view.recipients) or none,
        "processors": "; ".join(described) or none,
        "transfers": "; ".join(transfers) or none,
        "retention": f"{retention} — {view.retention_reason}",
        "security": "; ".join(view.security_measures),
    }


def export_csv(model: PrivacyModel, lang: str = "en") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writerow({key: f"Art. 30(1)({p}) {title}" for key, (p, title) in headings(lang).items()})
    writer.writerows(register_rows(model, lang))
    return out.getvalue()


def export_json(model: PrivacyModel, lang: str = "en") -> str:
    doc = {
        "controller": model.controller.model_dump(),
        "language": lang,
        "columns": {
            key: {"article": f"30(1)({p})", "title": t} for key, (p, t) in headings(lang).items()
        },
        "activities": register_rows(model, lang),
        "codes": [
            {
                "activity": a.id,
                "legal_basis": a.legal_basis,
                "retention": a.retention.duration,
                "retention_from": a.retention.from_,
            }
            for a in model.activities
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
