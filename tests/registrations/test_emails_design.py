"""The design of every mail: sender, reply address, subject, the room named, the HTML with its
CSS inlined and no remote content, the plain text with the same content, no doubled quotes."""

import re

import pytest
from django.core import mail
from django.utils import translation

from events.templatetags.koki_text import quoted_text
from registrations import mail_layout, mailings, reminders
from registrations.models import Mailing
from tests.factories import EventFactory, OrganiserFactory, RegistrationFactory, RoomFactory
from tests.registrations.mail_samples import (
    header,
    html_of,
    html_words,
    reminder_for,
    samples,
    text_words,
)

pytestmark = pytest.mark.django_db

TITLE = "Abschlussveranstaltung der Initiative „#KoKI – Künstliche Intelligenz in Kommunen“"
ORGANISER = "Co:Lab – Denklabor & Kollaborationsplattform für Gesellschaft & Digitalisierung e.V."
SUBJECTS_DE = {
    "received": f"Ihre Anmeldung: {TITLE}",
    "confirmed": f"Anmeldung bestätigt: {TITLE}",
    "promoted": f"Ein Platz ist für Sie frei: {TITLE}",
    "room_changed": f"Ihr Raum wurde geändert: {TITLE}",
    "link": f"Ihr persönlicher Link: {TITLE}",
    "reminder": f"Erinnerung: {TITLE}",
    "waiting": f"Ihre Anmeldung: {TITLE}",
    "still_waiting": f"Weiterhin auf der Warteliste: {TITLE}",
    "promoted_pending": f"Ein Platz ist für Sie frei: {TITLE}",
    "cancelled": f"Anmeldung storniert: {TITLE}",
    "mailing": "Folien und Aufzeichnung",
}


@pytest.fixture
def built(demo_event):
    return samples(demo_event)


def test_every_kind_of_mail_is_built(built):
    assert sorted(built) == sorted(SUBJECTS_DE)


@pytest.mark.parametrize("kind", sorted(SUBJECTS_DE))
def test_subject_sender_and_reply_address(built, kind, settings):
    message, registration = built[kind]

    assert header(message, "Subject") == SUBJECTS_DE[kind]
    assert header(message, "From") == f"{ORGANISER} über koki <noreply@localhost>"
    assert header(message, "Reply-To") == f"{ORGANISER} <kontakt@example.org>"
    assert header(message, "To") == registration.email
    assert header(message, "Auto-Submitted") == "auto-generated"
    assert message.to == [registration.email]


# A cancellation and a message to all attendees name no room.
@pytest.mark.parametrize("kind", sorted(set(SUBJECTS_DE) - {"cancelled", "mailing"}))
def test_the_room_is_named_in_html_and_text(built, kind):
    message, registration = built[kind]
    room = str(registration.room)

    assert room in message.body
    assert room.replace("&", "&amp;") in html_of(message)


@pytest.mark.parametrize("kind", sorted(SUBJECTS_DE))
def test_html_is_inlined_and_fetches_nothing(built, kind):
    html = html_of(built[kind][0])

    assert re.search(r"<(link|style|script|img)[\s>]", html) is None
    assert "url(" not in html
    assert html.startswith('<!DOCTYPE html><html lang="de">')
    assert 'class="container" role="presentation"' in html
    assert 'style="background-color: #0b5394;' in html  # the header's accent, inlined
    assert '<h1 class="event-title" style="' in html
    assert 'href="http://127.0.0.1:8000/impressum/colab/"' in html
    assert 'href="http://127.0.0.1:8000/events/koki-abschluss/privacy/"' in html


@pytest.mark.parametrize("kind", sorted(SUBJECTS_DE))
def test_text_part_says_what_the_html_says(built, kind):
    message = built[kind][0]
    html = html_of(message)

    assert text_words(message.body) == html_words(html)
    links = set(re.findall(r'href="([^"]+)"', html))
    in_text = set(re.findall(r"<([a-z]+:[^>\s]+)>", message.body))
    in_text |= {word for word in message.body.split() if word.startswith("http")}
    assert {link.replace("&amp;", "&") for link in links} == in_text


@pytest.mark.parametrize("kind", sorted(SUBJECTS_DE))
def test_no_doubled_quotation_marks(built, kind):
    message = built[kind][0]

    for part in (header(message, "Subject"), message.body, html_of(message)):
        assert re.search(r"[„“”\"]Abschlussveranstaltung", part) is None
        assert "““" not in part
        assert "„„" not in part


def test_why_the_mail_comes_and_from_whom(built):
    pending, confirmed = built["received"][0].body, built["confirmed"][0].body

    assert (
        f"Sie erhalten diese E-Mail, weil diese Adresse im Anmeldeformular für {TITLE} "
        "eingetragen wurde. Waren Sie das nicht, ignorieren Sie diese E-Mail bitte: Ohne "
        "Bestätigung wird die Anmeldung gelöscht." in pending
    )
    assert (
        f"Sie erhalten diese E-Mail, weil Sie sich mit dieser Adresse für {TITLE} angemeldet "
        "haben." in confirmed
    )
    assert (
        f"{ORGANISER} sendet Ihnen diese E-Mail über koki, das Anmeldesystem der Veranstaltung. "
        "Sie können darauf antworten: Ihre Antwort erreicht die Veranstalter." in confirmed
    )


def test_first_mail_has_the_room_and_the_confirm_button(built):
    message, registration = built["received"]

    lines = message.body.splitlines()
    assert "Ihr Break-out-Raum: Raum 1: Bildung & Lernen" in lines
    assert f"Anmeldung bestätigen <http://127.0.0.1:8000/r/{registration.token}/confirm/>" in lines
    assert (
        f'<a class="button-link" href="http://127.0.0.1:8000/r/{registration.token}/confirm/" '
        'style="' in html_of(message)
    )


def test_room_change_carries_the_calendar_invitation(built):
    message = built["room_changed"][0]

    assert "Sie sind jetzt für Raum 2: Politik & Verwaltung angemeldet." in message.body
    (invite,) = message.attachments
    assert invite.filename == "invite.ics"
    assert invite.mimetype == "text/calendar; method=REQUEST; charset=utf-8"
    assert 'ORGANIZER;CN="Co:Lab – Denklabor' in invite.content.replace("\r\n ", "")


def test_english_mail_quotes_a_title_without_quotes_in_english_marks():
    organiser = OrganiserFactory(slug="city", name="City of Example", contact_email="")
    room = RoomFactory(event=EventFactory(title="Closing day", organiser=organiser), number=1)
    registration = RegistrationFactory(room=room, language="en")
    from registrations import emails

    message = emails.build(registration, "confirmed")

    assert header(message, "Subject") == "Registration confirmed: Closing day"
    assert header(message, "From") == "City of Example via koki <noreply@localhost>"
    assert message.reply_to == []
    assert "your registration for “Closing day” is confirmed." in message.body
    assert "You can reply to it" not in message.body


def test_a_title_with_line_breaks_cannot_add_headers():
    event = EventFactory(title="Tag\r\nBcc: victim@example.org\nX-Evil: 1")
    registration = RegistrationFactory(room=RoomFactory(event=event))
    from registrations import emails

    message = emails.build(registration, "confirmed")
    raw = message.message().as_bytes()

    assert (
        header(message, "Subject") == "Anmeldung bestätigt: Tag Bcc: victim@example.org X-Evil: 1"
    )
    headers = raw.split(b"\n\n")[0]
    assert b"\nBcc:" not in headers
    assert b"\nX-Evil:" not in headers
    assert message.recipients() == [registration.email]


def test_a_long_subject_is_folded_and_decodes_whole():
    title = "Fachtag „Künstliche Intelligenz“ " + "für Städte, Gemeinden und Landkreise " * 4
    registration = RegistrationFactory(room=RoomFactory(event=EventFactory(title=title.strip())))
    from registrations import emails

    message = emails.build(registration, "received")
    raw = message.message().as_bytes()

    assert header(message, "Subject") == f"Ihre Anmeldung: {title.strip()}"
    assert all(len(line) <= 78 for line in raw.split(b"\n\n")[0].split(b"\n"))


def test_the_reminder_task_sends_the_designed_mail(demo_event):
    registration = RegistrationFactory(room=demo_event.rooms.get(number=1))
    reminder = reminder_for(demo_event)

    reminders.reminder_send(reminder=reminder)

    (message,) = mail.outbox
    assert header(message, "Subject") == f"Erinnerung: {TITLE}"
    assert header(message, "Reply-To") == f"{ORGANISER} <kontakt@example.org>"
    assert f"wir erinnern Sie an {TITLE}." in message.body
    assert "Ihr Break-out-Raum: Raum 1: Bildung & Lernen" in message.body
    assert message.to == [registration.email]


def test_a_message_to_attendees_goes_out_designed(demo_event):
    registration = RegistrationFactory(room=demo_event.rooms.get(number=1))
    mailing = Mailing.objects.create(
        event=demo_event,
        subject="Folien\nund Aufzeichnung",
        body="Hallo,\n\nhier <die> Folien: https://example.org/folien",
        audience=Mailing.Audience.CONFIRMED,
    )

    mailings.mailing_send(mailing=mailing)

    (message,) = mail.outbox
    assert header(message, "Subject") == "Folien und Aufzeichnung"
    assert header(message, "From") == f"{ORGANISER} über koki <noreply@localhost>"
    assert message.body.startswith(f"{ORGANISER}\n\n{TITLE}\n\n")
    assert "Hallo,\n\nhier <die> Folien: https://example.org/folien\n\n" in message.body
    assert re.search(
        r'<a href="https://example.org/folien" rel="nofollow" style="[^"]+">'
        r"https://example.org/folien</a>",
        html_of(message),
    )
    assert "hier &lt;die&gt; Folien" in html_of(message)
    assert message.to == [registration.email]


def test_plain_text_of_lists_links_and_paragraphs():
    html = (
        '<html><head><title>T</title></head><body><div data-plain="skip">preview</div>'
        '<p>One <a href="https://a.example/">link</a>.</p><ul><li>First</li>'
        '<li><a href="https://b.example/">https://b.example/</a></li></ul><p>A<br>B</p>'
        "</body></html>"
    )

    assert mail_layout.plain_text(html) == (
        "One link <https://a.example/>.\n\n- First\n- https://b.example/\n\nA\nB\n"
    )


def test_quotation_marks_only_around_a_title_without_its_own():
    with translation.override("de"):
        assert quoted_text("Abschlusstag") == "„Abschlusstag“"
        assert quoted_text(TITLE) == TITLE
        assert quoted_text('Der "KI-Tag"') == 'Der "KI-Tag"'
    with translation.override("en"):
        assert quoted_text("Closing day") == "“Closing day”"
        assert quoted_text("Kommunen’s day") == "“Kommunen’s day”"  # an apostrophe is no quote
