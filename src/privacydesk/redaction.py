"""Keep personal data out of logs (P1, P3).

Logs are copied, rotated and shipped to places that no data-subject request reaches, so
nothing that identifies a person may be written there: e-mail addresses, IP addresses (P1
names them explicitly) and phone numbers are replaced before a record reaches any handler.
"""

from __future__ import annotations

import ipaddress
import logging
import re

# Local part: the characters RFC 5322 allows unquoted, less / = ? & (which in a logged URL
# separate the address from the path or query around it); domain: labels and a TLD.
EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%'*+^_`{|}~.\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
IPV4_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# Candidate IPv6 tokens; each is confirmed with the ipaddress module before it is replaced.
IPV6_RE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])")
# Dutch and international numbers: +31 6 12345678, 06-12345678, 0031 20 123 4567, (020) 1234567.
# Not inside hexadecimal ids: a UUID such as cf5858b1-0953-4553-8971-... holds digit runs
# separated by dashes that would otherwise read as a phone number.
PHONE_RE = re.compile(
    r"(?<![\w+])(?<![0-9A-Fa-f]-)(?:\+|00)?(?:\(?\d{1,4}\)?[\s\-.]?){1,2}\d{2,4}[\s\-.]?"
    r"\d{2,4}[\s\-.]?\d{0,4}(?!\w)(?!-[0-9A-Fa-f])"
)

# The customer's download link is a bearer secret: it must not be readable from a log.
VAULT_LINK_RE = re.compile(r"(/vault/)[^/\s\"?]+")

EMAIL_MASK = "[email]"
IP_MASK = "[ip]"
PHONE_MASK = "[phone]"


def _mask_ipv4(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv4Address(match.group(0))
    except ValueError:
        return match.group(0)
    return IP_MASK


def _mask_ipv6(match: re.Match[str]) -> str:
    token = match.group(0)
    try:
        ipaddress.IPv6Address(token.split("%", 1)[0])
    except ValueError:
        return token
    return IP_MASK


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


def redact(text: str) -> str:
    """Return ``text`` with e-mail addresses, IP addresses, phone numbers and download-link
    tokens masked."""
    text = VAULT_LINK_RE.sub(r"\1[token]", text)
    text = EMAIL_RE.sub(EMAIL_MASK, text)
    text = IPV6_RE.sub(_mask_ipv6, text)
    text = IPV4_RE.sub(_mask_ipv4, text)
    return PHONE_RE.sub(_mask_phone, text)


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
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
