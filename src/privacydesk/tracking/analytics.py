"""Website figures for staff (P7): page views, top pages, downloads and consent decisions over
time. Aggregates only: counts per period and per page or download, never a visitor.

The single visitor (their profile, downloads and events) is :func:`visitor_file`, for the
privacy officer only and audited by the view.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from privacydesk.consent.models import ConsentRecord
from privacydesk.crm import services as crm
from privacydesk.tracking import charts
from privacydesk.tracking.models import Delivery, Download, Event, Profile, Visitor

#: Periods staff can choose (days) and the unit each is counted in.
PERIODS = {7: "day", 30: "day", 90: "week", 365: "month"}
DEFAULT_DAYS = 30
TOP = 10
KIND_CSS = {
    ConsentRecord.Kind.ACCEPT_ALL: "pd-accept",
    ConsentRecord.Kind.REJECT_ALL: "pd-reject",
    ConsentRecord.Kind.CUSTOM: "pd-custom",
    ConsentRecord.Kind.WITHDRAWAL: "pd-withdrawal",
}


def period(raw: str | None) -> int:
    """The chosen number of days, or the default for anything else."""
    try:
        days = int(str(raw)[:4])
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days in PERIODS else DEFAULT_DAYS


def _bucket(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def buckets(days: int, today: date) -> list[date]:
    """The first day of each period from ``days`` ago up to and including today."""
    unit = PERIODS[days]
    first = today - timedelta(days=days - 1)
    found: list[date] = []
    day = first
    while day <= today:
        start = _bucket(day, unit)
        if not found or found[-1] != start:
            found.append(start)
        day += timedelta(days=1)
    return found


def _label(start: date, unit: str) -> str:
    if unit == "month":
        return formats.date_format(start, "M Y")
    return formats.date_format(start, "j M")


def _since(days: int, today: date) -> datetime:
    first = today - timedelta(days=days - 1)
    return timezone.make_aware(datetime.combine(first, time.min))


def _per_day(rows, *, days: int, today: date, extra: dict | None = None) -> dict[date, int]:
    since = _since(days, today)
    counted = (
        rows.filter(at__gte=since, **(extra or {}))
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return dict(counted)


def _in_buckets(per_day: dict[date, int], starts: list[date], unit: str) -> list[int]:
    totals: Counter = Counter()
    for day, n in per_day.items():
        totals[_bucket(day, unit)] += n
    return [totals.get(start, 0) for start in starts]


@dataclass
class Overview:
    days: int
    unit: str
    labels: list[str]
    pageviews: list[int]
    downloads: list[int]
    decisions: dict[str, list[int]]
    gpc: list[int]
    top_pages: list[tuple[str, str, int]]
    by_download: list[tuple[Download, int, int]]
    totals: dict[str, int] = field(default_factory=dict)


def overview(days: int, *, today: date | None = None) -> Overview:
    """Every figure of the analytics page for the last ``days`` days (today included)."""
    today = today or timezone.localdate()
    unit = PERIODS[days]
    starts = buckets(days, today)
    since = _since(days, today)
    pageviews = _in_buckets(
        _per_day(Event.objects.all(), days=days, today=today, extra={"kind": "pageview"}),
        starts,
        unit,
    )
    downloads = _in_buckets(_per_day(Delivery.objects.all(), days=days, today=today), starts, unit)
    decisions = {
        kind: _in_buckets(
            _per_day(ConsentRecord.objects.all(), days=days, today=today, extra={"kind": kind}),
            starts,
            unit,
        )
        for kind in ConsentRecord.Kind.values
    }
    gpc = _in_buckets(
        _per_day(ConsentRecord.objects.all(), days=days, today=today, extra={"gpc": True}),
        starts,
        unit,
    )
    top = list(
        Event.objects.filter(kind="pageview", at__gte=since)
        .values("site", "path")
        .annotate(n=Count("pk"))
        .order_by("-n", "site", "path")
        .values_list("site", "path", "n")[:TOP]
    )
    counts = dict(
        Delivery.objects.filter(at__gte=since)
        .values("download")
        .annotate(n=Count("pk"))
        .values_list("download", "n")
    )
    linked = dict(
        Delivery.objects.filter(at__gte=since, profile__isnull=False)
        .values("download")
        .annotate(n=Count("pk"))
        .values_list("download", "n")
    )
    by_download = sorted(
        ((d, counts.get(d.pk, 0), linked.get(d.pk, 0)) for d in Download.objects.all()),
        key=lambda row: (-row[1], row[0].title_nl),
    )
    all_decisions = sum(sum(v) for v in decisions.values())
    totals = {
        "pageviews": sum(pageviews),
        "downloads": sum(downloads),
        "decisions": all_decisions,
        "gpc": sum(gpc),
        **{kind: sum(values) for kind, values in decisions.items()},
    }
    return Overview(
        days=days,
        unit=unit,
        labels=[_label(s, unit) for s in starts],
        pageviews=pageviews,
        downloads=downloads,
        decisions=decisions,
        gpc=gpc,
        top_pages=top,
        by_download=by_download,
        totals=totals,
    )


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def kind_names() -> dict[str, str]:
    return {kind: str(label) for kind, label in ConsentRecord.Kind.choices}


def charts_for(o: Overview) -> dict:
    """The SVG charts and the legend of the consent chart, in the active language."""
    names = kind_names()
    stacked = [
        charts.Series(names[kind], KIND_CSS[kind], o.decisions[kind])
        for kind in ConsentRecord.Kind.values
    ]
    gpc = charts.Series(_("with Global Privacy Control"), "pd-gpc", o.gpc)
    top_views = max((n for _s, _p, n in o.top_pages), default=0)
    top_downloads = max((n for _d, n, _l in o.by_download), default=0)
    return {
        "pageviews": charts.bars(
            o.labels,
            charts.Series(_("Page views"), "pd-views", o.pageviews),
            title=_("Page views per period"),
            unit_label=_("page views"),
        ),
        "downloads": charts.bars(
            o.labels,
            charts.Series(_("Downloads"), "pd-downloads", o.downloads),
            title=_("Downloads per period"),
            unit_label=_("downloads"),
        ),
        "consent": charts.shares(
            o.labels,
            stacked,
            line=gpc,
            title=_("Cookie decisions per period, as shares of all decisions"),
            empty_label=_("no decisions"),
        ),
        "legend": [
            (s.name, s.css, o.totals[kind], percent(o.totals[kind], o.totals["decisions"]))
            for s, kind in zip(stacked, ConsentRecord.Kind.values, strict=True)
        ]
        + [(gpc.name, "pd-gpc", o.totals["gpc"], percent(o.totals["gpc"], o.totals["decisions"]))],
        "top_pages": [
            (
                site,
                path,
                n,
                charts.meter(n, top_views, css="pd-views", label=f"{n}"),
            )
            for site, path, n in o.top_pages
        ],
        "by_download": [
            (d, n, linked, charts.meter(n, top_downloads, css="pd-downloads", label=f"{n}"))
            for d, n, linked in o.by_download
        ],
        "rows": list(
            zip(
                o.labels,
                o.pageviews,
                o.downloads,
                *(o.decisions[k] for k in ConsentRecord.Kind.values),
                o.gpc,
                strict=True,
            )
        ),
    }


# -- one visitor (privacy officer) -------------------------------------------------------------
def visitors(limit: int = 200) -> list[dict]:
    """The most recently seen visitors: consent id, first and last seen, events, profile."""
    rows = (
        Visitor.objects.annotate(events_n=Count("events"))
        .select_related("profile")
        .order_by("-last_seen")[:limit]
    )
    found = []
    for visitor in rows:
        profile = getattr(visitor, "profile", None)
        found.append(
            {
                "visitor": visitor,
                "events": visitor.events_n,
                "profile": profile is not None,
            }
        )
    return found


@dataclass
class VisitorFile:
    visitor: Visitor
    profile: Profile | None
    contact: object | None
    deliveries: list[Delivery]
    events: list[Event]
    event_count: int


def visitor_file(visitor_id: uuid.UUID, *, events: int = 200) -> VisitorFile | None:
    """One visitor: profile (with the CRM contact of the same e-mail address), the downloads
    it names and the newest ``events`` events."""
    visitor = Visitor.objects.filter(pk=visitor_id).first()
    if visitor is None:
        return None
    profile = Profile.objects.filter(visitor=visitor).first()
    contact = None
    deliveries: list[Delivery] = []
    if profile is not None:
        if profile.email:
            contact = crm.by_email([profile.email]).get(profile.email.lower())
        deliveries = list(profile.deliveries.select_related("download").order_by("-at")[:100])
    return VisitorFile(
        visitor=visitor,
        profile=profile,
        contact=contact,
        deliveries=deliveries,
        events=list(visitor.events.order_by("-at", "-id")[:events]),
        event_count=visitor.events.count(),
    )
