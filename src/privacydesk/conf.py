"""The one place where configuration is read from the environment.

Every setting comes from an environment variable (or, for secrets, from a file named by
``NAME_FILE``), so the same code runs embedded on one small server and grown behind a proxy.
A bad value stops start-up with :class:`ImproperlyConfigured` naming the variable (P3: no
half-configured security).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """A plain string from the environment."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """A boolean: 1/true/yes/on or 0/false/no/off (case-insensitive)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """An integer, optionally with a lower bound."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


_ISO_DURATION = re.compile(r"^P(?=\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?$")


def env_duration(name: str, default: str) -> str:
    """An ISO 8601 calendar duration such as P1M, P7Y or P30D."""
    value = os.environ.get(name, default).strip().upper()
    if not _ISO_DURATION.match(value):
        raise ImproperlyConfigured(f"{name} must be an ISO 8601 duration like P1M, got {value!r}")
    return value


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_required(name: str) -> str:
    value = env_secret(name)
    if not value:
        raise ImproperlyConfigured(f"{name} is required")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (not both)."""
    direct = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if direct and file_name:
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE names {file_name!r}, which cannot be read: {exc.strerror}"
            ) from None
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE names an empty file")
        return value
    return direct or None


def data_dir() -> Path:
    """``PRIVACYDESK_DATA_DIR``: media, keyring, outbox and (embedded) the database live here."""
    raw = os.environ.get("PRIVACYDESK_DATA_DIR", "var")
    path = Path(raw).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"PRIVACYDESK_DATA_DIR={raw!r} cannot be created: {exc.strerror}"
        ) from None
    return path


#: Where ``privacydesk run`` records the address it serves on (one line: ``http://host:port``).
SERVED_URL_FILE = "served_url"
DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def site_url(directory: Path) -> str:
    """``SITE_URL``, the base of links made outside a request (CLI, e-mails from the worker).

    Default: the address ``privacydesk run`` last served on from this data directory (it
    writes ``served_url`` there before starting its children), so ``PORT=8765 scripts/start``
    gives links on port 8765 without further settings; without either, the default port.
    """
    raw = env_str("SITE_URL").strip()
    if not raw:
        try:
            raw = (directory / SERVED_URL_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            raw = ""
        if not re.fullmatch(r"https?://[^\s/]+", raw):
            raw = DEFAULT_SITE_URL
    elif not re.fullmatch(r"https?://[^\s/]+(/\S*)?", raw):
        raise ImproperlyConfigured(
            f"SITE_URL must be an http:// or https:// address such as https://example.nl, "
            f"got {raw!r}"
        )
    return raw.rstrip("/")


_ORIGIN_RE = re.compile(
    r"^https?://[A-Za-z0-9.\-]+(?::\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$"
)


def embed_origins(name: str = "PRIVACYDESK_EMBED_ORIGINS") -> tuple[str, ...]:
    """Origins (``https://www.example.nl``, comma-separated) whose pages may embed the consent
    banner and the tracker: CORS answers only these, and the endpoints refuse other origins."""
    found = []
    for origin in env_list(name, []):
        if not _ORIGIN_RE.match(origin):
            raise ImproperlyConfigured(
                f"{name} must list origins such as https://www.example.nl (scheme, host and "
                f"optional port, no path), got {origin!r}"
            )
        found.append(origin.lower().rstrip("/"))
    return tuple(found)


def record_served_url(directory: Path, url: str) -> None:
    """Write ``served_url`` atomically (read by :func:`site_url` in every later process)."""
    tmp = directory / f".{SERVED_URL_FILE}.tmp"
    tmp.write_text(url + "\n", encoding="utf-8")
    os.replace(tmp, directory / SERVED_URL_FILE)


def secret_key(directory: Path, *, production: bool) -> str:
    """``SECRET_KEY`` from the environment; in embedded mode generated once into the data dir.

    Production refuses to start without an explicit key, so a forgotten variable never
    silently runs a server on a throw-away key.
    """
    value = secret_or_generated(
        "SECRET_KEY", directory / "secret_key", lambda: secrets.token_urlsafe(64),
        production=production,
    )  # fmt: skip
    if len(value) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long")
    return value


def generated_secret(path: Path, make: Callable[[], str]) -> str:
    """A secret generated once into ``path`` (mode 0600) for the embedded mode.

    Web server and worker may start together on a new data dir: the secret is written
    complete to a private temporary file, then linked into place; the first link wins.
    """
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(make())
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def secret_or_generated(name: str, path: Path, make: Callable[[], str], *, production: bool) -> str:
    """The secret ``name`` (or ``name_FILE``) from the environment. Production refuses to start
    without it, so a forgotten variable never runs on a throw-away secret; embedded mode
    generates one once into ``path``."""
    value = env_secret(name)
    if value:
        return value
    if production:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) is required in production")
    return generated_secret(path, make)


def _random_base64_key() -> str:
    import base64

    return base64.b64encode(secrets.token_bytes(32)).decode()


def vault_master_key(directory: Path, *, production: bool) -> bytes:
    """``PRIVACYDESK_VAULT_MASTER_KEY``: 32 bytes, base64; it encrypts the vault's day keys.

    Embedded mode generates one into the data dir; production requires it explicitly, so that
    it can live apart from the keyring and from every backup.
    """
    import base64

    value = secret_or_generated(
        "PRIVACYDESK_VAULT_MASTER_KEY", directory / "vault_master_key", _random_base64_key,
        production=production,
    )  # fmt: skip
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured("PRIVACYDESK_VAULT_MASTER_KEY must be 32 bytes in base64")
    return key


def pseudonym_keys(directory: Path, *, production: bool) -> tuple[bytes, ...]:
    """``PRIVACYDESK_PSEUDONYM_KEYS``: the keys of the data-subject references, newest first.

    Audit entries name people by a keyed hash (P3, Art. 4(5) GDPR pseudonymisation). The key is
    not ``SECRET_KEY``: rotating the site secret must not cut a person's history off. Rotation
    puts a new key in front and keeps the old ones, since the audit chain is never rewritten and
    look-ups try every key. Keys are base64, at least 32 bytes each, separated by commas or
    line breaks. Embedded mode generates one into ``DATA_DIR/pseudonym_keys`` (add a new first
    line there to rotate); production requires them explicitly.
    """
    import base64

    value = secret_or_generated(
        "PRIVACYDESK_PSEUDONYM_KEYS", directory / "pseudonym_keys", _random_base64_key,
        production=production,
    )  # fmt: skip
    keys = []
    for part in re.split(r"[\s,]+", value.strip()):
        try:
            key = base64.b64decode(part, validate=True)
        except ValueError:
            key = b""
        if len(key) < 32:
            raise ImproperlyConfigured(
                "PRIVACYDESK_PSEUDONYM_KEYS must be base64 keys of at least 32 bytes"
            )
        keys.append(key)
    return tuple(keys)


def signing_key_pem(directory: Path, *, production: bool) -> str:
    """``PRIVACYDESK_SIGNING_KEY``: the company's Ed25519 private key (PEM) for certificates."""

    def make() -> str:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return (
            Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )

    return secret_or_generated(
        "PRIVACYDESK_SIGNING_KEY", directory / "signing_key.pem", make, production=production
    )


def database(directory: Path) -> dict:
    """``DATABASE_URL``: PostgreSQL when given, otherwise SQLite in WAL mode in the data dir."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    if not raw:
        return sqlite_database(directory / "privacydesk.sqlite3")
    import dj_database_url

    scheme = urlsplit(raw).scheme
    if scheme not in {"postgres", "postgresql", "sqlite"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite://, got scheme {scheme!r}"
        )
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not valid: {exc}") from None
    if not config.get("NAME") or config["NAME"] == ":memory:":
        raise ImproperlyConfigured("DATABASE_URL must name a database (file)")
    if scheme == "sqlite":
        return sqlite_database(Path(config["NAME"]))
    return config


def sqlite_database(path: Path) -> dict:
    """SQLite tuned for a web server and a worker side by side (WAL, busy timeout)."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Each thread keeps its connection (and its PRAGMAs) instead of opening one per request.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
    }


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False


_EMAIL_SCHEMES = {
    "smtp": (25, False, False),
    "smtp+tls": (587, True, False),
    "smtp+ssl": (465, False, True),
}


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    mailbox: str
    ssl: bool

    def __bool__(self) -> bool:
        return bool(self.host)


NO_IMAP = ImapConfig(host="", port=0, user="", password="", mailbox="INBOX", ssl=True)


def imap(env_value: str | None) -> ImapConfig:
    """``IMAP_URL``: ``imaps://user:password@host:993/INBOX`` (``imap://``: plain); unset: off."""
    if not env_value:
        return NO_IMAP
    parts = urlsplit(env_value)
    if parts.scheme not in ("imap", "imaps"):
        raise ImproperlyConfigured(
            f"IMAP_URL must start with imaps:// or imap://, got scheme {parts.scheme!r}"
        )
    if not parts.hostname:
        raise ImproperlyConfigured("IMAP_URL must name a host")
    try:
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
    except ValueError:
        raise ImproperlyConfigured("IMAP_URL has an invalid port") from None
    if not parts.username:
        raise ImproperlyConfigured("IMAP_URL must name a user (imaps://user:password@host/INBOX)")
    return ImapConfig(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
        ssl=parts.scheme == "imaps",
    )


def email(raw: str | None = None) -> EmailConfig:
    """``EMAIL_URL``: ``smtp://``, ``smtp+tls://`` (STARTTLS) or ``smtp+ssl://``; unset = outbox."""
    raw = env_secret("EMAIL_URL") if raw is None else raw
    if not raw:
        return EmailConfig(backend="privacydesk.backoffice.outbox.OutboxBackend")
    parts = urlsplit(raw)
    if parts.scheme not in _EMAIL_SCHEMES:
        raise ImproperlyConfigured(
            "EMAIL_URL must start with smtp://, smtp+tls:// or smtp+ssl://, "
            f"got scheme {parts.scheme!r}"
        )
    default_port, use_tls, use_ssl = _EMAIL_SCHEMES[parts.scheme]
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL must name a host")
    try:
        port = parts.port or default_port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has an invalid port") from None
    if parse_qs(parts.query):
        raise ImproperlyConfigured("EMAIL_URL takes no query parameters")
    return EmailConfig(
        backend="django.core.mail.backends.smtp.EmailBackend",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )
