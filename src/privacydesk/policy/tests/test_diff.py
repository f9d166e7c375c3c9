"""The policy diff is readable, and version 1 is policy only (issue 8, "Seen" 7).

It was one long paragraph of struck-through and underlined text, and version 1 began with
the old website's menu ("Menu Sluiten Privacy policy").
"""

import importlib
import re

import pytest
from django.apps import apps
from django.template.loader import render_to_string

from privacydesk.policy import checks, diff, services
from privacydesk.policy.models import PolicyVersion

migration = importlib.import_module(
    "privacydesk.policy.migrations.0003_version_1_without_site_menu"
)


def test_unchanged_blocks_are_plain_and_collapsed():
    old = "<h2>Intro</h2><p>One.</p><p>Two.</p><p>Three.</p><p>Four.</p><p>Old tail.</p>"
    new = "<h2>Intro</h2><p>One.</p><p>Two.</p><p>Three.</p><p>Four.</p><p>New tail.</p>"
    blocks = diff.diff_blocks(old, new)
    assert [b.change for b in blocks] == ["collapsed", "same", "changed"]
    assert [b.text for b in blocks[0].blocks] == ["Intro", "One.", "Two.", "Three."]
    assert blocks[1].text == "Four."


def test_a_changed_paragraph_marks_only_its_changed_words():
    old = "<p>We keep your data for one month on our system.</p>"
    new = "<p>We keep your data for two months on our secured system.</p>"
    (block,) = diff.diff_blocks(old, new)
    assert block.change == "changed"
    assert [s.text for s in block.old if s.marked] == ["one month"]
    assert [s.text for s in block.new if s.marked] == ["two months", "secured"]
    assert "".join(s.text for s in block.old) == "We keep your data for one month on our system."
    assert "".join(s.text for s in block.new).endswith("on our secured system.")


def test_different_paragraphs_are_removed_and_added_not_mixed():
    blocks = diff.diff_blocks("<p>Cookies are tasty.</p>", "<p>Invoices are kept seven years.</p>")
    assert [b.change for b in blocks] == ["removed", "added"]


def test_same_texts_have_no_changes():
    assert diff.diff_blocks("<p>A</p><ul><li>b</li></ul>", "<p>A</p><ul><li>b</li></ul>") == []


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/privacy/versions/compare/?from=1&to=2", ("Verwijderd", "Toegevoegd", "Gewijzigd")),
        ("/en/privacy/versions/compare/?from=1&to=2", ("Removed", "Added", "Changed")),
    ],
)
def test_diff_page_labels_each_change_in_words(client, db, url, words):
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    text = visible(html)
    for word in words:
        assert word in text
    assert html.count('class="pd-change pd-change-') >= 10
    assert "<h2>" in html  # headings of the new text stay headings
    assert "Menu Sluiten" not in text and "Menu Close" not in text
    body = html.split("</head>", 1)[1]  # the head holds the cookie banner's script tag
    assert "style=" not in html and "<script" not in body


def test_a_missing_version_is_a_404_that_says_so(client, db):
    page = client.get("/privacy/versions/compare/?from=1&to=99")
    assert page.status_code == 404
    assert "Er is geen versie 99 van de privacyvoorwaarden." in page.content.decode()
    english = client.get("/en/privacy/versions/compare/?from=99&to=1").content.decode()
    assert "There is no version 99 of the privacy policy." in english


def _seed(lang: str) -> tuple[str, str]:
    text = (services.SEED_DIR / f"privacy-policy-2018-{lang}.txt").read_text(encoding="utf-8")
    return text.strip(), render_to_string("policy/seed.html", {"text": text})


def test_version_1_starts_with_the_policy(db):
    version = PolicyVersion.objects.get(number=1)
    assert version.text_nl.startswith("Privacy policy\n\nIntroductie\n")
    assert version.text_en.startswith("Privacy policy (English translation")
    assert version.html_nl.startswith('<div class="pd-policy pd-seed"><p>Privacy policy</p>')
    assert "Menu" not in version.text_nl.split("\n", 1)[0]


def test_migration_removes_the_menu_from_a_stored_version_1(db):
    """A database from before the fix: version 1 as it was stored, menu first."""
    old = {}
    for lang, menu in migration.MENUS.items():
        text, html = _seed(lang)
        old[f"text_{lang}"] = f"{menu}\n\n{text}"
        old[f"html_{lang}"] = html.replace(
            migration.SEED_OPEN, f"{migration.SEED_OPEN}<p>{menu}</p>", 1
        )
    old["sha256"] = "0" * 64
    PolicyVersion.objects.filter(number=1).update(**old)

    migration.remove_menu(apps, None)
    migration.remove_menu(apps, None)  # idempotent

    version = PolicyVersion.objects.get(number=1)
    for lang in ("nl", "en"):
        text, html = _seed(lang)
        assert version.text(lang) == text
        assert version.html(lang) == html
    assert version.sha256 == services._texts_sha(version.html_nl, version.html_en)
    assert checks.run_checks() == []
