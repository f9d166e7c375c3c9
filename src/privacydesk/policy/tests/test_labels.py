"""One language per page: the register, its exports and the admin name the model's keys.

Issue 8 ("Seen" 6, 9): the Dutch register had English headings, the admin showed
``legal_obligation``, ``P5Y`` and ``end_of_fiscal_year``, and viewing the register left no
audit entry.
"""

import csv
import io
import json
import re
from typing import get_args

import pytest

from privacydesk.audit.models import AuditEntry
from privacydesk.policy import labels
from privacydesk.policy.register import COLUMNS
from privacydesk.policy.schema import LEGAL_BASES, RetentionEvent

RAW_KEYS = ("legal_obligation", "legitimate_interests", "end_of_fiscal_year", "P7Y", "P5Y")


def visible_text(html: str) -> str:
    """The text a person reads: no tags, so keys in links and attributes do not count."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", "Wettelijke verplichting (art. 6 lid 1 sub c AVG)"),
        ("en", "Legal obligation (Art. 6(1)(c) GDPR)"),
    ],
)
def test_legal_basis_names_its_letter(lang, expected):
    assert labels.legal_basis("legal_obligation", lang) == expected


@pytest.mark.parametrize(
    ("iso", "event", "lang", "expected"),
    [
        ("P7Y", "end_of_fiscal_year", "nl", "7 jaar na het einde van het boekjaar"),
        ("P7Y", "end_of_fiscal_year", "en", "7 years after the end of the fiscal year"),
        ("P5Y", "disclosure", "nl", "5 jaar na de verstrekking"),
        ("P1M", "storage", "en", "1 month after storage"),
        ("P0D", "withdrawal", "nl", "tot de intrekking van de toestemming of de afmelding"),
    ],
)
def test_retention_is_said_in_words(iso, event, lang, expected):
    assert labels.retention(iso, event, lang) == expected


def test_every_key_has_a_name_in_both_languages():
    assert set(labels.LEGAL_BASIS_NAMES) == set(LEGAL_BASES)
    assert set(labels.RETENTION_EVENT_NAMES) == set(get_args(RetentionEvent))
    for key in get_args(RetentionEvent):
        assert labels.retention("P1Y", key, "nl") != labels.retention("P1Y", key, "en")


def test_dutch_register_page_is_dutch_and_audited(staff_client):
    client = staff_client("privacy_officer")
    page = client.get("/staff/register/", HTTP_ACCEPT_LANGUAGE="nl")
    text = visible_text(page.content.decode())
    assert "Categorieën betrokkenen" in text
    assert "Termijnen voor het wissen" in text
    for english in ("Categories of data subjects", "Time limits for erasure", "Processors"):
        assert english not in text
    assert "Wettelijke verplichting (art. 6 lid 1 sub c AVG)" in text
    assert "7 jaar na het einde van het boekjaar" in text
    for key in RAW_KEYS:
        assert key not in text
    entry = AuditEntry.objects.get(action="register.viewed")
    assert entry.actor == f"user:{client.user.pk}" and entry.detail == {"language": "nl"}


def test_exports_keep_machine_keys_with_translated_headings(staff_client):
    client = staff_client("admin")
    response = client.get("/staff/register/export.csv?lang=nl")
    rows = list(csv.DictReader(io.StringIO(response.content.decode()), fieldnames=list(COLUMNS)))
    assert rows[0]["data_subjects"] == "Art. 30(1)(c) Categorieën betrokkenen"
    invoicing = next(r for r in rows if r["activity"] == "Facturering en administratie")
    assert invoicing["retention"].startswith("7 jaar na het einde van het boekjaar — ")
    assert invoicing["legal_basis"].startswith("Wettelijke verplichting (art. 6 lid 1 sub c AVG)")

    data = json.loads(client.get("/staff/register/export.json?lang=nl").content)
    assert list(data["columns"]) == list(COLUMNS)
    assert data["columns"]["retention"]["title"] == "Termijnen voor het wissen"
    codes = {c["activity"]: c for c in data["codes"]}
    assert codes["invoicing"] == {
        "activity": "invoicing",
        "legal_basis": "legal_obligation",
        "retention": "P7Y",
        "retention_from": "end_of_fiscal_year",
    }
    details = [
        e.detail for e in AuditEntry.objects.filter(action="register.exported").order_by("id")
    ]
    assert details == [{"format": "csv", "language": "nl"}, {"format": "json", "language": "nl"}]


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("nl", ["Wettelijke verplichting (art. 6 lid 1 sub c AVG)", "7 jaar na het einde"]),
        ("en", ["Legal obligation (Art. 6(1)(c) GDPR)", "7 years after the end of the fiscal"]),
    ],
)
def test_admin_shows_names_not_keys(staff_client, lang, names):
    client = staff_client("privacy_officer")
    listing = client.get("/staff/policy/processingactivity/", HTTP_ACCEPT_LANGUAGE=lang)
    assert listing.status_code == 200
    text = visible_text(listing.content.decode())
    for name in names:
        assert name in text
    for key in RAW_KEYS:
        assert key not in text
    from privacydesk.policy.models import ProcessingActivity

    invoicing = ProcessingActivity.objects.get(key="invoicing")
    detail = client.get(
        f"/staff/policy/processingactivity/{invoicing.pk}/change/", HTTP_ACCEPT_LANGUAGE=lang
    )
    detail_text = visible_text(detail.content.decode())
    assert names[0] in detail_text
    title = {"nl": "Facturering en administratie", "en": "Invoicing and accounting"}[lang]
    assert title in detail_text  # the object is named in the page's language, not "invoicing"
