"""Keep personal data out of logs (P1, P3).

Logs are copied, rotated and shipped to places that no data-subject request reaches, so
nothing that identifies a person may be written there: e-mail addresses, IP addresses (P1
names them explicitly) and phone numbers are replaced before a record reaches any handler.

What is masked, and what is not:

- Values in URLs are found also when percent-encoded (``carol%40example.nl``,
  ``%2B31%206...``, twice-encoded ``%2540``) or with ``+`` for a space (query strings): a
  word holding such an encoding is decoded for the search, and if it holds personal data it
  is written decoded and masked (``?q=[email]``), with spaces and control characters
  percent-encoded again so that a value cannot start a new log line.
- The customer's download link is a bearer secret: the signed token after ``/vault/`` is
  masked. Only a signed token (``payload:timestamp:signature``) is one; file paths such as
  ``privacydesk/vault/services.py`` in a traceback and staff URLs are left alone.
- IP addresses are masked, except the loopback and unspecified addresses (``127.0.0.1``,
  ``::1``, ``0.0.0.0``, ``::``): they name this machine, never a person. The address in
  gunicorn's ``Listening at:`` line is the server's own socket, not a client's, and is kept
  whatever it is (:class:`RedactPersonalData`).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from urllib.parse import quote, unquote, unquote_plus

# Local part: the characters RFC 5322 allows unquoted, less / = ? & (which in a logged URL
# separate the address from the path or query around it); domain: labels and a TLD.
# The look-behind lets a match start only where a local part starts: without it a long run
# of such characters with no "@" was scanned again from every position (quadratic time).
EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9!#$%'*+^_`{|}~.\-])"
    r"[A-Za-z0-9!#$%'*+^_`{|}~.\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
IPV4_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# IPv6 with an IPv4 tail (``::ffff:192.0.2.1``, as dual-stack sockets log IPv4 clients):
# matched whole before the plain patterns, which would otherwise take the two halves apart.
IPV6_V4_RE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]*:(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# Candidate IPv6 tokens; each is confirmed with the ipaddress module before it is replaced.
IPV6_RE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])")
IPV6_ANY_RE = re.compile(f"{IPV6_V4_RE.pattern}|{IPV6_RE.pattern}")
# Dutch and international numbers: +31 6 12345678, 06-12345678, 0031 20 123 4567, (020) 1234567.
# Not inside hexadecimal ids: a UUID such as cf5858b1-0953-4553-8971-... holds digit runs
# separated by dashes that would otherwise read as a phone number.
PHONE_RE = re.compile(
    r"(?<![\w+])(?<![0-9A-Fa-f]-)(?:\+|00)?(?:\(?\d{1,4}\)?[\s\-.]?){1,2}\d{2,4}[\s\-.]?"
    r"\d{2,4}[\s\-.]?\d{0,4}(?!\w)(?!-[0-9A-Fa-f])"
)

# The customer's download link is a bearer secret: it must not be readable from a log. A
# token is Django's signed value: base64 payload (``.`` first when compressed), timestamp and
# signature, separated by colons; a path segment without colons is no token.
VAULT_LINK_RE = re.compile(r"(/vault/)[\w.\-]+(?::[\w.\-]+){1,2}(?=[/\s\"?#&]|$)")

# A word holding a percent-encoding or a "+" (space in a query string).
# (Starts only where a word starts, so a long word is scanned once, not once per character.)
ENCODED_RE = re.compile(r"(?<![^\s\"<>])[^\s\"<>]*(?:%[0-9A-Fa-f]{2}|\+)[^\s\"<>]*")
# What is written again percent-encoded after a masked value was decoded: never a raw space,
# control or format character in the log line.
_SAFE_AFTER_DECODING = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")

_URL_PARTS_RE = re.compile(r"([?&=;#])")
_MASKS_RE = re.compile(r"\[(?:email|ip|phone|token)\]")

# gunicorn's arbiter names its own socket: "Listening at: http://192.0.2.7:8000 (1234)".
LISTENING_RE = re.compile(r"^Listening at: \S+ \(\d+\)$")

EMAIL_MASK = "[email]"
IP_MASK = "[ip]"
PHONE_MASK = "[phone]"


def _is_this_machine(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback and unspecified addresses name the machine itself, never a person."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_loopback or address.is_unspecified


def _mask_ipv4(match: re.Match[str]) -> str:
    try:
        address = ipaddress.IPv4Address(match.group(0))
    except ValueError:
        return match.group(0)
    return match.group(0) if _is_this_machine(address) else IP_MASK


def _mask_ipv6(match: re.Match[str]) -> str:
    token = match.group(0)
    try:
        address = ipaddress.IPv6Address(token.split("%", 1)[0])
    except ValueError:
        return token
    return token if _is_this_machine(address) else IP_MASK


def _mask_phone(match: re.Match[str]) -> str:
    token = match.group(0)
    digits = re.sub(r"\D", "", token)
    # Fewer than 9 digits is a count, a port or a year, not a phone number.
    if len(digits) < 9 or len(digits) > 15:
        return token
    # Phone numbers are written with a trunk or international prefix (0, 00, +, "(0");
    # dates, ids and counters are not.
    if not token.lstrip("(").startswith(("0", "+")):
        return token
    return PHONE_MASK


def _redact_plain(text: str) -> str:
    text = VAULT_LINK_RE.sub(r"\1[token]", text)
    text = EMAIL_RE.sub(EMAIL_MASK, text)
    text = IPV6_ANY_RE.sub(_mask_ipv6, text)
    text = IPV4_RE.sub(_mask_ipv4, text)
    return PHONE_RE.sub(_mask_phone, text)


def _decodings(word: str) -> list[str]:
    """``word`` percent-decoded, up to three times (``%2540``), with ``+`` kept and as space."""
    found: list[str] = []
    current = word
    for _ in range(3):
        for decoded in (unquote(current), unquote_plus(current)):
            if decoded != word and decoded not in found:
                found.append(decoded)
        following = unquote(current)
        if following == current:
            break
        current = following
    return found


def _mask_encoded(match: re.Match[str]) -> str:
    """Mask what a word's percent-encoding (or ``+`` for space) hides, part by part.

    What is readable as it stands is masked as it stands; then each query part (split at
    ``? & = ; #``; a path stays whole, so ``/vault/`` still precedes its token) is decoded
    both ways, ``+`` kept and ``+`` as space, and the decoding whose masking leaves the least
    readable text wins (``o'brien+news%40...`` is one address, ``%2B31+6+...`` one number).
    """
    word = _redact_plain(match.group(0))
    out = []
    for part in _URL_PARTS_RE.split(word):
        best, left = part, None
        for decoded in _decodings(part):
            masked = _redact_plain(decoded)
            if masked == decoded:
                continue
            readable = len(_MASKS_RE.sub("", masked))
            if left is None or readable < left:
                best, left = quote(masked, safe=_SAFE_AFTER_DECODING), readable
        out.append(best)
    return "".join(out)


def redact(text: str) -> str:
    """Return ``text`` with e-mail addresses, IP addresses, phone numbers and download-link
    tokens masked, in plain text and percent-encoded in URLs."""
    return _redact_plain(ENCODED_RE.sub(_mask_encoded, text))


def contains_personal_data(text: str) -> bool:
    """True when ``text`` holds something :func:`redact` would mask."""
    return redact(text) != text


class RedactPersonalData(logging.Filter):
    """A logging filter for every handler: formats the message, masks it, drops the args.

    Exception text is masked too, because tracebacks quote the values that failed.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        if not (record.name == "gunicorn.error" and LISTENING_RE.match(message)):
            message = redact(message)
        record.msg = message
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


#: Where an IP address is kept as evidence (proof of consent), it is kept truncated: the
#: network, not the device. IPv4 keeps its first three bytes (/24), IPv6 its first 48 bits
#: (a site); an IPv4 client seen on a dual-stack socket (``::ffff:a.b.c.d``) counts as IPv4.
IPV4_KEEP_BITS = 24
IPV6_KEEP_BITS = 48


def truncate_ip(value: str | None) -> str:
    """``value`` truncated to its network (``192.0.2.0``, ``2001:db8:1::``); "" if no address."""
    try:
        address = ipaddress.ip_address((value or "").strip().split("%", 1)[0])
    except ValueError:
        return ""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    bits = IPV4_KEEP_BITS if address.version == 4 else IPV6_KEEP_BITS
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False).network_address)
