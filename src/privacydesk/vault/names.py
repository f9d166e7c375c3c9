"""File names from a customer's disk are data, never paths (P3).

The raw bytes are kept as they were; what is shown and used as a download name is a safe,
escaped text: no path separators, no control characters, valid UTF-8, bounded length.
"""

from __future__ import annotations

import os

MAX_NAME = 255


def raw_bytes(name: str | bytes) -> bytes:
    """The name's original bytes (``os.fsencode`` keeps undecodable bytes as they were)."""
    return name if isinstance(name, bytes) else os.fsencode(name)


def display_name(raw: bytes) -> str:
    """A printable, single-component name: undecodable bytes, control characters and path
    separators appear as ``\\xNN``."""
    text = raw.decode("utf-8", errors="surrogateescape")
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch in "/\\" or code < 32 or code == 127:  # path separators, control characters
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    name = "".join(out).strip() or "unnamed"
    if name in {".", ".."}:
        name = name.replace(".", "\\x2e")
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 1] + "…"
    return name


def relative_display(parts: list[bytes]) -> str:
    """A file found under a directory tree: its path parts, each made safe, joined by ' / '."""
    return " / ".join(display_name(p) for p in parts)[:1000]
