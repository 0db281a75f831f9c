"""Make the English catalogue complete: the msgids are English, so each msgstr is its msgid.

`make messages` runs this after makemessages (which adds new strings untranslated, or marks
them fuzzy when it guesses from a similar string) and before compilemessages.
"""

from pathlib import Path

import polib

PO = Path(__file__).resolve().parent / "en" / "LC_MESSAGES" / "django.po"


def main() -> None:
    catalogue = polib.pofile(str(PO))
    changed = 0
    for entry in catalogue:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            wanted = {0: entry.msgid, 1: entry.msgid_plural}
            if entry.msgstr_plural != wanted:
                entry.msgstr_plural = wanted
                changed += 1
        elif entry.msgstr != entry.msgid:
            entry.msgstr = entry.msgid
            changed += 1
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            changed += 1
    catalogue.metadata_is_fuzzy = False
    catalogue.save()
    print(f"{PO.relative_to(PO.parents[3])}: {changed} English entries filled in")


if __name__ == "__main__":
    main()
