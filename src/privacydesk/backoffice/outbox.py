"""The local outbox: in embedded mode every outgoing e-mail is a file staff can read.

One ``.eml`` file per message in ``OUTBOX_DIR``, written to a temporary name, fsynced and
renamed, so a reader never sees half a message.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.translation import gettext

from privacydesk.spine.mail import SIGN_IN_LINK_HEADER

_NAME_RE = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{32}\.eml$")

# A message carrying a one-time sign-in link for its recipient (an invitation, a password
# reset) is marked with SIGN_IN_LINK_HEADER. Its body is not shown in the back office: an
# administrator reading the outbox must not be able to use another person's link. The server
# operator finds the file in OUTBOX_DIR.


def outbox_dir() -> Path:
    path = Path(settings.OUTBOX_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


class OutboxBackend(BaseEmailBackend):
    """Django e-mail backend writing each message to the outbox directory."""

    def send_messages(self, email_messages) -> int:
        sent = 0
        directory = outbox_dir()
        for message in email_messages:
            if not message.recipients():
                continue
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            name = f"{stamp}-{uuid.uuid4().hex}.eml"
            tmp = directory / f".{name}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(message.message().as_bytes(linesep="\n"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, directory / name)
            sent += 1
        return sent


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    sent_at: datetime
    to: str
    subject: str
    body: str


def _parse(path: Path, *, with_body: bool) -> OutboxMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = ""
    if with_body and msg.get(SIGN_IN_LINK_HEADER):
        body = gettext(
            "This message holds a one-time sign-in link for its recipient only, so it is not "
            "shown here. It is kept as a file in the outbox folder on the server."
        )
    elif with_body:
        part = msg.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
    sent = datetime.strptime(path.name[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return OutboxMessage(
        name=path.name,
        sent_at=sent,
        to=", ".join(str(a) for a in msg.get_all("to", [])),
        subject=str(msg.get("subject", "")),
        body=body,
    )


def list_messages(limit: int | None = 200) -> list[OutboxMessage]:
    """Newest first."""
    names = sorted((p for p in outbox_dir().iterdir() if _NAME_RE.match(p.name)), reverse=True)
    return [_parse(p, with_body=False) for p in names[:limit]]


def read_message(name: str) -> OutboxMessage | None:
    """One message by file name; names that are not outbox names are refused."""
    if not _NAME_RE.match(name):
        return None
    path = outbox_dir() / name
    if not path.is_file():
        return None
    return _parse(path, with_body=True)


def messages_to(address: str) -> list[OutboxMessage]:
    """Outbox messages addressed to ``address`` (case-insensitive)."""
    wanted = address.strip().lower()
    found = []
    for path in sorted(p for p in outbox_dir().iterdir() if _NAME_RE.match(p.name)):
        message = _parse(path, with_body=False)
        recipients = {addr.strip().lower() for _, addr in email.utils.getaddresses([message.to])}
        if wanted in recipients:
            found.append(message)
    return found


def delete_message(name: str) -> bool:
    if not _NAME_RE.match(name):
        return False
    path = outbox_dir() / name
    if path.is_file():
        path.unlink()
        return True
    return False
