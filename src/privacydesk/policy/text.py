"""Plain text and blocks from the policy's HTML, for diffs between versions and for the CLI."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "li", "tr", "dt", "dd", "div", "section", "br", "table"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag in {"td", "th"}:
            self.parts.append(" | ")

    def handle_endtag(self, tag):
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """One line per block element, whitespace collapsed, blank lines squeezed."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = []
    for raw in "".join(parser.parts).splitlines():
        line = re.sub(r"[ \t]+", " ", unescape(raw)).strip()
        line = line.removeprefix("| ").strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


#: Elements that hold one block of running text; a diff compares these.
LEAF_BLOCKS = {"p", "h1", "h2", "h3", "h4", "li", "dt", "dd", "tr", "caption"}
_CONTAINERS = {"div", "section", "article", "ul", "ol", "dl", "table", "thead", "tbody"}


class _BlockParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self.tag: str | None = None
        self.buffer: list[str] = []

    def flush(self, tag: str | None) -> None:
        text = "\n".join(
            " ".join(line.split()) for line in "".join(self.buffer).split("\n") if line.strip()
        )
        if text:
            self.blocks.append((tag or "p", text))
        self.buffer = []

    def handle_starttag(self, tag, attrs):
        if tag in LEAF_BLOCKS or (tag in _CONTAINERS and self.tag is None):
            self.flush(self.tag)
            self.tag = tag if tag in LEAF_BLOCKS else None
        elif tag == "br":
            self.buffer.append("\n")
        elif tag in {"td", "th"} and self.buffer:
            self.buffer.append(" | ")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in LEAF_BLOCKS or tag in _CONTAINERS:
            self.flush(self.tag)
            self.tag = None

    def handle_data(self, data):
        self.buffer.append(data.replace("\n", " "))


def html_blocks(html: str) -> list[tuple[str, str]]:
    """The policy as ``(tag, text)`` blocks: headings, paragraphs, list items, table rows.

    Whitespace is collapsed within a line; a ``<br>`` stays a line break (addresses).
    """
    parser = _BlockParser()
    parser.feed(html)
    parser.close()
    parser.flush(parser.tag)
    blocks: list[tuple[str, str]] = []
    for tag, text in parser.blocks:
        if tag == "dd" and blocks and blocks[-1][0] == "dt":
            # A term and its description read as one statement: "Grondslag: ...".
            blocks[-1] = ("dd", f"{blocks[-1][1]}: {text}")
        else:
            blocks.append((tag, text))
    return blocks
