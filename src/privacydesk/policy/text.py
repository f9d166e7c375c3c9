"""Plain text from the policy's HTML, for diffs between versions and for the CLI."""

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
