"""The message catalogues: Dutch complete and compiled, English beside it, both really served.

Update and compile after changing user-visible text (run in src/privacydesk)::

    django-admin makemessages -l nl -l en --settings=privacydesk.settings \
        --ignore 'tests/*' --ignore 'testing/*'
    django-admin compilemessages --settings=privacydesk.settings
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

PACKAGE_DIR = Path(settings.PACKAGE_DIR)
LOCALE_DIR = PACKAGE_DIR / "locale"
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
UPDATE_HINT = (
    "run `django-admin makemessages -l nl -l en --settings=privacydesk.settings "
    "--ignore 'tests/*' --ignore 'testing/*'` and `django-admin compilemessages "
    "--settings=privacydesk.settings` in src/privacydesk"
)

# printf-style conversions as Python's % operator reads them; "%%" is a literal percent sign.
_PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?.")


def _po(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"))


def _key(entry: polib._BaseEntry) -> tuple[str | None, str]:
    return (entry.msgctxt or None, entry.msgid)


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in _PLACEHOLDER.finditer(text) if m.group(0) != "%%")


def _msgstrs(entry: polib._BaseEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def _mapping(entries) -> dict[tuple[str | None, str], tuple[str, ...]]:
    return {_key(e): tuple(_msgstrs(e)) for e in entries if e.msgid}


@pytest.mark.parametrize("lang", LANGUAGE_CODES)
def test_catalogue_exists_for_every_language(lang):
    for name in ("django.po", "django.mo"):
        path = LOCALE_DIR / lang / "LC_MESSAGES" / name
        assert path.is_file(), f"{path} is missing; {UPDATE_HINT}"
    assert _po(lang).metadata.get("Language") == lang


def test_dutch_catalogue_is_complete_and_not_fuzzy():
    po = _po("nl")
    assert not po.metadata_is_fuzzy, "the header of the Dutch catalogue is marked fuzzy"
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated Dutch messages: {untranslated}"
    assert not fuzzy, f"fuzzy Dutch messages (check them, then drop the flag): {fuzzy}"
    assert len(po.translated_entries()) > 0


@pytest.mark.parametrize("lang", LANGUAGE_CODES)
def test_translations_keep_the_placeholders(lang):
    wrong = []
    for entry in _po(lang).translated_entries():
        if "python-format" not in entry.flags and "%(" not in entry.msgid:
            continue
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected = _placeholders(sources[-1])
        for msgstr in _msgstrs(entry):
            if _placeholders(msgstr) != expected:
                wrong.append((entry.msgid, msgstr))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


@pytest.mark.parametrize("lang", LANGUAGE_CODES)
def test_compiled_catalogue_matches_the_po_file(lang):
    """The .mo file is committed too; it must have been compiled from the current .po file."""
    po = _po(lang)
    mo = polib.mofile(str(LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"))
    assert _mapping(mo) == _mapping(po.translated_entries()), (
        f"locale/{lang}/LC_MESSAGES/django.mo is out of date; {UPDATE_HINT}"
    )


def test_dutch_catalogue_is_loaded_by_django():
    with translation.override("nl"):
        assert translation.gettext("Privacy officer") == "Privacyfunctionaris"
    with translation.override("en"):
        assert translation.gettext("Privacy officer") == "Privacy officer"


def test_sign_in_page_is_dutch_by_default(client, db):
    response = client.get("/staff/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="nl"' in html
    assert 'value="Inloggen"' in html
    assert "Gebruikersnaam" in html
    assert "Sign in" not in html


def test_sign_in_page_is_english_on_request(client, db):
    response = client.get("/staff/login/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en"' in html
    assert 'value="Sign in"' in html
    assert "Username" in html
    assert "Inloggen" not in html


def test_public_pages_follow_the_url(client, db):
    """Public pages have one URL per language: / is Dutch, /en/ English, whatever the browser."""
    assert "Inloggen voor medewerkers" in client.get("/").content.decode()
    assert (
        "Inloggen voor medewerkers" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert "Staff sign-in" in client.get("/en/").content.decode()


def test_every_marked_string_is_in_the_catalogue(settings, tmp_path):
    """Extract from a copy of the sources, as makemessages would, and look for the msgids.

    makemessages writes next to the sources it walks, so it runs on a copy of the package
    (without tests, locale and static files) with LOCALE_PATHS pointing into the copy.
    """
    source = tmp_path / "privacydesk"
    shutil.copytree(
        PACKAGE_DIR,
        source,
        ignore=shutil.ignore_patterns(
            "tests", "testing", "locale", "static", "__pycache__", "*.pyc", "*.mo", "*.po"
        ),
    )
    (source / "locale").mkdir()
    settings.LOCALE_PATHS = [source / "locale"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(source)
        call_command(
            "makemessages",
            locale=["nl"],
            ignore_patterns=["tests/*", "testing/*"],
            keep_pot=True,
            verbosity=0,
        )
    extracted = {_key(e) for e in polib.pofile(str(source / "locale" / "django.pot")) if e.msgid}
    assert extracted, "makemessages extracted nothing; is the copy complete?"
    for lang in LANGUAGE_CODES:
        catalogued = {_key(e) for e in _po(lang) if not e.obsolete}
        missing = sorted(extracted - catalogued, key=str)
        assert not missing, f"not in locale/{lang}/LC_MESSAGES/django.po: {missing}; {UPDATE_HINT}"
