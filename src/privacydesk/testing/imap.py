"""A real Dovecot IMAP server for tests (Debian ``dovecot-imapd``), on a free loopback port.

Started with its own configuration in a throw-away folder: ``listen`` on 127.0.0.1 with a
high port, no TLS, one user in a passwd-file, a static userdb whose uid and gid are the
``dovecot`` user's (Dovecot refuses uid 0), maildir storage. Messages are delivered with
``imaplib`` APPEND, as a mail server would put them into the mailbox.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
USER = "intake"
PASSWORD = "intake-test-password"


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    folder: Path
    #: where ``deliver`` puts messages (``fresh_mailbox`` sets it)
    mailbox: str = "INBOX"

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/INBOX"

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def deliver(self, raw: bytes, *, when: float | None = None, mailbox: str | None = None) -> None:
        """APPEND one message; ``when`` (a Unix time) becomes its INTERNALDATE."""
        conn = self.client()
        try:
            date = imaplib.Time2Internaldate(when if when is not None else time.time())
            typ, data = conn.append(mailbox or self.mailbox, None, date, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def fresh_mailbox(self, name: str) -> str:
        """Create an empty mailbox (one per test) and return its IMAP_URL."""
        conn = self.client()
        try:
            typ, data = conn.create(name)
            assert typ == "OK", data
        finally:
            conn.logout()
        self.mailbox = name
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/{name}"

    def rebuild(self, name: str) -> None:
        """Delete the mailbox and create it again: it gets a new UIDVALIDITY."""
        conn = self.client()
        try:
            conn.delete(name)
            conn.create(name)
        finally:
            conn.logout()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(folder: Path, port: int, uid: int, gid: int) -> str:
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
info_log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{folder}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0600
  }}
}}
"""


@contextlib.contextmanager
def running() -> Iterator[Dovecot]:
    """Start Dovecot, yield it once it accepts logins, stop it and remove its folder."""
    if not Path(DOVECOT).exists():
        raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
    owner = pwd.getpwnam("dovecot")
    folder = Path(tempfile.mkdtemp(prefix="pd-dovecot-"))
    os.chmod(folder, 0o755)  # noqa: S103 - the dovecot user reads its mailbox below it
    port = _free_port()
    for sub in ("run", "state", f"home/{USER}"):
        (folder / sub).mkdir(parents=True)
    shutil.chown(folder / "home", owner.pw_uid, owner.pw_gid)
    shutil.chown(folder / "home" / USER, owner.pw_uid, owner.pw_gid)
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    os.chmod(folder / "passwd", 0o644)
    config = folder / "dovecot.conf"
    config.write_text(_config(folder, port, owner.pw_uid, owner.pw_gid))
    subprocess.run([DOVECOT, "-c", str(config)], check=True)  # noqa: S603 - our own binary
    server = Dovecot("127.0.0.1", port, USER, PASSWORD, folder)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                server.client().logout()
                break
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    log = (
                        (folder / "dovecot.log").read_text(errors="replace")
                        if (folder / "dovecot.log").exists()
                        else ""
                    )
                    raise RuntimeError(f"dovecot did not start:\n{log[-2000:]}") from None
                time.sleep(0.1)
        yield server
    finally:
        subprocess.run([DOVECOT, "-c", str(config), "stop"], check=False)  # noqa: S603
        for _ in range(50):
            if not (folder / "run" / "master.pid").exists():
                break
            time.sleep(0.1)
        if not os.environ.get("PD_KEEP_DOVECOT"):
            shutil.rmtree(folder, ignore_errors=True)
