"""German and English catalogues: complete, current with the code, and compiled.

- every message is translated in de and en, none is fuzzy, and placeholders survive;
- the .po files hold exactly the messages that `makemessages` finds in the code today
  (it runs on a copy of the sources, so the working tree is never touched; needs gettext);
- the committed .mo files say what the .po files say (read back with polib), so a fresh
  machine without gettext serves the same translations.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
LANGUAGES = ["de", "en"]
# What `make messages` scans; everything else in the repository holds no translatable text.
SOURCES = ["koki", "events", "registrations", "templates", "static", "manage.py"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def po_path(language: str, root: Path = ROOT) -> Path:
    return root / "locale" / language / "LC_MESSAGES" / "django.po"


def keys(catalogue) -> set[tuple[str, str, str]]:
    return {
        (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")
        for entry in catalogue
        if not entry.obsolete and entry.msgid
    }


@pytest.fixture(scope="module")
def catalogues() -> dict[str, polib.POFile]:
    return {language: polib.pofile(str(po_path(language))) for language in LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(catalogues, language):
    catalogue = catalogues[language]
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert catalogue.metadata["Language"] == language
    assert len(catalogue) > 100


def test_english_says_what_the_msgids_say(catalogues):
    different = []
    for entry in catalogues["en"]:
        expected = {0: entry.msgid, 1: entry.msgid_plural} if entry.msgid_plural else None
        if (entry.msgstr_plural if expected else entry.msgstr) != (expected or entry.msgid):
            different.append(entry.msgid)
    assert different == []


def test_german_keeps_every_placeholder(catalogues):
    broken = []
    for entry in catalogues["de"]:
        if entry.msgid_plural:
            wanted = set(PLACEHOLDER.findall(entry.msgid + entry.msgid_plural))
            got = set(PLACEHOLDER.findall(" ".join(entry.msgstr_plural.values())))
        else:
            wanted = set(PLACEHOLDER.findall(entry.msgid))
            got = set(PLACEHOLDER.findall(entry.msgstr))
        if wanted != got:
            broken.append((entry.msgid, sorted(wanted), sorted(got)))
    assert broken == []


def test_german_is_formal(catalogues):
    informal = re.compile(r"\b(du|dich|dir|dein\w*)\b", re.IGNORECASE)
    found = []
    for entry in catalogues["de"]:
        texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        found += [text for text in texts if informal.search(text)]
    assert found == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(catalogues, language):
    compiled = polib.mofile(str(po_path(language).with_suffix(".mo")))

    def table(entries):
        return {
            (entry.msgctxt or "", entry.msgid): (
                tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
            )
            for entry in entries
            if entry.msgid
        }

    assert table(compiled) == table(catalogues[language].translated_entries())


def gettext_available() -> bool:
    return all(shutil.which(tool) for tool in ["xgettext", "msgmerge", "msguniq"])


def test_po_files_are_current_with_the_code(tmp_path, catalogues):
    if not gettext_available():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("gettext is missing; .ci/run installs it (apt-get install gettext).")
        pytest.skip("gettext is not installed (apt-get install gettext)")
    copy = tmp_path / "koki"
    copy.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    shutil.copytree(ROOT / "locale", copy / "locale", ignore=shutil.ignore_patterns("*.py"))

    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "koki.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--no-location"]
        + [f"-l{language}" for language in LANGUAGES],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    for language in LANGUAGES:
        fresh = keys(polib.pofile(str(po_path(language, copy))))
        committed = keys(catalogues[language])
        assert sorted(fresh - committed) == [], f"{language}: not in the .po (run make messages)"
        assert sorted(committed - fresh) == [], f"{language}: no longer in the code"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "Seite nicht gefunden"), ("en", "Page not found")],
)
def test_the_compiled_catalogues_are_used(language, expected):
    with translation.override(language):
        assert translation.gettext("Page not found") == expected


def test_messages_django_lacks_in_german_come_from_our_catalogue():
    from django.db.models.fields import BLANK_CHOICE_LABEL

    with translation.override("de"):
        assert str(BLANK_CHOICE_LABEL) == "- Bitte auswählen -"
    with translation.override("en"):
        assert str(BLANK_CHOICE_LABEL) == "- Select an option -"
