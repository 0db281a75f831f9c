"""Messages Django shows but its own German catalogue lacks (Django 6.1).

Listed here so that `make messages` extracts them into koki's catalogue, which Django consults
before its own (LOCALE_PATHS). Nothing imports this module; tests/test_translations.py checks
that each message reads German.

Django's JavaScript catalogue lacks the note DateTimeShortcuts puts under every time field
("Note: Enter times in the … timezone."): the admin hides it (static/css/admin-koki.css) and
names the zone once per page, translated (the template tag koki_timezone_note).
"""

from django.utils.translation import gettext_noop

DJANGO_GAPS = [
    gettext_noop("- Select an option -"),  # the empty choice of a select (admin forms)
    gettext_noop("Run"),  # the button of the admin's actions bar
    gettext_noop("Logout"),  # the breadcrumb of the "logged out" page
    gettext_noop("In case you’ve forgotten, you are:"),  # the password reset e-mail
    # A user's password page (superusers)
    gettext_noop("Enable password-based authentication"),
    gettext_noop(
        "This action will <strong>enable</strong> password-based authentication for this user."
    ),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Password-based authentication was disabled."),
    gettext_noop("Set password: %s"),
    gettext_noop("Reset password"),
    gettext_noop("Enabled"),
    gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password."),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, "
        "they may still be able to authenticate using other backends, such as Single Sign-On "
        "or LDAP."
    ),
    gettext_noop("Conflicting form data submitted. Please try again."),
    # A foreign key whose value is not among the choices (admin list filters, forms)
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
]
