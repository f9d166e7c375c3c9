"""Tracking's staff pages: gated downloads kept by sales and the admin, aggregates for them and
the privacy officer, single visitors for the privacy officer only (audited); SVG charts."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from privacydesk.audit.models import AuditEntry
from privacydesk.consent import services as consent
from privacydesk.tracking import analytics, charts, demo, downloads, services
from privacydesk.tracking.models import Delivery, Download, Event, Profile

PDF = b"%PDF-1.4\n" + b"x" * 1000


def upload(name="gids.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _english_back_office(client):
    """The back office speaks the browser's language (Accept-Language): English here."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def new_download(client, **fields):
    data = {
        "title_nl": "Gids: wachtwoorden",
        "title_en": "Guide: passwords",
        "summary_nl": "Kort",
        "summary_en": "Short",
        "question_1": "name",
        "question_2": "email",
        "question_3": "",
        "question_4": "company",
        "question_5": "",
        "published": "on",
        "file": upload(),
        **fields,
    }
    return client.post("/staff/tracking/downloads/new/", data)


# -- gated downloads -------------------------------------------------------------------------
def test_sales_upload_a_download_and_choose_its_questions(staff_client, settings):
    client = staff_client("sales")
    response = new_download(client)
    assert response.status_code == 302, response.content.decode()[:2000]
    download = Download.objects.get()
    assert download.questions == ["name", "email", "company"]  # gaps closed, order kept
    assert download.slug == "gids-wachtwoorden" and download.file_name == "gids.pdf"
    stored = settings.MEDIA_ROOT / download.file.name
    assert stored.read_bytes() == PDF and stored.parent.name == "downloads"
    assert download.file.name != "downloads/gids.pdf"  # a random blob name, not the upload's
    listing = client.get("/staff/tracking/downloads/").content.decode()
    assert "Guide: passwords" in listing and "Name, E-mail address, Company" in listing
    entry = AuditEntry.objects.get(action="tracking.download_created")
    assert entry.actor == f"user:{client.user.pk}"

    # Change the questions and replace the file: the old blob goes after the commit.
    edit = f"/staff/tracking/downloads/{download.pk}/"
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "title_nl": "Gids: wachtwoorden",
            "title_en": "Guide: passwords",
            "question_1": "company",
            "question_2": "function",
            "file": upload("Nieuwe gids (v2).PDF", b"%PDF-1.4\nnew"),
        },
    )
    assert response.status_code == 302
    download.refresh_from_db()
    assert download.questions == ["company", "function"] and not download.published
    assert download.file_name == "Nieuwe-gids-v2.pdf"
    assert (settings.MEDIA_ROOT / download.file.name).read_bytes() == b"%PDF-1.4\nnew"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"file": upload("tool.exe")}, "cannot be offered"),
        ({"file": upload("leeg.pdf", b"")}, "empty"),
        ({"question_1": "", "question_2": "", "question_4": ""}, "at least one question"),
        ({"question_3": "name"}, "asked once"),
        ({"question_1": "password"}, "Select a valid choice"),
        ({"title_nl": "Gids\r\nBcc: x"}, "line break"),
        ({"title_en": "x" * 201}, "at most 200"),
    ],
)
def test_bad_downloads_are_refused_naming_why(staff_client, fields, message):
    response = new_download(staff_client("admin"), **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Download.objects.exists()


def test_a_file_over_the_limit_is_refused(staff_client, settings):
    settings.DOWNLOADS_MAX_MB = 1
    response = new_download(staff_client("sales"), file=upload("groot.pdf", b"x" * 1_000_001))
    assert response.status_code == 400 and "larger than 1 MB" in response.content.decode()


def test_who_may_change_downloads(staff_client, db):
    demo._gated_downloads()
    download = Download.objects.first()
    for role, status in [("technician", 403), ("privacy_officer", 403), ("sales", 200)]:
        client = staff_client(role)
        assert client.get(f"/staff/tracking/downloads/{download.pk}/").status_code == status
        client.logout()
    assert staff_client("admin").get("/staff/tracking/downloads/99999/").status_code == 404


# -- analytics -------------------------------------------------------------------------------
@pytest.fixture
def activity(db, settings):
    """A consenting visitor with page views and a profile, some decisions, two downloads."""
    settings.TRACKING_FLUSH_MS = 0
    return make_activity()


def make_activity() -> uuid.UUID:
    demo._gated_downloads()
    version = consent.banner_version()
    rec = consent.decide(
        consent.Decision("accept_all", True, True, version, "nl", False),
        user_agent="Mozilla/5.0",
        ip_address="192.0.2.10",
        origin="https://www.example.nl",
    )
    consent.decide(
        consent.Decision("reject_all", False, False, version, "nl", True),
        user_agent="Mozilla/5.0",
        ip_address="192.0.2.11",
        origin="https://www.example.nl",
    )
    now = timezone.now()
    events = [
        services.parse(
            {"c": str(rec.consent_id), "t": "pageview", "u": f"https://www.example.nl{p}"},
            ip_address="192.0.2.10",
            now=now,
        )
        for p in ["/", "/", "/", "/diensten/", "/downloads/"]
    ]
    services.write(events)
    first, second = Download.objects.order_by("pk")
    downloads.deliver(
        first,
        {"name": "Piet", "email": "piet@example.nl", "company": "Bakkerij"},
        visitor=rec.consent_id,
    )
    downloads.deliver(second, {"email": "x@example.nl"}, visitor=None)
    return rec.consent_id


@pytest.mark.parametrize("role", ["sales", "admin", "privacy_officer"])
def test_aggregates_for_sales_admin_and_the_privacy_officer(staff_client, activity, role):
    client = staff_client(role)
    page = client.get("/staff/tracking/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'id="total-pageviews">5<', html)
    assert re.search(r'id="total-downloads">2<', html)
    assert re.search(r'id="total-decisions">2<', html)
    assert html.count('<svg class="pd-chart') == 3
    assert "www.example.nl</span><wbr>/" in html  # top pages
    assert str(activity) not in html and "piet@example.nl" not in html  # aggregates only
    assert ("/staff/tracking/visitors/" in html) == (role == "privacy_officer")
    assert "Accept all: 1 (50%)" in html and "with Global Privacy Control: 1 (50%)" in html
    assert not AuditEntry.objects.filter(action__startswith="tracking.visitor").exists()
    nl = client.get("/staff/tracking/?days=7", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Paginaweergaven" in nl and 'lang="nl"' in nl


def test_the_privacy_officer_sees_one_visitor_audited(staff_client, activity):
    from privacydesk.crm import services as crm

    contact = crm.create_contact(
        {"name": "Piet de Bakker", "email": "Piet@Example.nl"}, actor="system:test"
    )
    client = staff_client("privacy_officer")
    listing = client.get("/staff/tracking/visitors/")
    assert listing.status_code == 200 and str(activity) in listing.content.decode()
    assert AuditEntry.objects.filter(action="tracking.visitors_listed").count() == 1
    page = client.get(f"/staff/tracking/visitors/{activity}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bakkerij" in html and "piet@example.nl" in html
    assert f'href="/staff/crm/contacts/{contact.pk}/"' in html  # the CRM contact, same address
    assert "5 events" in html and "Checklist: a backup that works" in html
    viewed = AuditEntry.objects.filter(action="tracking.visitor_viewed")
    assert viewed.count() == 2  # filed under the consent id and under the e-mail address
    assert client.get(f"/staff/tracking/visitors/{uuid.uuid4()}/").status_code == 404
    assert client.get("/staff/tracking/visitors/not-a-uuid/").status_code == 404
    for role in ("sales", "admin", "technician"):
        other = staff_client(role)
        assert other.get(f"/staff/tracking/visitors/{activity}/").status_code == 403
        other.logout()


def test_the_panels(staff_client, activity):
    home = staff_client("sales").get("/staff/").content.decode()
    assert "5 page views in the last 7 days" in home and "2 published" in home
    technician = staff_client("technician").get("/staff/").content.decode()
    assert "page views in the last 7 days" not in technician


def test_figures_per_period(db, activity):
    today = timezone.localdate()
    week = analytics.overview(7, today=today)
    assert len(week.labels) == 7 and week.pageviews[-1] == 5 and sum(week.pageviews) == 5
    year = analytics.overview(365, today=today)
    assert len(year.labels) in (12, 13) and sum(year.downloads) == 2
    assert year.decisions["accept_all"][-1] == 1 and year.gpc[-1] == 1
    assert tuple(week.top_pages[0]) == ("www.example.nl", "/", 3)
    linked = {d.slug: (n, with_profile) for d, n, with_profile in week.by_download}
    assert sorted(linked.values()) == [(1, 0), (1, 1)]
    assert Profile.objects.count() == 1 and Delivery.objects.count() == 2
    assert Event.objects.count() == 5


@pytest.mark.parametrize(
    ("raw", "days"), [(None, 30), ("7", 7), ("365", 365), ("8", 30), ("-1", 30), ("9" * 50, 30)]
)
def test_period_choice(raw, days):
    assert analytics.period(raw) == days


def test_buckets_are_weeks_and_months_for_long_periods():
    today = date(2026, 12, 2)  # a Wednesday
    weeks = analytics.buckets(90, today)
    assert weeks[-1] == date(2026, 11, 30) and all(d.weekday() == 0 for d in weeks[1:])
    months = analytics.buckets(365, today)
    assert months[-1] == date(2026, 12, 1) and months[0] == date(2025, 12, 1)
    assert len(months) == 13  # the first month counts from 3 December 2025


def test_charts_are_svg_without_style_or_script():
    svg = charts.bars(["1 dec", "2 dec"], charts.Series("Views", "pd-views", [0, 7]),
                      title="Views <b>", unit_label="views")  # fmt: skip
    assert svg.startswith('<svg class="pd-chart pd-chart-bars" role="img"')
    assert 'aria-label="Views &lt;b&gt;"' in svg and "<title>2 dec: 7 views</title>" in svg
    assert "style" not in svg and "script" not in svg
    empty = charts.shares(
        ["a", "b"],
        [
            charts.Series("Accept", "pd-accept", [0, 3]),
            charts.Series("Reject", "pd-reject", [0, 1]),
        ],
        line=charts.Series("GPC", "pd-gpc", [0, 1]),
        title="t",
        empty_label="no decisions",
    )
    assert "<title>a: no decisions</title>" in empty and "Accept 3 (75%)" in empty
    assert "GPC 25%" in empty
    assert [charts.nice_max(n) for n in (0, 1, 4, 5, 7, 9, 90, 120, 5000)] == [
        4, 4, 4, 8, 8, 20, 100, 200, 8000,
    ]  # fmt: skip
    assert 'width="0"' in charts.meter(0, 0, css="pd-views", label="0")


def test_a_title_that_looks_like_personal_data_is_no_500(staff_client, client):
    """The audit log refuses details that look like a phone number or an address; the
    download's entries name it by its key, so any title can be saved and downloaded."""
    sales = staff_client("sales")
    title = "Router 0612345678 en 192.168.1.1 instellen (piet@example.nl)"
    assert new_download(sales, title_nl=title, title_en=title).status_code == 302
    download = Download.objects.get()
    sales.logout()
    response = client.post(
        f"/downloads/{download.slug}/", {"name": "Piet", "email": "p@example.nl", "company": "X"}
    )
    assert response.status_code == 302
