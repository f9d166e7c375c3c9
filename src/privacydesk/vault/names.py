"""File names from a customer's disk are data, never paths, and never display tricks (P3).

The raw bytes are kept as they were; what is shown and used as a download name is a safe,
escaped text: no path separators, no control characters, no invisible format characters
(Unicode category Cf: bidi overrides such as U+202E, zero-width characters), valid UTF-8,
bounded length. ``invoice\\u202efdp.exe`` would otherwise *display* as "invoiceexe.pdf".

One escaping rule, :func:`clean`, is applied by every output (portal list, download names,
ZIP entries, staff pages, the CLI); :func:`display_name` uses the same rule when an item is
stored, so names stored before a rule was added are made safe when they are shown.
"""

from __future__ import annotations

import unicodedata

MAX_NAME = 255
#: Categories that never reach an output as themselves: controls (C0 and C1), format
#: characters (bidi controls, zero-width joiners, BOM), lone surrogates, line and paragraph
#: separators.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
UNNAMED = "unnamed"


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def clean(text: str) -> str:
    """``text`` with every control, format or separator character escaped as ``\\xNN``,
    ``\\uNNNN`` or ``\\UNNNNNNNN``. The one rule every output uses; idempotent (escapes are
    printable ASCII), so applying it to an already escaped name changes nothing."""
    if text.isprintable() and not any(_unsafe(ch) for ch in text):
        return text
    return "".join(_escape(ch) if _unsafe(ch) else ch for ch in text)


def display_name(raw: bytes) -> str:
    """A printable, single-component name: undecodable bytes, control and format characters
    and path separators appear escaped (see :func:`clean`)."""
    text = raw.decode("utf-8", errors="surrogateescape")
    name = "".join(_escape(ch) if ch in "/\\" else ch for ch in text)
    name = clean(name).strip() or UNNAMED
    if name in {".", ".."}:
        name = name.replace(".", "\\x2e")
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 1] + "…"
    return name


def relative_display(parts: list[bytes]) -> str:
    """A file found under a directory tree: its path parts, each made safe, joined by ' / '."""
    return " / ".join(display_name(p) for p in parts)[:1000]


def file_part(part: str) -> str:
    """One path component for a download name or a ZIP entry: :func:`clean`, then no
    separators (a backslash is one on Windows; browsers also write ``_``), never empty,
    ``.`` or ``..``."""
    part = clean(part).replace("/", "_").replace("\\", "_").strip()
    if not part:
        return UNNAMED
    if part in {".", ".."}:
        return part.replace(".", "_")
    return part[:MAX_NAME]


def file_parts(shown: str) -> list[str]:
    """The components of an item's shown name (``a / b / c.txt``), each made a file part."""
    return [file_part(p) for p in shown.split(" / ")]
