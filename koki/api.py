"""The read-only JSON API at /api/: the published programme for other websites and apps.

OpenAPI document at /api/openapi.json, readable docs at /api/docs (Swagger UI from
django-ninja's own static files, started by static/js/api-docs.js: no CDN, no inline script).

- **Public data only**: what the event page shows. Never a join link, never a registration, an
  e-mail address or a secret link.
- **Cached like the pages** (events/cache.py): an event's answers are rendered once per cache
  generation (any change of the event or its programme starts a new one) and carry an ETag, so
  a client's conditional request costs no query. The rooms' seats are the pages' snapshot
  (registrations.occupancy.event_seats: at most a second old).
- **Rate-limited** per client address like the pages (the "api" scope of KOKI_RATELIMITS);
  every error under /api/ is JSON (koki/views.py), CORS allows GETs from anywhere (settings).

The project layer: it may read both apps (events must never import registrations).
"""

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from typing import Literal
from uuid import UUID

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from ninja import Field, NinjaAPI, Schema
from ninja.errors import ValidationError
from ninja.openapi.docs import DocsBase
from pydantic import TypeAdapter

from events import cache, selectors
from events.models import AgendaItem, Event
from koki.ratelimit import ratelimit
from koki.site import absolute_url
from registrations import occupancy

JSON = "application/json; charset=utf-8"
Language = Literal["de", "en"]  # settings.LANGUAGES (tests/koki/test_api.py compares them)
RegistrationState = Literal["not_yet_open", "open", "closed", "over"]
SeatsState = Literal["free", "waitlist", "closed"]


# --- What the answers look like ----------------------------------------------------------------


class Message(Schema):
    detail: str = Field(examples=["Not Found"])


class EventOut(Schema):
    slug: str
    title: str
    subtitle: str
    organiser: str
    organiser_url: str
    starts_at: dt.datetime = Field(description="ISO 8601, in the event's time zone.")
    ends_at: dt.datetime
    timezone: str = Field(examples=["Europe/Berlin"])
    is_online: bool
    venue: str = Field(description="Empty for online events.")
    registration: RegistrationState
    url: str = Field(description="The event's page, with the registration.")
    calendar_url: str = Field(description="The programme as an iCalendar feed.")
    pdf_url: str = Field(description="The programme as a PDF.")


class RoomRef(Schema):
    number: int
    name: str


class SpeakerRef(Schema):
    id: int
    name: str


class AgendaItemOut(Schema):
    uid: UUID = Field(description="Stable; the UID in the calendar feeds.")
    title: str
    description: str
    kind: AgendaItem.Kind
    kind_label: str = Field(description="The kind in the requested language.")
    starts_at: dt.datetime = Field(description="ISO 8601, in the event's time zone.")
    ends_at: dt.datetime
    room: RoomRef | None = Field(description="Empty: the plenary, or every room at once.")
    all_rooms: bool = Field(description="A deep dive in all break-out rooms at once.")
    speakers: list[SpeakerRef]


class EventDetailOut(EventOut):
    description: str
    agenda: list[AgendaItemOut]


class RoomOut(Schema):
    number: int
    name: str
    topic: str
    moderators: str
    capacity: int
    seats_left: int = Field(description="A count at most a second old.")
    waiting: int = Field(description="People on the waiting list.")
    waiting_list_size: int
    waiting_list_full: bool
    state: SeatsState = Field(
        description="free: seats left; waitlist: full, its waiting list open; closed: both full."
    )
    calendar_url: str = Field(description="The plenary and this room as an iCalendar feed.")


class SpeakerOut(Schema):
    id: int
    name: str
    role: str
    affiliation: str
    bio: str
    agenda: list[UUID] = Field(description="The uids of the speaker's agenda items.")


# --- Rendering ---------------------------------------------------------------------------------


@functools.cache
def _adapter(schema) -> TypeAdapter:
    return TypeAdapter(schema)


def _json(schema, data) -> bytes:
    """`data` checked against `schema` and written as JSON."""
    adapter = _adapter(schema)
    return adapter.dump_json(adapter.validate_python(data))


def _url(name: str, **kwargs) -> str:
    return absolute_url(reverse(name, kwargs=kwargs))


def _local(moment: dt.datetime, event: Event) -> dt.datetime:
    return timezone.localtime(moment, event.tzinfo)


def _event(event: Event) -> dict:
    return {
        "slug": event.slug,
        "title": event.title,
        "subtitle": event.subtitle,
        "organiser": event.organiser.name,
        "organiser_url": event.organiser.website,
        "starts_at": _local(event.starts_at, event),
        "ends_at": _local(event.ends_at, event),
        "timezone": event.timezone,
        "is_online": event.is_online,
        "venue": "" if event.is_online else event.venue,
        "registration": event.registration_state(),
        "url": absolute_url(event.get_absolute_url()),
        "calendar_url": _url("events:programme_ical", slug=event.slug),
        "pdf_url": _url("events:programme_pdf", slug=event.slug),
    }


def _item(item: AgendaItem, event: Event) -> dict:
    speakers = [link.speaker for link in item.speaker_links.all()]
    return {
        "uid": item.uid,
        "title": item.title,
        "description": item.description,
        "kind": item.kind,
        "kind_label": str(item.get_kind_display()),
        "starts_at": _local(item.starts_at, event),
        "ends_at": _local(item.ends_at, event),
        "room": {"number": item.room.number, "name": item.room.name} if item.room else None,
        "all_rooms": item.is_all_rooms,
        "speakers": [{"id": speaker.pk, "name": speaker.name} for speaker in speakers],
    }


def _cached_json(
    request, public: cache.PublicEvent, parts: tuple, render: Callable
) -> HttpResponse:
    """The answer stored under the event's generation and `parts`, with an ETag naming it: a
    conditional request gets a 304 without rendering."""
    key = public.key("api", *parts)
    etag = "W/" + quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])
    modified = public.generation.timestamp
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        response = HttpResponse(cache.cached(key, render), content_type=JSON)
    elif response.status_code == 412:
        return api.create_response(request, {"detail": "Precondition Failed"}, status=412)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = "public, no-cache"
    return response


# --- The API -----------------------------------------------------------------------------------


class SwaggerDocs(DocsBase):
    """Swagger UI from django-ninja's static files, started by static/js/api-docs.js."""

    def render_page(self, request, api, **kwargs) -> HttpResponse:
        return render(request, "api/docs.html", {"openapi_url": self.get_openapi_url(api, kwargs)})


limited = ratelimit("api", methods=("GET", "HEAD"))

api = NinjaAPI(
    title="koki",
    version="1",
    description=(
        "The published programme of koki's events: read-only, no personal data. "
        'Errors are JSON ({"detail": …}); too many requests get 429 with Retry-After.'
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=SwaggerDocs(),
    docs_decorator=limited,
)
api.add_decorator(limited, mode="view")


@api.exception_handler(ValidationError)
def bad_request(request, exc):
    """A malformed parameter: 400, naming it."""
    return api.create_response(request, {"detail": exc.errors}, status=400)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not Found"}, status=404)


@api.exception_handler(Exception)
def server_error(request, exc):
    """Django's own handling: 503 when the database is down, else the 500 (JSON here)."""
    raise exc


@api.api_operation(
    ["GET", "HEAD"],
    "/events",
    response=list[EventOut],
    summary="Published events that are not over",
)
def events(request, lang: Language = "de"):
    """`lang`: the language of the texts and links (English falls back to German where an
    English text is missing)."""
    with translation.override(lang):
        data = [_event(event) for event in selectors.event_list_public()]
    return HttpResponse(_json(list[EventOut], data), content_type=JSON)


@api.api_operation(
    ["GET", "HEAD"],
    "/events/{slug:slug}",
    response={200: EventDetailOut, 404: Message},
    summary="An event with its agenda",
)
def event_detail(request, slug: str, lang: Language = "de"):
    """`lang`: the language of the texts, `kind_label` and the links (English falls back to
    German where an English text is missing)."""
    public = cache.published_event(slug=slug)
    event = public.event

    def render() -> bytes:
        with translation.override(lang):
            agenda = [_item(item, event) for item in selectors.agenda_items_for(event=event)]
            data = {**_event(event), "description": event.description, "agenda": agenda}
        return _json(EventDetailOut, data)

    return _cached_json(request, public, ("event", lang, event.registration_state()), render)


@api.api_operation(
    ["GET", "HEAD"],
    "/events/{slug:slug}/rooms",
    response={200: list[RoomOut], 404: Message},
    summary="The break-out rooms with their seats",
)
def event_rooms(request, slug: str, lang: Language = "de"):
    """`lang`: the language of the names, topics and links."""
    public = cache.published_event(slug=slug, entries=(occupancy.SNAPSHOT,))
    event = public.event

    def read() -> tuple:
        with translation.override(lang):  # the model's fields: English falls back to German
            return tuple(
                (room.pk, room.name, room.topic, room.moderators)
                for room in event.rooms.order_by("number")
            )

    rooms = cache.cached(public.key("api", "rooms", lang), read)
    seats = {room.room_id: room for room in occupancy.event_seats(public=public)}
    with translation.override(lang):  # the calendar links
        data = _rooms(rooms, seats, slug)
    return HttpResponse(_json(list[RoomOut], data), content_type=JSON)


def _rooms(rooms: tuple, seats: dict, slug: str) -> list[dict]:
    return [
        {
            "number": seats[pk].number,
            "name": name,
            "topic": topic,
            "moderators": moderators,
            "capacity": seats[pk].capacity,
            "seats_left": seats[pk].free,
            "waiting": seats[pk].waiting,
            "waiting_list_size": seats[pk].waiting_list_size,
            "waiting_list_full": seats[pk].waiting_list_full,
            "state": seats[pk].state,
            "calendar_url": _url("events:room_ical", slug=slug, number=seats[pk].number),
        }
        for pk, name, topic, moderators in rooms
        if pk in seats
    ]


@api.api_operation(
    ["GET", "HEAD"],
    "/events/{slug:slug}/speakers",
    response={200: list[SpeakerOut], 404: Message},
    summary="The speakers, in the order they appear",
)
def event_speakers(request, slug: str, lang: Language = "de"):
    """`lang`: the language of the roles, affiliations and biographies."""
    public = cache.published_event(slug=slug)
    event = public.event

    def render() -> bytes:
        with translation.override(lang):
            return _json(list[SpeakerOut], _speakers(event))

    return _cached_json(request, public, ("speakers", lang), render)


def _speakers(event: Event) -> list[dict]:
    """Each speaker once, in the order they appear, with the uids of their items."""
    speakers: dict[int, dict] = {}
    for item in selectors.agenda_items_for(event=event):
        for link in item.speaker_links.all():
            speaker = link.speaker
            entry = speakers.setdefault(
                speaker.pk,
                {
                    "id": speaker.pk,
                    "name": speaker.name,
                    "role": speaker.role,
                    "affiliation": speaker.affiliation,
                    "bio": speaker.bio,
                    "agenda": [],
                },
            )
            entry["agenda"].append(item.uid)
    return list(speakers.values())
