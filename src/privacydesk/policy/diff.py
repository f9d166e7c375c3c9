"""What changed between two published versions of the policy, block by block (P15).

A reader compares headings, paragraphs and list items, not a stream of characters: blocks
are matched first; a block only in the old text is *removed*, one only in the new text is
*added*, and two that are mostly the same are one *changed* block, shown old and new with
the differing words marked. Long runs of unchanged blocks are collapsed around the changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from privacydesk.policy.models import PolicyVersion
from privacydesk.policy.text import html_blocks

#: Two blocks whose words agree at least this much are one changed block.
SIMILAR = 0.5
#: Unchanged blocks shown on each side of a change; the rest of a run is collapsed.
CONTEXT = 1

_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool = False


@dataclass
class Block:
    """One entry of the diff: ``same``, ``removed``, ``added``, ``changed`` or ``collapsed``."""

    change: str
    tag: str = "p"
    text: str = ""
    old: list[Segment] = field(default_factory=list)
    new: list[Segment] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # for a run of list items (``ul``)
    blocks: list[Block] = field(default_factory=list)  # collapsed, or a run removed/added

    @property
    def heading(self) -> bool:
        return self.tag in {"h1", "h2", "h3", "h4"}

    @property
    def item(self) -> bool:
        return self.tag == "li"


def _words(text: str) -> list[str]:
    return _WORDS.findall(text)


def _similar(a: str, b: str) -> bool:
    """Mostly the same words (spaces do not count, or every pair would look alike)."""
    a_words = [w for w in _words(a) if not w.isspace()]
    b_words = [w for w in _words(b) if not w.isspace()]
    matcher = SequenceMatcher(None, a_words, b_words, autojunk=False)
    return matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR


def _segments(words: list[str], keep: list[tuple[int, int]], n: int) -> list[Segment]:
    """``words`` as segments, marked outside the ranges in ``keep``; whitespace never marked."""
    kept = [False] * n
    for start, end in keep:
        for i in range(start, end):
            kept[i] = True
    out: list[Segment] = []
    for word, is_kept in zip(words, kept, strict=True):
        marked = not is_kept and not word.isspace()
        if out and out[-1].marked == marked:
            out[-1] = Segment(out[-1].text + word, marked)
        elif out and word.isspace() and out[-1].marked:
            # A space between two changed words stays inside the mark.
            out[-1] = Segment(out[-1].text + word, True)
        else:
            out.append(Segment(word, marked))
    # A mark never ends in whitespace: move it out, so the struck text ends at the word.
    tidy: list[Segment] = []
    for seg in out:
        if seg.marked and seg.text != seg.text.rstrip():
            tidy.append(Segment(seg.text.rstrip(), True))
            tidy.append(Segment(seg.text[len(seg.text.rstrip()) :]))
        else:
            tidy.append(seg)
    return [s for s in tidy if s.text]


def changed_block(old_tag: str, old: str, new_tag: str, new: str) -> Block:
    a, b = _words(old), _words(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    same = [m for m in matcher.get_matching_blocks() if m.size]
    return Block(
        "changed",
        tag=new_tag,
        old=_segments(a, [(m.a, m.a + m.size) for m in same], len(a)),
        new=_segments(b, [(m.b, m.b + m.size) for m in same], len(b)),
    )


def _replace(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[Block]:
    """Pair the blocks of a replaced stretch: similar ones change, the others go or come."""
    out: list[Block] = []
    i = j = 0
    while i < len(old) and j < len(new):
        (a_tag, a), (b_tag, b) = old[i], new[j]
        if _similar(a, b):
            out.append(changed_block(a_tag, a, b_tag, b))
            i, j = i + 1, j + 1
        elif any(_similar(a, later) for _, later in new[j + 1 :]):
            out.append(Block("added", tag=b_tag, text=b))
            j += 1
        else:
            out.append(Block("removed", tag=a_tag, text=a))
            i += 1
    out += [Block("removed", tag=t, text=x) for t, x in old[i:]]
    out += [Block("added", tag=t, text=x) for t, x in new[j:]]
    return out


def _collapse(run: list[Block], *, first: bool, last: bool) -> list[Block]:
    """Keep ``CONTEXT`` unchanged blocks next to each change; fold the rest of the run."""
    head = [] if first else run[:CONTEXT]
    tail = [] if last else run[len(run) - CONTEXT :]
    middle = run[len(head) : len(run) - len(tail)]
    if len(middle) < 2:
        return run
    return [*head, Block("collapsed", blocks=middle), *tail]


def _lists(blocks: list[Block]) -> list[Block]:
    """Consecutive list items with the same fate become one list."""
    out: list[Block] = []
    for block in blocks:
        if block.item and block.change != "changed":
            if out and out[-1].tag == "ul" and out[-1].change == block.change:
                out[-1].items.append(block.text)
                continue
            block = Block(block.change, tag="ul", items=[block.text])
        out.append(block)
    return out


def _runs(blocks: list[Block]) -> list[Block]:
    """Consecutive removed (or added) blocks under one label."""
    out: list[Block] = []
    for block in blocks:
        if block.change in {"removed", "added"}:
            if out and out[-1].change == block.change and out[-1].blocks:
                out[-1].blocks.append(block)
                continue
            block = Block(block.change, blocks=[block])
        out.append(block)
    return out


def diff_blocks(old_html: str, new_html: str) -> list[Block]:
    """The block diff of two policy texts (HTML as stored): list items grouped, removed and
    added runs under one label each, unchanged runs collapsed; empty when the texts are the
    same."""
    raw = _block_changes(old_html, new_html)
    if all(block.change == "same" for block in raw):
        return []  # nothing changed: the page says so instead of repeating the text
    out: list[Block] = []
    run: list[Block] = []
    for block in _runs(_lists(raw)):
        if block.change == "same":
            run.append(block)
            continue
        if run:
            out += _collapse(run, first=not out, last=False)
            run = []
        out.append(block)
    if run:
        out += _collapse(run, first=False, last=True)
    return out


def _block_changes(old_html: str, new_html: str) -> list[Block]:
    """One entry per block: same, removed, added or changed."""
    old, new = html_blocks(old_html), html_blocks(new_html)
    matcher = SequenceMatcher(None, [t for _, t in old], [t for _, t in new], autojunk=False)
    raw: list[Block] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            raw += [Block("same", tag=tag, text=text) for tag, text in new[b1:b2]]
        elif op == "delete":
            raw += [Block("removed", tag=tag, text=text) for tag, text in old[a1:a2]]
        elif op == "insert":
            raw += [Block("added", tag=tag, text=text) for tag, text in new[b1:b2]]
        else:
            raw += _replace(old[a1:a2], new[b1:b2])
    return raw


def summary(blocks: list[Block]) -> dict[str, int]:
    """How many paragraphs (headings, list items) were removed, added and changed."""
    counts = {"removed": 0, "added": 0, "changed": 0}
    for block in blocks:
        inner = block.blocks or [block]
        if block.change in counts:
            counts[block.change] += sum(len(b.items) or 1 for b in inner)
    return counts


def diff_versions(a: PolicyVersion, b: PolicyVersion, lang: str) -> list[Block]:
    return diff_blocks(a.html(lang), b.html(lang))
