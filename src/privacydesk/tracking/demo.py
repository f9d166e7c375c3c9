"""Demo records for ``privacydesk demo`` (idempotent: each part is loaded once).

- three visitors' cookie decisions and the page views of the one who accepted tracking;
- two gated downloads with three questions each (public contract): the checklist asks name,
  e-mail address and company; the whitepaper e-mail address, phone number and job title, so
  a visitor who accepted tracking and took the checklist is asked only the two new ones;
- four weeks of visits (decisions, page views, downloads that name no one), so that the
  analytics page has something to show.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from privacydesk.consent import services as consent
from privacydesk.consent.models import ConsentRecord
from privacydesk.tracking import downloads, services
from privacydesk.tracking.models import Delivery, Download

DEMO_SITE = "https://demo.compjoeter.example"
HISTORY_SITE = "https://www.demo.compjoeter.example"
# Pages of the demo site that exist (``urls.py``): the history's visits go through them.
PAGES = ["/", "/diensten/", "/downloads/", "/privacy/request/", "/privacy/", "/cookies/"]
VISITOR_PAGES = ["/", "/diensten/", "/privacy/", "/cookies/"]
AGENT = "Mozilla/5.0 (demo)"

DOWNLOADS = [
    {
        "title_nl": "Checklist: een back-up die werkt",
        "title_en": "Checklist: a backup that works",
        "summary_nl": "Tien vragen om te zien of uw back-up u redt als een schijf het begeeft.",
        "summary_en": "Ten questions to see whether your backup saves you when a disk fails.",
        "questions": ["name", "email", "company"],
        "file": "checklist-back-up.pdf",
        "lines": [
            "Checklist: een back-up die werkt",
            "1. Staat er een kopie buiten het gebouw?",
            "2. Heeft u dit jaar een bestand teruggezet?",
            "3. Is de back-up versleuteld?",
        ],
    },
    {
        "title_nl": "Whitepaper: veilig thuiswerken",
        "title_en": "Whitepaper: working from home securely",
        "summary_nl": (
            "Router, VPN en wachtwoorden: wat een klein bedrijf regelt voor wie thuis werkt."
        ),
        "summary_en": (
            "Router, VPN and passwords: what a small company arranges for people working from home."
        ),
        "questions": ["email", "phone", "function"],
        "file": "whitepaper-veilig-thuiswerken.pdf",
        "lines": [
            "Whitepaper: veilig thuiswerken",
            "Update de router, gebruik een VPN,",
            "en geef ieder een eigen wachtwoord.",
        ],
    },
]


def load(*, console) -> list[str]:
    return _consent_decisions() + _gated_downloads() + _four_weeks()


def _consent_decisions() -> list[str]:
    if ConsentRecord.objects.filter(origin=DEMO_SITE).exists():
        return []
    version = consent.banner_version()
    made = {}
    for action, analytics, tracking in [
        ("accept_all", True, True),
        ("reject_all", False, False),
        ("save", True, False),
    ]:
        decision = consent.Decision(action, analytics, tracking, version, "nl", False)
        made[action] = consent.decide(
            decision, user_agent=AGENT, ip_address="192.0.2.10", origin=DEMO_SITE
        )
    visitor = made["accept_all"].consent_id
    events = [
        services.parse(
            {"c": str(visitor), "t": "pageview", "u": f"{DEMO_SITE}{path}"},
            ip_address="192.0.2.10",
            now=made["accept_all"].at,
        )
        for path in VISITOR_PAGES
    ]
    stored = services.write([e for e in events if e is not None])
    return [f"Cookie consent: 3 demo decisions, {stored} page views of the visitor who accepted"]


def _gated_downloads() -> list[str]:
    made = []
    for item in DOWNLOADS:
        if Download.objects.filter(title_nl=item["title_nl"]).exists():
            continue
        upload = SimpleUploadedFile(item["file"], pdf(item["lines"]), "application/pdf")
        values = {k: item[k] for k in ("title_nl", "title_en", "summary_nl", "summary_en")}
        download = downloads.create_download(
            {**values, "questions": item["questions"], "published": True},
            upload,
            actor="system:demo",
        )
        made.append(download.slug)
    if not made:
        return []
    return [f"Gated downloads: {', '.join(made)} (3 questions each) at /downloads/"]


def _four_weeks() -> list[str]:
    """Decisions and page views on each of the last 28 days (a fixed pattern, not random)."""
    if ConsentRecord.objects.filter(origin=HISTORY_SITE).exists():
        return []
    version = consent.banner_version()
    now = timezone.now()
    offered = list(Download.objects.order_by("pk"))
    decisions = events = 0
    for days_ago in range(28, 0, -1):
        day = now - timedelta(days=days_ago)
        choices = [("accept_all", False)] * (1 + days_ago % 3) + [("reject_all", False)] * (
            1 + days_ago % 2
        )
        if days_ago % 4 == 0:
            choices.append(("save", False))
        if days_ago % 5 == 0:
            choices.append(("reject_all", True))
        for n, (action, gpc) in enumerate(choices):
            at = day + timedelta(minutes=37 * n)
            rec = consent.decide(
                consent.Decision(
                    action, action == "save", action == "accept_all", version, "nl", gpc
                ),
                user_agent=AGENT,
                ip_address="192.0.2.20",
                origin=HISTORY_SITE,
                now=at,
            )
            decisions += 1
            if not rec.tracking:
                continue
            seen = [
                services.parse(
                    {"c": str(rec.consent_id), "t": "pageview", "u": f"{HISTORY_SITE}{path}"},
                    ip_address="192.0.2.20",
                    now=at + timedelta(seconds=40 * i),
                )
                for i, path in enumerate(PAGES[: 2 + (days_ago + n) % 4])
            ]
            events += services.write([e for e in seen if e is not None])
        if offered and days_ago % 2 == 0:
            Delivery.objects.create(download=offered[days_ago // 2 % len(offered)], at=day)
    return [f"Website: {decisions} cookie decisions and {events} page views over four weeks"]


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF (1.4) with ``lines`` in Helvetica: a real file for the demo downloads."""

    def text(value: str) -> str:
        raw = value.encode("latin-1", "replace").decode("latin-1")
        return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = ["BT", "/F1 18 Tf", "72 770 Td", "24 TL"]
    for i, line in enumerate(lines):
        if i == 1:
            body.append("/F1 12 Tf")
        body.append(f"({text(line)}) Tj T*")
    body.append("ET")
    stream = "\n".join(body).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
