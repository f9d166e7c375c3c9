"""Mailbox intake (P14): every message whose subject says 'persoonsgegevens' becomes a request.

The worker polls the mailbox of ``IMAP_URL`` (``imaps://``, or ``imap://`` for plain). Each
message is handled exactly once, also after a crash or restart: the mailbox's UIDVALIDITY and
the message's UID are recorded in the same transaction as the request it became
(``MailboxMessage``, unique per mailbox, UIDVALIDITY and UID); the next poll asks only for
higher UIDs, and a new UIDVALIDITY (a rebuilt mailbox) starts over. Messages are fetched with
``BODY.PEEK[]`` and never changed on the server.

- The keyword is looked for in the subject in any case, charset or encoded word (RFC 2047),
  so also in 'RE:' and 'FW:' subjects, and in the subject of a forwarded message/rfc822.
- The request is received at the message's arrival (IMAP INTERNALDATE): its legal start.
- Attachments are kept with the request (a forwarded message as an ``.eml`` file).
- A message that cannot be read is kept whole for staff (``unparseable``), never dropped.
- A message whose handling fails for any other reason (an attachment that cannot be stored,
  an unexpected parse error) is rolled back and kept whole for staff (``failed``); it never
  blocks the messages after it. A worker killed half-way leaves nothing recorded for the
  message (the request and the record are one transaction), so the next poll takes it again.
- No mail loops: a reply to one of our letters (its ``In-Reply-To`` or ``References`` names
  one of our signed Message-IDs, or its subject carries our tag "(persoonsgegevens, #N)" and
  it comes from request N's address) is filed with request N as correspondence, not made a
  new request, and is not acknowledged. An automatic message (``Auto-Submitted`` other than
  ``no``, ``Precedence: bulk/list/junk/auto_reply``, ``X-Autoreply``/``X-Autorespond``, a
  delivery report) never becomes a request nor gets an acknowledgement.
- A broken or forged From (several addresses, an invalid address, a header defect, or an
  ``Authentication-Results`` that failed SPF, DKIM or DMARC) never becomes a recipient: the
  request waits for staff, who answer by other means.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from privacydesk.audit.services import record
from privacydesk.rights import letters, services
from privacydesk.rights.models import MailboxMessage, Request

log = logging.getLogger(__name__)
ACTOR = "system:mailbox"
MAX_MESSAGE = 25 * 1024 * 1024
_AUTH_FAIL = re.compile(rb"\b(?:spf|dkim|dmarc)=(?:fail|softfail|permerror)\b", re.I)

_KINDS = [
    (
        Request.Kind.ERASURE,
        ("verwijder", "wissen", "wis ", "vergeten", "erase", "erasure", "delete"),
    ),
    (Request.Kind.OBJECTION, ("bezwaar", "object", "afmelden", "unsubscribe")),
    (Request.Kind.RECTIFICATION, ("correctie", "corrigeren", "aanvull", "rectif", "correct")),
    (Request.Kind.RESTRICTION, ("beperk", "restrict")),
    (Request.Kind.PORTABILITY, ("overdra", "portab")),
]


@dataclass
class PollResult:
    requests: list[int] = field(default_factory=list)
    replies: int = 0
    ignored: int = 0
    unparseable: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return {
            "requests": len(self.requests),
            "replies": self.replies,
            "ignored": self.ignored,
            "unparseable": self.unparseable,
            "failed": self.failed,
        }


@dataclass
class Parsed:
    """What intake needs from one message; ``None`` fields mean 'could not be read'."""

    is_request: bool
    sender: str
    sender_ok: bool
    subject: str
    text: str
    attachments: list[tuple[str, str, bytes]]
    #: an automatic message (auto-reply, out of office, bounce, list mail)
    auto: bool = False
    #: the request one of our Message-IDs in In-Reply-To/References names
    replied: int | None = None
    #: the request our subject tag "(persoonsgegevens, #N)" names
    tag: int | None = None


def connect(cfg=None) -> imaplib.IMAP4:
    cfg = cfg or settings.IMAP_URL
    if cfg.ssl:
        conn = imaplib.IMAP4_SSL(
            cfg.host, cfg.port, ssl_context=ssl.create_default_context(), timeout=60
        )
    else:
        conn = imaplib.IMAP4(cfg.host, cfg.port, timeout=60)
    conn.login(cfg.user, cfg.password)
    return conn


def poll(cfg=None) -> PollResult:
    """One poll: every message not seen before, in UID order."""
    cfg = cfg or settings.IMAP_URL
    result = PollResult()
    conn = connect(cfg)
    try:
        typ, _ = conn.select(_quoted(cfg.mailbox), readonly=True)
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot select mailbox {cfg.mailbox}")
        uidvalidity = int(conn.response("UIDVALIDITY")[1][0])
        seen = MailboxMessage.objects.filter(mailbox=cfg.mailbox, uidvalidity=uidvalidity)
        last = seen.aggregate(m=Max("uid"))["m"] or 0
        typ, data = conn.uid("SEARCH", None, f"UID {last + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last)
        for uid in uids:
            typ, fetched = conn.uid("FETCH", str(uid), "(INTERNALDATE RFC822.SIZE BODY.PEEK[])")
            raw, arrived = b"", None
            try:
                raw, arrived = _raw_and_date(fetched)
                _take(cfg.mailbox, uidvalidity, uid, raw, arrived, result)
            except Exception as exc:  # any failure: kept for staff, never lost nor blocking
                raw = raw or _any_bytes(fetched)
                _keep_failed(cfg.mailbox, uidvalidity, uid, raw, arrived, exc)
                result.failed += 1
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
    if result.requests or result.unparseable or result.failed:
        record(actor=ACTOR, action="rights.mailbox_polled", detail=result.as_dict())
    return result


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _raw_and_date(fetched) -> tuple[bytes, datetime | None]:
    raw, arrived = b"", None
    for part in fetched:
        if isinstance(part, tuple):
            meta, raw = part
            match = re.search(rb'INTERNALDATE "([^"]+)"', meta)
            if match:
                text = match.group(1).decode().strip()
                arrived = datetime.strptime(text, "%d-%b-%Y %H:%M:%S %z")
    return raw, arrived


def _any_bytes(fetched) -> bytes:
    for part in fetched or ():
        if isinstance(part, tuple) and len(part) > 1 and isinstance(part[1], bytes):
            return part[1]
    return b""


def _keep_failed(mailbox: str, uidvalidity: int, uid: int, raw: bytes, arrived, exc) -> None:
    """Record a message whose handling failed, whole, for staff (its own transaction).

    When even this cannot be written (the database is gone) the error propagates and nothing
    is recorded: the next poll takes the message again."""
    log.warning("mailbox message %s could not be processed (%s); kept for staff", uid,
                type(exc).__name__)  # fmt: skip
    with transaction.atomic():
        _msg, created = MailboxMessage.objects.get_or_create(
            mailbox=mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
            defaults={
                "arrived_at": arrived or timezone.now(),
                "outcome": MailboxMessage.Outcome.FAILED,
                "raw": raw[:MAX_MESSAGE],
            },
        )
        if created:
            record(
                actor=ACTOR,
                action="rights.mailbox_message_failed",
                obj=_msg,
                detail={"error": type(exc).__name__},
            )


def _take(mailbox: str, uidvalidity: int, uid: int, raw: bytes, arrived, result: PollResult):
    arrived = arrived or timezone.now()
    parsed = parse(raw)
    try:
        with transaction.atomic():
            if parsed is None:
                MailboxMessage.objects.create(
                    mailbox=mailbox,
                    uidvalidity=uidvalidity,
                    uid=uid,
                    arrived_at=arrived,
                    outcome=MailboxMessage.Outcome.UNPARSEABLE,
                    raw=raw[:MAX_MESSAGE],
                )
                result.unparseable += 1
                return
            target = _replied_request(parsed)
            if parsed.auto or target is not None:
                _file_with(mailbox, uidvalidity, uid, raw, arrived, parsed, target)
                if parsed.auto:
                    result.ignored += 1
                else:
                    result.replies += 1
                return
            if not parsed.is_request:
                MailboxMessage.objects.create(
                    mailbox=mailbox,
                    uidvalidity=uidvalidity,
                    uid=uid,
                    arrived_at=arrived,
                    outcome=MailboxMessage.Outcome.IGNORED,
                )
                result.ignored += 1
                return
            req = services.create(
                kind=guess_kind(parsed.subject, parsed.text),
                channel=Request.Channel.EMAIL,
                actor=ACTOR,
                email=parsed.sender if parsed.sender_ok else "",
                message=parsed.text[:20000],
                language=guess_language(parsed.subject, parsed.text),
                received_at=min(arrived, timezone.now()),
                from_ok=parsed.sender_ok,
            )
            MailboxMessage.objects.create(
                mailbox=mailbox,
                uidvalidity=uidvalidity,
                uid=uid,
                arrived_at=arrived,
                outcome=MailboxMessage.Outcome.REQUEST,
                raw=raw[:MAX_MESSAGE],
                request=req,
            )
            for filename, content_type, content in parsed.attachments:
                services.attach(
                    req, filename=filename, content=content, content_type=content_type, actor=ACTOR
                )
            if parsed.sender_ok:
                transaction.on_commit(
                    lambda: services.send_verification(req, outcome="acknowledgement")
                )
            result.requests.append(req.pk)
    except IntegrityError:
        # Another worker took this message in the meantime: it was handled once, there.
        return


def _replied_request(parsed: Parsed) -> Request | None:
    """The request this message answers: named by one of our Message-IDs, or by our subject
    tag when it comes from that request's own address."""
    if parsed.replied is not None:
        found = Request.objects.filter(pk=parsed.replied).first()
        if found is not None:
            return found
    if parsed.tag is not None and parsed.sender_ok and parsed.sender:
        found = Request.objects.filter(pk=parsed.tag).first()
        if found is not None and found.email and found.email.lower() == parsed.sender.lower():
            return found
    return None


def _file_with(mailbox, uidvalidity, uid, raw, arrived, parsed: Parsed, target):
    """A reply (or an automatic message) about ``target``: kept with it, no new request and
    no acknowledgement. An automatic message about nothing we know is recorded by UID only."""
    outcome = MailboxMessage.Outcome.AUTO if parsed.auto else MailboxMessage.Outcome.REPLY
    MailboxMessage.objects.create(
        mailbox=mailbox,
        uidvalidity=uidvalidity,
        uid=uid,
        arrived_at=arrived,
        outcome=outcome,
        raw=raw[:MAX_MESSAGE] if target is not None else b"",
        request=target,
    )
    if target is None:
        return
    for filename, content_type, content in parsed.attachments:
        services.attach(
            target, filename=filename, content=content, content_type=content_type, actor=ACTOR
        )
    record(
        actor=ACTOR,
        action="rights.reply_received",
        obj=target,
        subject=services.subject_reference(target),
        detail={"automatic": parsed.auto},
    )


_TAG = re.compile(r"\(\s*persoonsgegevens\s*,\s*#(\d{1,18})\s*\)", re.I)
_AUTO_PRECEDENCE = ("bulk", "list", "junk", "auto_reply", "auto-reply")


def is_automatic(msg) -> bool:
    """RFC 3834 and the common auto-responder headers, and delivery reports (bounces)."""
    submitted = str(msg.get("auto-submitted", "")).split(";")[0].strip().lower()
    if submitted and submitted != "no":
        return True
    if str(msg.get("precedence", "")).strip().lower() in _AUTO_PRECEDENCE:
        return True
    if any(msg.get(h) is not None for h in ("x-autoreply", "x-autorespond", "x-autoresponse")):
        return True
    return msg.get_content_type() == "multipart/report"


def _our_references(msg) -> int | None:
    refs = " ".join(str(msg.get(h, "")) for h in ("in-reply-to", "references"))
    return letters.request_for_message_id(refs)


def _tag(subject: str) -> int | None:
    match = _TAG.search(subject)
    return int(match.group(1)) if match else None


def parse(raw: bytes) -> Parsed | None:
    """The message's request details, or None when it cannot be read."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if not isinstance(msg, EmailMessage) or not msg.keys():
            return None
        if any(type(d).__name__ == "MissingHeaderBodySeparatorDefect" for d in msg.defects):
            return None
        subject = _subject(msg)
        subjects = [subject] + [_subject(inner) for inner in _forwarded(msg)]
        keyword = settings.RIGHTS_KEYWORD.casefold()
        is_request = any(keyword in s.casefold() for s in subjects)
        auto, replied, tag = is_automatic(msg), _our_references(msg), _tag(subject)
        if not is_request and replied is None:
            if auto:
                return Parsed(False, "", False, subject, "", [], auto=True)
            if keyword.encode() in raw.lower() and _broken_subject(msg):
                return None  # it may be a request: keep it for staff
            return Parsed(False, "", False, subject, "", [])
        sender, sender_ok = _sender(msg, raw)
        attachments = [] if auto else _attachments(msg)
        return Parsed(
            is_request, sender, sender_ok, subject, _text(msg), attachments,
            auto=auto, replied=replied, tag=tag,
        )  # fmt: skip
    except Exception:
        log.warning("a mailbox message could not be read; kept for staff")
        return None


def _subject(msg) -> str:
    value = msg.get("subject", "")
    return " ".join(str(value).split())


def _broken_subject(msg) -> bool:
    header = msg.get("subject")
    return header is None or bool(getattr(header, "defects", ()))


def _forwarded(msg) -> list:
    found = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            for inner in part.iter_parts() if part.is_multipart() else []:
                found.append(inner)
            payload = part.get_payload()
            if isinstance(payload, list):
                found.extend(p for p in payload if p not in found)
    return found


def _sender(msg, raw: bytes) -> tuple[str, bool]:
    headers = msg.get_all("from") or []
    if len(headers) != 1:
        return "", False
    header = headers[0]
    if getattr(header, "defects", ()):
        return "", False
    addresses = [a for _, a in getaddresses([str(header)])]
    if len(addresses) != 1 or not addresses[0]:
        return "", False
    address = addresses[0].strip()
    try:
        validate_email(address)
    except ValidationError:
        return "", False
    if any(c in address for c in "\r\n<>,;\"'") or len(address) > 254:
        return "", False
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in re.split(rb"\r?\n(?![ \t])", head):
        if line.lower().startswith(b"authentication-results:") and _AUTH_FAIL.search(line):
            return "", False
    return address, True


def _text(msg) -> str:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError):
        content = body.get_payload(decode=True).decode("utf-8", "replace")
    return content if isinstance(content, str) else ""


def _attachments(msg) -> list[tuple[str, str, bytes]]:
    found = []
    for part in msg.iter_attachments():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            found.append(("forwarded.eml", ctype, inner.as_bytes(policy=email.policy.SMTP)))
            continue
        data = part.get_payload(decode=True) or b""
        found.append((part.get_filename() or "attachment", ctype, data))
    return found


def guess_kind(subject: str, text: str) -> str:
    """What the message asks for, from its words; access ('inzage') when it does not say."""
    words = f"{subject} {text[:2000]}".casefold()
    for kind, hints in _KINDS:
        if any(h in words for h in hints):
            return kind
    return Request.Kind.ACCESS


def guess_language(subject: str, text: str) -> str:
    words = f" {subject} {text[:2000]} ".casefold()
    english = sum(
        words.count(w) for w in (" the ", " my ", " personal data", " please ", " request ")
    )
    dutch = sum(words.count(w) for w in (" de ", " mijn ", " het ", " graag ", " verzoek "))
    return "en" if english > dutch else "nl"
