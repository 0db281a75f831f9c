"""The KoKI closing event as demo data: `load_koki_demo`, `make run` (docs/demo.md).

Facts, with their sources:
- title: Abschlussveranstaltung der Initiative "#KoKI – Künstliche Intelligenz in Kommunen";
  organiser: Co:Lab – Denklabor & Kollaborationsplattform für Gesellschaft & Digitalisierung
  e.V.; virtual, free of charge; impulses, "Deep Dives" in eight parallel break-out rooms,
  workshop sessions, networking, closing panel "Digitalisierung und Nachhaltigkeit", which also
  starts the next initiative. Source: eGovernment Computing, "Abschlussveranstaltung der
  Initiative #KoKI Künstliche Intelligenz in Kommunen" (Julia Mutzbauer), "the article".
- 16 March 2021, 10:00–12:45 Europe/Berlin: the article (day, times); City & Bits,
  "Co:Lab Künstliche Intelligenz in Kommunen", 2021-03-12 (year).
- impulses: Henning Lühr (Staatsrat für Finanzen, Personal und Digitalisierung in Bremen
  2002–2020, Vorsitzender des IT-Planungsrats 2019); Tobias Krafft (Algorithm Accountability
  Lab, TU Kaiserslautern; Geschäftsführer bei Trusted AI): the article.
- panel, in part: Christian Mainka (City & Bits) with Dr. Anja C. Wagner (FrolleinFlow),
  "Digitale Gesellschaft: Welche Rolle spielt die Nachhaltigkeit?": City & Bits, 2021-03-12.
- rooms 1 "Bildung & Lernen" and 2 "Politik & Verwaltung": the article.
- the eight topic fields used for rooms 1–8: the post "Künstliche Intelligenz in Kommunen
  (#KoKI)" on mehr-digitale-kommunen.de.
- the publication "Künstliche Intelligenz in Kommunen" (Co:Lab's first community publication,
  about 84 pages, launched at the event); about 250 registered, more than 230 took part:
  Co:Lab posts "Unsere Publikation ist auf dem Weg!" and "Erfolgreicher KoKI-Abschluss mit über
  230 Teilnehmenden".
- the initiative: about 50 experts since December 2019 (kick-off 19 December 2019, Berlin): the
  article; Co:Lab's kick-off post. Next initiative "Nachhaltig Digital – Digital Nachhaltig"
  from May 2021: Co:Lab's initiatives page.

Illustrative, and marked so in the event's source note ("Hinweise und Quellen", German and
English like every text of the demo): the minute-by-minute times, the
moderation (none is named), the full panel line-up, the room capacities (40 per room) and the
assignment of rooms 3–8. The event goes on the next 16 March from today unless a date is given;
the source note says that the original took place in 2021.
"""

import datetime as dt
import zoneinfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from events import services
from events.demo_organiser import demo_organiser
from events.demo_questions import demo_questions_load
from events.models import AgendaItem, AgendaItemSpeaker, Event, Room, Speaker
from events.signals import event_schedule_changed

DEMO_SLUG = "koki-abschluss"
ZONE = zoneinfo.ZoneInfo("Europe/Berlin")

DESCRIPTION = """\
Rund 50 Expertinnen und Experten aus Zivilgesellschaft, Wirtschaft, Wissenschaft, Verwaltung und \
Politik haben seit Dezember 2019 (Kick-off am 19. Dezember 2019 in Berlin) in der Initiative \
„#KoKI – Künstliche Intelligenz in Kommunen“ von Co:Lab e.V. zusammengearbeitet. Zum Abschluss \
stellen sie die Ergebnisse der Initiative und die Publikation „Künstliche Intelligenz in \
Kommunen“ vor – die erste Community-Publikation von Co:Lab, rund 84 Seiten, gedruckt, als PDF \
und online.

Auf Impulse von Henning Lühr und Tobias Krafft folgen „Deep Dives“ in acht parallelen \
Break-out-Räumen: In Workshop-Sessions werden die Ergebnisse diskutiert, weitere Handlungsfelder \
gefunden und Ideen ausgetauscht. Nach Zeit für Networking schließt eine Podiumsdiskussion zum \
Thema „Digitalisierung und Nachhaltigkeit“, die zugleich die nächste Initiative „Nachhaltig \
Digital – Digital Nachhaltig“ (ab Mai 2021) eröffnet.

Die Veranstaltung ist virtuell, die Teilnahme ist kostenlos."""

DESCRIPTION_EN = """\
Since December 2019 (kick-off on 19 December 2019 in Berlin), about 50 experts from civil \
society, business, academia, public administration and politics have worked together in Co:Lab \
e.V.’s initiative “#KoKI – Künstliche Intelligenz in Kommunen” (artificial intelligence in local \
government). To close it, they present the initiative’s results and the publication \
“Künstliche Intelligenz in Kommunen” – Co:Lab’s first community publication, about 84 pages, in \
print, as a PDF and online.

Impulse talks by Henning Lühr and Tobias Krafft are followed by “deep dives” in eight parallel \
break-out rooms: in workshop sessions, participants discuss the results, find further fields of \
action and exchange ideas. After time for networking, a panel discussion on “Digitalisation and \
Sustainability” closes the event and at the same time opens the next initiative, “Nachhaltig \
Digital – Digital Nachhaltig” (from May 2021).

The event is virtual, and taking part is free of charge."""

# "Hinweise und Quellen" at the end of the event page and the PDF.
SOURCE_NOTE = """\
Diese Demo zeigt eine echte Veranstaltung: Die Abschlussveranstaltung fand am 16. März 2021 von \
10:00 bis 12:45 Uhr statt; rund 250 Personen hatten sich angemeldet, über 230 nahmen teil. Die \
Demo legt sie auf den nächsten 16. März.

Illustrativ (nicht belegt) sind die minutengenauen Zeiten der Programmpunkte, die Moderationen, \
die vollständige Besetzung des Podiums, die Raumkapazitäten (40 Plätze je Raum), die \
Zuordnung der Räume 3 bis 8 und die Kurzbeschreibungen der Räume. Belegt sind die Räume 1 \
„Bildung & Lernen“ und 2 „Politik & Verwaltung“.

Quellen: eGovernment Computing, „Abschlussveranstaltung der Initiative #KoKI Künstliche \
Intelligenz in Kommunen“ (Julia Mutzbauer); City & Bits, „Co:Lab Künstliche Intelligenz in \
Kommunen“ (12. März 2021); Beiträge von Co:Lab e.V.; mehr-digitale-kommunen.de."""

SOURCE_NOTE_EN = """\
This demo shows a real event: the closing event took place on 16 March 2021 from 10:00 to \
12:45; about 250 people had registered and more than 230 took part. The demo moves it to the \
next 16 March.

Illustrative (not documented) are the minute-by-minute times of the agenda items, the \
moderation, the full panel line-up, the room capacities (40 seats per room), the assignment \
of rooms 3 to 8 and the rooms' short descriptions. Documented are rooms 1 “Bildung & Lernen” \
(education and learning) and 2 “Politik & Verwaltung” (politics and administration).

Sources: eGovernment Computing, “Abschlussveranstaltung der Initiative #KoKI Künstliche \
Intelligenz in Kommunen” (Julia Mutzbauer); City & Bits, “Co:Lab Künstliche Intelligenz in \
Kommunen” (12 March 2021); posts by Co:Lab e.V.; mehr-digitale-kommunen.de."""

TITLE = "Abschlussveranstaltung der Initiative „#KoKI – Künstliche Intelligenz in Kommunen“"
TITLE_EN = "Closing event of the initiative “#KoKI – Künstliche Intelligenz in Kommunen”"
SUBTITLE = (
    "Ergebnisse, Publikation, acht Deep Dives und ein Podium zu Digitalisierung und Nachhaltigkeit"
)
SUBTITLE_EN = (
    "Results, the publication, eight deep dives and a panel on digitalisation and sustainability"
)

SPEAKERS = {
    "luehr": {
        "name": "Henning Lühr",
        "role": "Staatsrat für Finanzen, Personal und Digitalisierung in Bremen 2002–2020",
        "affiliation": "Vorsitzender des IT-Planungsrats 2019",
        "bio": (
            "Henning Lühr war von 2002 bis 2020 Staatsrat für Finanzen, Personal und "
            "Digitalisierung der Freien Hansestadt Bremen und 2019 Vorsitzender des "
            "IT-Planungsrats."
        ),
    },
    "krafft": {
        "name": "Tobias Krafft",
        "role": "Algorithm Accountability Lab, TU Kaiserslautern",
        "affiliation": "Geschäftsführer bei Trusted AI",
        "bio": (
            "Tobias Krafft forscht im Algorithm Accountability Lab der TU Kaiserslautern und ist "
            "Geschäftsführer bei Trusted AI."
        ),
    },
    "mainka": {
        "name": "Christian Mainka",
        "role": "City & Bits",
        "affiliation": "",
        "bio": "Christian Mainka (City & Bits) diskutiert auf dem Abschlusspodium.",
    },
    "wagner": {
        "name": "Dr. Anja C. Wagner",
        "role": "FrolleinFlow",
        "affiliation": "",
        "bio": "Dr. Anja C. Wagner (FrolleinFlow) diskutiert auf dem Abschlusspodium.",
    },
}

# The speakers' texts in English (names stay as they are).
SPEAKERS_EN = {
    "luehr": {
        "role": "State Councillor for Finance, Personnel and Digitalisation in Bremen 2002–2020",
        "affiliation": "Chair of the IT Planning Council in 2019",
        "bio": (
            "From 2002 to 2020, Henning Lühr was State Councillor for Finance, Personnel and "
            "Digitalisation of the Free Hanseatic City of Bremen, and in 2019 he chaired the "
            "IT Planning Council (IT-Planungsrat)."
        ),
    },
    "krafft": {
        "role": "Algorithm Accountability Lab, TU Kaiserslautern",
        "affiliation": "Managing director at Trusted AI",
        "bio": (
            "Tobias Krafft does research at the Algorithm Accountability Lab of TU Kaiserslautern "
            "and is managing director at Trusted AI."
        ),
    },
    "mainka": {
        "role": "City & Bits",
        "affiliation": "",
        "bio": "Christian Mainka (City & Bits) is on the closing panel.",
    },
    "wagner": {
        "role": "FrolleinFlow",
        "affiliation": "",
        "bio": "Dr. Anja C. Wagner (FrolleinFlow) is on the closing panel.",
    },
}

# (number, name, topic): rooms 1 and 2 as the article names them; rooms 3–8 take the other
# topic fields of the publication (their assignment is illustrative); the short descriptions
# are illustrative.
ROOMS = [
    (
        1,
        "Bildung & Lernen",
        "Wie KI das Lernen in Schulen, Volkshochschulen und der Verwaltung verändert: "
        "Ergebnisse und offene Fragen.",
    ),
    (
        2,
        "Politik & Verwaltung",
        "KI in Verwaltungsverfahren und politischer Steuerung: wo sie Kommunen entlastet, wo "
        "ihre Grenzen liegen.",
    ),
    (3, "Pflege", "Assistenz, Dokumentation, Planung: Chancen und Grenzen von KI in der Pflege."),
    (
        4,
        "Stadt- & Regionalplanung",
        "Daten und KI für Verkehr, Flächen und Infrastruktur in Stadt und Region.",
    ),
    (5, "Recht", "Der Rechtsrahmen für KI in Kommunen: Datenschutz, Haftung, Transparenz."),
    (6, "Ethik", "Fairness, Verantwortung und Nachvollziehbarkeit, wenn Kommunen KI einsetzen."),
    (
        7,
        "Facing Fears",
        "Sorgen und Ängste rund um KI ernst nehmen und mit Bürgerinnen und Bürgern darüber "
        "sprechen.",
    ),
    (
        8,
        "(Offene) Daten",
        "Offene Daten als Grundlage für KI in Kommunen: bereitstellen, teilen, nutzen.",
    ),
]
# Room number: (name, topic) in English.
ROOMS_EN = {
    1: (
        "Education & Learning",
        "How AI changes learning in schools, adult education centres and administration: "
        "results and open questions.",
    ),
    2: (
        "Politics & Administration",
        "AI in administrative procedures and political steering: where it relieves "
        "municipalities, where its limits lie.",
    ),
    3: (
        "Nursing Care",
        "Assistance, documentation, planning: the chances and limits of AI in care.",
    ),
    4: (
        "Urban & Regional Planning",
        "Data and AI for transport, land use and infrastructure in towns and regions.",
    ),
    5: (
        "Law",
        "The legal framework for AI in municipalities: data protection, liability, transparency.",
    ),
    6: ("Ethics", "Fairness, responsibility and explainability when municipalities use AI."),
    7: (
        "Facing Fears",
        "Taking worries and fears about AI seriously, and talking about them with citizens.",
    ),
    8: ("(Open) Data", "Open data as the basis for AI in municipalities: publish, share, use."),
}
ROOM_CAPACITY = 40  # illustrative

# (start, end, kind, title, description, speaker keys); times are illustrative.
AGENDA = [
    (
        "10:00",
        "10:15",
        AgendaItem.Kind.WELCOME,
        "Begrüßung und Einführung",
        "Co:Lab e.V. begrüßt die Teilnehmenden und führt durch den Tag.",
        [],
    ),
    (
        "10:15",
        "10:35",
        AgendaItem.Kind.TALK,
        "Die Ergebnisse der Initiative und die Publikation „Künstliche Intelligenz in Kommunen“",
        "Vorstellung der Ergebnisse aus rund 15 Monaten Zusammenarbeit und der ersten "
        "Community-Publikation von Co:Lab.",
        [],
    ),
    (
        "10:35",
        "10:50",
        AgendaItem.Kind.IMPULSE,
        "Impuls: Künstliche Intelligenz in Kommunen",
        "",
        ["luehr"],
    ),
    (
        "10:50",
        "11:05",
        AgendaItem.Kind.IMPULSE,
        "Impuls: Algorithmen verantwortlich einsetzen",
        "",
        ["krafft"],
    ),
    (
        "11:05",
        "11:55",
        AgendaItem.Kind.DEEP_DIVE,
        "Deep Dives in acht parallelen Break-out-Räumen",
        "Workshop-Sessions: Ergebnisse diskutieren, weitere Handlungsfelder finden, Ideen "
        "austauschen. Jeder Raum widmet sich einem Themenfeld der Publikation.",
        [],
    ),
    ("11:55", "12:05", AgendaItem.Kind.NETWORKING, "Networking", "Zeit für Austausch.", []),
    (
        "12:05",
        "12:40",
        AgendaItem.Kind.PANEL,
        "Podiumsdiskussion: Digitalisierung und Nachhaltigkeit",
        "Digitale Gesellschaft: Welche Rolle spielt die Nachhaltigkeit? Das Podium eröffnet "
        "zugleich die nächste Initiative „Nachhaltig Digital – Digital Nachhaltig“.",
        ["mainka", "wagner"],
    ),
    (
        "12:40",
        "12:45",
        AgendaItem.Kind.OTHER,
        "Abschluss und Ausblick",
        "Dank und Ausblick auf die Initiative „Nachhaltig Digital – Digital Nachhaltig“ "
        "ab Mai 2021.",
        [],
    ),
]

# (title, description) in English, in the order of AGENDA.
AGENDA_EN = [
    (
        "Welcome and introduction",
        "Co:Lab e.V. welcomes the participants and guides them through the day.",
    ),
    (
        "The initiative’s results and the publication “Künstliche Intelligenz in Kommunen”",
        "The results of about 15 months of collaboration and Co:Lab’s first community publication.",
    ),
    ("Impulse: Artificial intelligence in local government", ""),
    ("Impulse: Using algorithms responsibly", ""),
    (
        "Deep dives in eight parallel break-out rooms",
        "Workshop sessions: discussing the results, finding further fields of action, exchanging "
        "ideas. Each room is devoted to one topic field of the publication.",
    ),
    ("Networking", "Time to talk."),
    (
        "Panel discussion: Digitalisation and sustainability",
        "Digital society: what role does sustainability play? The panel also opens the next "
        "initiative, “Nachhaltig Digital – Digital Nachhaltig”.",
    ),
    (
        "Closing and outlook",
        "Thanks, and a look ahead to the initiative “Nachhaltig Digital – Digital Nachhaltig” "
        "from May 2021.",
    ),
]


def _in_both(**texts: tuple[str, str]) -> dict[str, str]:
    """Model fields for texts given as (German, English): title=(…, …) gives title (the German
    text, which the default language's column also holds), title_de and title_en."""
    fields = {}
    for name, (german, english) in texts.items():
        fields.update({name: german, f"{name}_de": german, f"{name}_en": english})
    return fields


def next_demo_date(today: dt.date | None = None) -> dt.date:
    """The next 16 March from today (today included)."""
    today = today or timezone.localdate()
    candidate = dt.date(today.year, 3, 16)
    return candidate if candidate >= today else dt.date(today.year + 1, 3, 16)


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def demo_event_load(
    *, day: dt.date | None = None, start: dt.time | None = None
) -> tuple[Event, bool]:
    """Load the KoKI closing event; returns (event, created). If it exists, it stays as it is,
    unless a day or start time is given: then it moves there (to try the event day)."""
    existing = Event.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        demo_texts_complete(event=existing)
        if day or start:
            demo_event_move(event=existing, day=day, start=start)
        return existing, False
    with transaction.atomic():
        event = _create(day or next_demo_date())
        services.reminders_default_create(event=event)
        demo_questions_load(event)
        if start:
            demo_event_move(event=event, day=None, start=start)
    event_schedule_changed.send(sender=Event, event=event)
    return event, True


def demo_texts_complete(*, event: Event) -> None:
    """A demo event loaded before its texts had English ones (no source note, no English title)
    gets them once: the source note out of the German description, and the English texts of
    the event, its rooms, items and speakers. Texts an organiser has entered are kept."""
    if event.source_note_de or event.title_en:
        return
    with transaction.atomic():
        texts = _in_both(
            title=(event.title_de, TITLE_EN),
            subtitle=(event.subtitle_de, SUBTITLE_EN),
            description=(DESCRIPTION, DESCRIPTION_EN),
            source_note=(SOURCE_NOTE, SOURCE_NOTE_EN),
        )
        for name, value in texts.items():
            if name.endswith(("_de", "_en")):  # each language's own column
                setattr(event, name, value)
        event.save()
        for room in event.rooms.filter(number__in=ROOMS_EN, name_en__isnull=True):
            room.name_en, room.topic_en = ROOMS_EN[room.number]
            room.save(update_fields=["name_en", "topic_en"])
        english = {row[3]: texts for row, texts in zip(AGENDA, AGENDA_EN, strict=True)}
        for item in event.agenda_items.filter(title_de__in=english, title_en__isnull=True):
            item.title_en, item.description_en = english[item.title_de]
            item.save(update_fields=["title_en", "description_en"])
        for key, data in SPEAKERS.items():
            Speaker.objects.filter(name=data["name"], bio_en__isnull=True).update(
                **{f"{field}_en": value for field, value in SPEAKERS_EN[key].items()}
            )


def demo_event_move(*, event: Event, day: dt.date | None, start: dt.time | None) -> Event:
    """Move the demo event, its agenda and registration window with it, to another day and/or
    start time (local); calendars see the move (SEQUENCE), reminders follow the new time."""
    local_start = timezone.localtime(event.starts_at, ZONE)
    target = dt.datetime.combine(
        day or local_start.date(), start or local_start.time().replace(tzinfo=None), tzinfo=ZONE
    )
    shift = target - local_start
    if not shift:
        return event
    with transaction.atomic():
        Event.objects.filter(pk=event.pk).update(
            starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift
        )
        AgendaItem.objects.filter(event=event).update(
            starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift
        )
        services.agenda_items_sequence_raise(items=AgendaItem.objects.filter(event=event))
    event.refresh_from_db()
    event_schedule_changed.send(sender=Event, event=event)
    return event


def _create(day: dt.date) -> Event:
    event = Event.objects.create(
        slug=DEMO_SLUG,
        **_in_both(
            title=(TITLE, TITLE_EN),
            subtitle=(SUBTITLE, SUBTITLE_EN),
            description=(DESCRIPTION, DESCRIPTION_EN),
            source_note=(SOURCE_NOTE, SOURCE_NOTE_EN),
        ),
        organiser=demo_organiser(),
        starts_at=_at(day, "10:00"),
        ends_at=_at(day, "12:45"),
        timezone="Europe/Berlin",
        is_online=True,
        # Illustrative meeting addresses on a reserved example domain (RFC 2606).
        plenary_join_url="https://konferenz.example.org/koki-plenum",
        is_published=True,
    )
    for number, name, topic in ROOMS:
        name_en, topic_en = ROOMS_EN[number]
        Room.objects.create(
            event=event,
            number=number,
            **_in_both(name=(name, name_en), topic=(topic, topic_en)),
            capacity=ROOM_CAPACITY,
            join_url=f"https://konferenz.example.org/koki-raum-{number}",
        )
    speakers = {}
    for key, data in SPEAKERS.items():
        english = SPEAKERS_EN[key]
        texts = {field: (data[field], english[field]) for field in ("role", "affiliation", "bio")}
        speaker, _created = Speaker.objects.get_or_create(
            name=data["name"], defaults=_in_both(**texts)
        )
        speakers[key] = speaker
    for (start, end, kind, title, description, speaker_keys), english in zip(
        AGENDA, AGENDA_EN, strict=True
    ):
        item = AgendaItem.objects.create(
            event=event,
            starts_at=_at(day, start),
            ends_at=_at(day, end),
            kind=kind,
            **_in_both(title=(title, english[0]), description=(description, english[1])),
        )
        AgendaItemSpeaker.objects.bulk_create(
            AgendaItemSpeaker(agenda_item=item, speaker=speakers[key], order=position)
            for position, key in enumerate(speaker_keys)
        )
    return event
