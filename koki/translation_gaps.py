"""Messages Django shows but its own German catalogue lacks (Django 6.1).

Listed here so that `make messages` extracts them into koki's catalogue, which Django consults
before its own (LOCALE_PATHS). Nothing imports this module; tests/test_translations.py checks
that each message reads German.
"""

from django.utils.translation import gettext_noop

DJANGO_GAPS = [
    gettext_noop("- Select an option -"),  # the empty choice of a select (admin forms)
    gettext_noop("Run"),  # the button of the admin's actions bar
]
