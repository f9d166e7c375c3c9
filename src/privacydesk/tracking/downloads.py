"""Gated downloads with progressive profiling (P7: "only additional information is asked").

A download form asks the questions staff chose for it, in their order. The server decides who
the visitor is, never the browser: the consent id in the ``pd_consent`` cookie counts only when
its newest consent record allows tracking (``consent.services.tracking_allowed``) and no
Global Privacy Control signal is sent. Then the visitor's :class:`Profile` holds what they
answered before and the form asks only the rest; without that consent the whole form is shown
every time, the answers serve only this download and nothing links it to another one (the
:class:`Delivery` row names no one).

"Not you?" (:func:`forget`) erases the profile; the next answers start a new one. The file is
handed out through a signed link that expires (``DOWNLOADS_LINK_HOURS``, Django's
``TimestampSigner``). The newsletter is a separate, unticked box: a download is not consent to
marketing, so a ticked box only starts the newsletter's double opt-in
(``mailings.services.request_signup``).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from privacydesk.audit.services import record, subject_ref
from privacydesk.consent import services as consent
from privacydesk.mailings import services as mailings
from privacydesk.mailings import throttle
from privacydesk.tracking.models import Delivery, Download, Profile, Question, Visitor
from privacydesk.tracking.services import Window

CONSENT_COOKIE = "pd_consent"
QUESTIONS = tuple(Question.values)
MAX_QUESTIONS = len(QUESTIONS)
# What staff may upload: documents and archives, handed out as attachments only.
EXTENSIONS = frozenset(
    {".pdf", ".epub", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".txt", ".csv"}
    | {".zip", ".png", ".jpg", ".jpeg"}
)
_LINK_SALT = "privacydesk.tracking.download"
#: The version of the newsletter box's text below; a new wording gets a new version.
NEWSLETTER_TEXT_VERSION = "downloads-2026-12-1"

_per_address = Window()


class DownloadError(ValueError):
    """Staff input the downloads cannot take; the message says why (no personal data)."""


class BadLink(ValueError):
    """A download link that was not made here (or was changed)."""


class ExpiredLink(ValueError):
    """A download link older than ``DOWNLOADS_LINK_HOURS``."""


# -- who is asking ---------------------------------------------------------------------------
def consenting_visitor(cookie: str | None, *, gpc: bool) -> uuid.UUID | None:
    """The consent id of the ``pd_consent`` cookie when the server's newest record for it
    allows tracking now; None otherwise (no cookie, a forged or unknown id, tracking refused
    or withdrawn, an expired or outdated consent, Global Privacy Control)."""
    if gpc or not cookie:
        return None
    try:
        consent_id = uuid.UUID(cookie.split(".", 1)[0][:36])
    except ValueError:
        return None
    return consent_id if consent.tracking_allowed(consent_id) else None


def profile_of(visitor: uuid.UUID | None) -> Profile | None:
    if visitor is None:
        return None
    return Profile.objects.filter(visitor_id=visitor).first()


@dataclass(frozen=True)
class FormState:
    """What one visitor's form of one download shows."""

    visitor: uuid.UUID | None
    profile: Profile | None
    asked: list[str]

    @property
    def recognised(self) -> bool:
        """The form knows something about this visitor (and says so, with "Not you?")."""
        return self.profile is not None and bool(self.profile.known())

    @property
    def known_email(self) -> str:
        return self.profile.email if self.profile is not None else ""

    @property
    def newsletter_possible(self) -> bool:
        """The newsletter box needs an address: asked now or known from before."""
        return "email" in self.asked or bool(self.known_email)


def form_state(download: Download, visitor: uuid.UUID | None) -> FormState:
    """The questions of ``download`` whose answers we do not hold for this visitor, in order."""
    profile = profile_of(visitor)
    known = profile.known() if profile is not None else set()
    asked = [q for q in clean_questions(download.questions) if q not in known]
    return FormState(visitor=visitor, profile=profile, asked=asked)


def clean_questions(values) -> list[str]:
    """Known question keys in the given order, each once (stored lists are read with it too)."""
    seen: list[str] = []
    for value in values if isinstance(values, list | tuple) else []:
        if value in QUESTIONS and value not in seen:
            seen.append(value)
    return seen


def allow_form(ip_address: str) -> bool:
    """False when one client address sends more download forms per minute than allowed
    (counted in this process; nothing is stored)."""
    return not (ip_address and _per_address.over(ip_address, settings.DOWNLOADS_PER_MINUTE))


# -- handing out -----------------------------------------------------------------------------
def deliver(download: Download, answers: dict[str, str], *, visitor: uuid.UUID | None) -> Delivery:
    """Record one download. With tracking consent (checked again under the consent id's lock,
    so a withdrawal that is being recorded either waits for this or is seen by it) the answers
    go on the visitor's profile and the delivery names it; without, nothing of the answers is
    kept and the delivery names no one."""
    now = timezone.now()
    answers = {q: v for q, v in answers.items() if q in QUESTIONS and v}
    with transaction.atomic():
        profile = None
        if visitor is not None:
            consent.lock(visitor)
            if consent.tracking_allowed(visitor):
                profile = _remember(visitor, answers, now=now)
        delivery = Delivery.objects.create(download=download, profile=profile, at=now)
        if profile is not None:
            record(
                actor="visitor:download",
                action="tracking.profile_answered",
                obj=profile,
                subject=subject_ref("visitor_id", str(visitor)),
                detail={"download": download.pk, "questions": sorted(answers)},
            )
    return delivery


def _remember(visitor: uuid.UUID, answers: dict[str, str], *, now) -> Profile:
    Visitor.objects.get_or_create(id=visitor, defaults={"first_seen": now, "last_seen": now})
    Visitor.objects.filter(id=visitor).update(last_seen=now)
    profile, _created = Profile.objects.select_for_update().get_or_create(
        visitor_id=visitor, defaults={"created_at": now, "updated_at": now}
    )
    for question, value in answers.items():
        if not getattr(profile, question):  # what we know stays; only new answers are added
            setattr(profile, question, value)
    profile.updated_at = now
    profile.save()
    return profile


def forget(visitor: uuid.UUID | None) -> bool:
    """ "Not you?": erase the visitor's profile (the downloads it named no longer name anyone);
    the next answers start a new profile. True when there was one."""
    if visitor is None:
        return False
    with transaction.atomic():
        profile = Profile.objects.select_for_update().filter(visitor_id=visitor).first()
        if profile is None:
            return False
        profile.delete()
        record(
            actor="visitor:download",
            action="tracking.profile_reset",
            object_type=Profile._meta.label,
            subject=subject_ref("visitor_id", str(visitor)),
            detail={},
        )
    return True


def link_token(delivery: Delivery, *, newsletter: bool = False) -> str:
    """The signed part of the file's link: the delivery (and whether the newsletter was
    asked for, to say so on the page); valid for ``DOWNLOADS_LINK_HOURS``."""
    return signing.TimestampSigner(salt=_LINK_SALT).sign(f"{delivery.pk}.{int(newsletter)}")


def resolve(token: str) -> tuple[Delivery, bool]:
    """The delivery a link names and the newsletter flag; :class:`BadLink` or
    :class:`ExpiredLink` otherwise. A download taken offline is no longer handed out."""
    signer = signing.TimestampSigner(salt=_LINK_SALT)
    try:
        value = signer.unsign(token[:200], max_age=settings.DOWNLOADS_LINK_HOURS * 3600)
    except signing.SignatureExpired:
        raise ExpiredLink(token) from None
    except signing.BadSignature:
        raise BadLink(token) from None
    pk, _sep, flag = value.partition(".")
    delivery = (
        Delivery.objects.select_related("download").filter(pk=int(pk)).first()
        if pk.isdigit()
        else None
    )
    if delivery is None or not delivery.download.published:
        raise BadLink(token)
    return delivery, flag == "1"


def expired_download(token: str) -> Download | None:
    """The download an expired link was for (to offer its form again), if it still exists."""
    try:
        value = signing.TimestampSigner(salt=_LINK_SALT).unsign(token[:200])
    except signing.BadSignature:
        return None
    pk = value.partition(".")[0]
    delivery = Delivery.objects.select_related("download").filter(pk=int(pk)).first()
    if delivery is None or not delivery.download.published:
        return None
    return delivery.download


# -- the newsletter box ----------------------------------------------------------------------
def newsletter_text() -> str:
    """The exact text next to the box (in the active language), stored as proof of consent."""
    return _(
        "Yes, also send me the coMPjoeter newsletter by e-mail, about once a month. I first "
        "receive an e-mail with a confirmation link, and I can unsubscribe at any time."
    )


def newsletter_available() -> bool:
    try:
        mailings.get_list(settings.MAILINGS_PUBLIC_LIST)
    except mailings.UnknownList:
        return False
    return True


def request_newsletter(
    email: str, *, name: str, form_url: str, ip_address: str | None, language: str
) -> bool:
    """Start the double opt-in for the public newsletter; nothing is mailed to the address but
    the confirmation link. False when it could not be started (no list, the sign-up limits,
    an address the newsletter refuses); the download page answers the same either way."""
    if not email or not newsletter_available():
        return False
    if not throttle.allow_signup(ip=ip_address, email=email):
        return False
    try:
        mailings.request_signup(
            settings.MAILINGS_PUBLIC_LIST,
            email,
            name=name,
            form_url=form_url,
            text_shown=newsletter_text(),
            text_version=NEWSLETTER_TEXT_VERSION,
            ip=ip_address,
            language=language,
        )
    except mailings.MailingError:
        return False
    return True


# -- staff: the downloads themselves ---------------------------------------------------------
def safe_file_name(name: str) -> str:
    """The name a file is handed out under: ASCII letters, digits, '-', '_' and one
    extension, so it is safe in a URL and in Content-Disposition."""
    path = PurePosixPath(name.replace("\\", "/")).name
    stem, suffix = PurePosixPath(path).stem, PurePosixPath(path).suffix.lower()
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "download"
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""
    return f"{stem}{suffix}"


def check_file(upload: UploadedFile) -> None:
    """:class:`DownloadError` for a file staff may not offer: too large, empty, another type."""
    limit = settings.DOWNLOADS_MAX_MB * 1_000_000
    if upload.size is None or upload.size == 0:
        raise DownloadError(_("The file is empty."))
    if upload.size > limit:
        raise DownloadError(
            _("The file is larger than %(max)d MB.") % {"max": settings.DOWNLOADS_MAX_MB}
        )
    suffix = PurePosixPath(upload.name or "").suffix.lower()
    if suffix not in EXTENSIONS:
        raise DownloadError(
            _("Files of this type cannot be offered. Allowed: %(types)s.")
            % {"types": ", ".join(sorted(EXTENSIONS))}
        )


def unique_slug(title: str) -> str:
    base = slugify(title)[:70].strip("-") or "download"
    if base == "file":  # /downloads/file/ is where the files are handed out
        base = "file-download"
    slug, n = base, 2
    while Download.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


_TEXT_FIELDS = ("title_nl", "title_en", "summary_nl", "summary_en", "published")


def create_download(values: dict, upload: UploadedFile, *, actor: str) -> Download:
    """A new gated download; ``values`` as the staff form cleaned them."""
    check_file(upload)
    questions = clean_questions(values.get("questions"))
    if not questions:
        raise DownloadError(_("Choose at least one question."))
    download = Download(
        slug=unique_slug(values["title_nl"]),
        questions=questions,
        file_name=safe_file_name(upload.name or ""),
        size=upload.size,
        **{k: values[k] for k in _TEXT_FIELDS if k in values},
    )
    download.file.save(upload.name or "download", upload, save=False)
    try:
        download.save()
    except Exception:
        download.file.delete(save=False)
        raise
    record(
        actor=actor,
        action="tracking.download_created",
        obj=download,
        detail={"questions": questions, "size": download.size},
    )
    return download


def update_download(
    download: Download, values: dict, upload: UploadedFile | None, *, actor: str
) -> Download:
    """Change texts, questions or publication; a new file replaces the old one (whose blob is
    removed once the change is committed)."""
    questions = clean_questions(values.get("questions"))
    if not questions:
        raise DownloadError(_("Choose at least one question."))
    old_blob = None
    if upload is not None:
        check_file(upload)
        old_blob = download.file.name
        download.file.save(upload.name or "download", upload, save=False)
        download.file_name = safe_file_name(upload.name or "")
        download.size = upload.size
    for key in _TEXT_FIELDS:
        if key in values:
            setattr(download, key, values[key])
    download.questions = questions
    download.save()
    if old_blob:
        storage = download.file.storage
        transaction.on_commit(lambda: storage.delete(old_blob))
    record(
        actor=actor,
        action="tracking.download_changed",
        obj=download,
        detail={"questions": questions, "new_file": upload is not None},
    )
    return download


def published() -> list[Download]:
    return list(Download.objects.filter(published=True))
