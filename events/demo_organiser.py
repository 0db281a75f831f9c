"""The demo event's organiser and its legal pages (`load_koki_demo`, docs/demo.md).

Known: the name and the website (see events/demo.py). Not known, and marked as illustrative
example data ("Beispielangaben") on the pages themselves: the postal address, the
representation, the register entry and the contact addresses, which use the reserved example
domain (RFC 2606).
"""

from events.models import Organiser

DEMO_ORGANISER_SLUG = "colab"

EXAMPLE_NOTE_DE = (
    "Beispielangaben: Anschrift, Vertretung, Registereintrag, Telefonnummer und E-Mail-Adressen "
    "auf dieser Seite sind erfundene Beispieldaten der Demo von koki, nicht die Angaben des "
    "Co:Lab e.V. Dessen Impressum finden Sie auf colab-digital.de."
)
EXAMPLE_NOTE_EN = (
    "Example data: the address, representation, register entry, telephone number and e-mail "
    "addresses on this page are made-up example data of koki's demo, not the details of "
    "Co:Lab e.V. Its legal notice is on colab-digital.de."
)


def demo_organiser() -> Organiser:
    """The demo's organiser, created once (an organiser's later edits are kept)."""
    organiser, _created = Organiser.objects.get_or_create(
        slug=DEMO_ORGANISER_SLUG,
        defaults={
            "name": "Co:Lab – Denklabor & Kollaborationsplattform für Gesellschaft & "
            "Digitalisierung e.V.",
            "website": "https://colab-digital.de/",
            "contact_email": "kontakt@example.org",
            "phone": "+49 30 0000000 (Beispielangabe)",
            "postal_address": "Beispielstraße 1 (Beispielangabe)\n10115 Berlin",
            "represented_by": "den Vorstand (Beispielangabe)",
            "register_entry": "Vereinsregister, Amtsgericht Berlin-Charlottenburg, VR 00000 B "
            "(Beispielangabe)",
            "imprint_extra_de": EXAMPLE_NOTE_DE,
            "imprint_extra_en": EXAMPLE_NOTE_EN,
            "privacy_contact": "Datenschutz (Beispielangabe): datenschutz@example.org",
            "accessibility_email": "barrierefreiheit@example.org",
            "is_site_operator": not Organiser.objects.filter(is_site_operator=True).exists(),
        },
    )
    return organiser
