"""The read-only JSON API (koki/api.py): its OpenAPI document, answers, caching, limits, CORS."""

import datetime as dt
import json
import re
from typing import get_args

import jsonschema
import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from events import cache as event_cache
from events.models import AgendaItem
from koki.api import Language
from registrations.models import Registration
from tests.factories import (
    BERLIN,
    AgendaItemFactory,
    AgendaItemSpeakerFactory,
    EventFactory,
    RegistrationFactory,
    RoomFactory,
    SpeakerFactory,
)
from tests.koki.test_errors import database_unreachable  # noqa: F401 (a fixture)
from tests.koki.test_security_headers import inline_code

pytestmark = pytest.mark.django_db

PLENARY_LINK = "https://meet.example.org/plenum-geheim"
ROOM_LINK = "https://meet.example.org/raum-geheim"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
SITE = "http://127.0.0.1:8000"


@pytest.fixture
def programme():
    """Event "tag": a welcome in the plenary, a deep dive in room 1 (capacity 2, one seat
    taken, waiting list of 1) with one speaker, a panel in all rooms with two speakers."""
    event = EventFactory(
        slug="tag",
        title="Abschlusstag",
        subtitle="Ergebnisse",
        description="Ein Tag über KI.",
        plenary_join_url=PLENARY_LINK,
    )
    room = RoomFactory(
        event=event,
        number=1,
        name="Ethik",
        topic="KI und Ethik",
        moderators="Mara Moderatorin",
        capacity=2,
        waiting_list_size=1,
        join_url=ROOM_LINK,
    )
    start = event.starts_at
    welcome = AgendaItemFactory(event=event, title="Begrüßung", kind=AgendaItem.Kind.WELCOME)
    dive = AgendaItemFactory(
        event=event,
        room=room,
        title="Ethik der KI",
        kind=AgendaItem.Kind.DEEP_DIVE,
        starts_at=start + dt.timedelta(minutes=30),
        ends_at=start + dt.timedelta(minutes=90),
    )
    panel = AgendaItemFactory(
        event=event,
        title="Podium",
        kind=AgendaItem.Kind.PANEL,
        starts_at=start + dt.timedelta(minutes=100),
        ends_at=start + dt.timedelta(minutes=160),
    )
    ada = SpeakerFactory(name="Ada Beispiel", role="Forscherin", affiliation="Uni", bio="Forscht.")
    bert = SpeakerFactory(name="Bert Muster", role="", affiliation="Stadt", bio="")
    AgendaItemSpeakerFactory(agenda_item=dive, speaker=ada)
    AgendaItemSpeakerFactory(agenda_item=panel, speaker=bert, order=0)
    AgendaItemSpeakerFactory(agenda_item=panel, speaker=ada, order=1)
    RegistrationFactory(room=room, email="teilnehmerin@example.org")
    RegistrationFactory(room=room, status=Registration.Status.CANCELLED)
    return {"event": event, "room": room, "items": [welcome, dive, panel], "speakers": [ada, bert]}


ENDPOINTS = ["/api/events", "/api/events/tag", "/api/events/tag/rooms", "/api/events/tag/speakers"]
DOCUMENTED = {
    "/api/events": "/api/events",
    "/api/events/tag": "/api/events/{slug}",
    "/api/events/tag/rooms": "/api/events/{slug}/rooms",
    "/api/events/tag/speakers": "/api/events/{slug}/speakers",
}


def openapi(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def assert_valid(document: dict, path: str, status: int, data) -> None:
    """`data` fits the schema `document` gives for GET `path` answering `status`."""
    answer = document["paths"][path]["get"]["responses"][str(status)]
    schema = {
        **answer["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(data)


def local(moment: dt.datetime) -> str:
    """ISO 8601 with the offset of Berlin at that moment."""
    return moment.astimezone(BERLIN).isoformat()


# --- The OpenAPI document and the answers' schemas ---------------------------------------------


def test_openapi_lists_every_endpoint_for_get_and_head_only(client):
    document = openapi(client)

    assert document["openapi"].startswith("3.1")
    assert {path: sorted(methods) for path, methods in document["paths"].items()} == {
        path: ["get", "head"] for path in DOCUMENTED.values()
    }


@pytest.mark.usefixtures("programme")
@pytest.mark.parametrize("path", ENDPOINTS)
def test_each_answer_fits_its_schema_in_the_openapi_document(client, path):
    document = openapi(client)

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()  # not empty: the schema is checked against real content
    assert_valid(document, DOCUMENTED[path], 200, response.json())


@pytest.mark.usefixtures("programme")
@pytest.mark.parametrize("path", ENDPOINTS[1:])
def test_the_404_answer_fits_its_schema_too(client, path):
    response = client.get(path.replace("/tag", "/gibt-es-nicht"))

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    assert_valid(openapi(client), DOCUMENTED[path], 404, response.json())


def test_a_wrong_answer_would_not_fit(client):
    """The check above would notice an answer that breaks the schema."""
    with pytest.raises(jsonschema.ValidationError):
        assert_valid(openapi(client), "/api/events", 200, [{"slug": "tag"}])


def test_the_languages_are_the_sites():
    assert set(get_args(Language)) == {code for code, _name in django_settings.LANGUAGES}


# --- The content ---------------------------------------------------------------------------------


def test_events_lists_published_events_that_are_not_over(client, programme):
    event = programme["event"]
    EventFactory(slug="entwurf", is_published=False)
    over = EventFactory(slug="vorbei")
    over.starts_at, over.ends_at = (
        event.starts_at.replace(year=2020),
        event.ends_at.replace(year=2020),
    )
    over.save()

    response = client.get("/api/events")

    assert response.json() == [
        {
            "slug": "tag",
            "title": "Abschlusstag",
            "subtitle": "Ergebnisse",
            "organiser": "Co:Lab e.V.",
            "organiser_url": "https://colab.example/",
            "starts_at": local(event.starts_at),
            "ends_at": local(event.ends_at),
            "timezone": "Europe/Berlin",
            "is_online": True,
            "venue": "",
            "registration": "open",
            "url": f"{SITE}/events/tag/",
            "calendar_url": f"{SITE}/events/tag/programme.ics",
            "pdf_url": f"{SITE}/events/tag/programme.pdf",
        }
    ]


def test_event_has_its_agenda_with_times_kinds_rooms_and_speakers(client, programme):
    welcome, dive, panel = programme["items"]
    ada, bert = programme["speakers"]

    data = client.get("/api/events/tag").json()

    assert data["description"] == "Ein Tag über KI."
    assert data["agenda"] == [
        {
            "uid": str(welcome.uid),
            "title": "Begrüßung",
            "description": "",
            "kind": "welcome",
            "kind_label": "Begrüßung",
            "starts_at": local(welcome.starts_at),
            "ends_at": local(welcome.ends_at),
            "room": None,
            "all_rooms": False,
            "speakers": [],
        },
        {
            "uid": str(dive.uid),
            "title": "Ethik der KI",
            "description": "",
            "kind": "deep_dive",
            "kind_label": "Deep Dive",
            "starts_at": local(dive.starts_at),
            "ends_at": local(dive.ends_at),
            "room": {"number": 1, "name": "Ethik"},
            "all_rooms": False,
            "speakers": [{"id": ada.pk, "name": "Ada Beispiel"}],
        },
        {
            "uid": str(panel.uid),
            "title": "Podium",
            "description": "",
            "kind": "panel",
            "kind_label": "Podiumsdiskussion",
            "starts_at": local(panel.starts_at),
            "ends_at": local(panel.ends_at),
            "room": None,
            "all_rooms": False,
            "speakers": [
                {"id": bert.pk, "name": "Bert Muster"},
                {"id": ada.pk, "name": "Ada Beispiel"},
            ],
        },
    ]


@pytest.mark.usefixtures("programme")
def test_times_carry_the_events_offset(client):
    data = client.get("/api/events/tag").json()

    start = dt.datetime.fromisoformat(data["agenda"][1]["starts_at"])
    assert start.utcoffset() in {dt.timedelta(hours=1), dt.timedelta(hours=2)}  # Berlin
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT10:30:00\+0[12]:00", data["agenda"][1]["starts_at"])


@pytest.mark.usefixtures("programme")
def test_lang_names_the_language_of_the_kind_labels(client):
    german = client.get("/api/events/tag?lang=de").json()
    english = client.get("/api/events/tag?lang=en").json()

    assert [item["kind_label"] for item in german["agenda"]] == [
        "Begrüßung",
        "Deep Dive",
        "Podiumsdiskussion",
    ]
    assert [item["kind_label"] for item in english["agenda"]] == [
        "Welcome",
        "Deep dive",
        "Panel discussion",
    ]


def test_rooms_have_capacity_seats_left_and_the_waiting_list(client, programme):
    data = client.get("/api/events/tag/rooms").json()

    assert data == [
        {
            "number": 1,
            "name": "Ethik",
            "topic": "KI und Ethik",
            "moderators": "Mara Moderatorin",
            "capacity": 2,
            "seats_left": 1,
            "waiting": 0,
            "waiting_list_size": 1,
            "waiting_list_full": False,
            "state": "free",
            "calendar_url": f"{SITE}/events/tag/rooms/1.ics",
        }
    ]


def test_rooms_show_a_full_room_and_its_waiting_list(client, programme, seats_uncached):
    room = programme["room"]
    RegistrationFactory(room=room)
    assert client.get("/api/events/tag/rooms").json()[0]["state"] == "waitlist"

    RegistrationFactory(room=room, status=Registration.Status.WAITING, waiting_since=timezone.now())
    data = client.get("/api/events/tag/rooms").json()[0]

    assert (data["seats_left"], data["waiting"], data["state"]) == (0, 1, "closed")
    assert data["waiting_list_full"] is True


def test_speakers_in_order_of_appearance_with_their_items(client, programme):
    _welcome, dive, panel = programme["items"]
    ada, bert = programme["speakers"]

    data = client.get("/api/events/tag/speakers").json()

    assert data == [
        {
            "id": ada.pk,
            "name": "Ada Beispiel",
            "role": "Forscherin",
            "affiliation": "Uni",
            "bio": "Forscht.",
            "agenda": [str(dive.uid), str(panel.uid)],
        },
        {
            "id": bert.pk,
            "name": "Bert Muster",
            "role": "",
            "affiliation": "Stadt",
            "bio": "",
            "agenda": [str(panel.uid)],
        },
    ]


@pytest.mark.usefixtures("programme")
def test_no_join_link_and_no_email_address_in_any_answer(client):
    bodies = [client.get(path).content.decode() for path in ENDPOINTS]
    bodies += [client.get("/api/events/tag?lang=en").content.decode()]
    bodies += [client.get("/api/openapi.json").content.decode()]

    for body in bodies:
        assert "meet.example.org" not in body
        assert "geheim" not in body
        assert EMAIL.findall(body) == []
        assert "token" not in body


# --- Bad input: JSON, never a 500 --------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS[1:])
def test_an_unpublished_event_is_404_json(client, programme, path):
    programme["event"].is_published = False
    programme["event"].save()

    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.usefixtures("programme")
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/events/tag?lang=fr", 400),
        ("/api/events/tag?lang=", 400),
        ("/api/events/tag?lang=de%00", 400),
        ("/api/events/tag/rooms?x=%ff", 200),  # unknown parameters are ignored
        ("/api/events/Gro%C3%9F", 404),
        ("/api/events/a%00b", 404),
        ("/api/events/" + "x" * 500, 404),
        ("/api/events/tag/nothing", 404),
        ("/api/nothing", 404),
        ("/api/", 404),
    ],
)
def test_malformed_requests_get_json_and_never_a_500(client, path, status):
    response = client.get(path)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    if status == 400:
        assert body["detail"][0]["loc"] == ["query", "lang"]
    elif status == 404:
        assert body == {"detail": "Not Found"}


def test_an_unreachable_database_gives_503_json(client, database_unreachable):  # noqa: F811
    response = client.get("/api/events/tag")

    assert response.status_code == 503
    assert response.json() == {"detail": "Service Unavailable"}
    assert response["Retry-After"] == "60"


def test_an_unexpected_error_gives_500_json_without_a_traceback(monkeypatch):
    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr("koki.api.selectors.event_list_public", broken)
    response = Client(raise_request_exception=False).get("/api/events")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}


@pytest.mark.usefixtures("programme")
def test_the_api_only_reads(client):
    assert client.post("/api/events").status_code == 405
    assert client.delete("/api/events/tag").status_code == 405


# --- Caching and query counts -----------------------------------------------------------------


def cold() -> None:
    cache.clear()
    event_cache.reset()


@pytest.mark.parametrize("count", [1, 12])
def test_queries_do_not_grow_with_the_programme(client, django_assert_num_queries, count):
    event = EventFactory(slug="tag")
    rooms = [RoomFactory(event=event, number=n + 1) for n in range(count)]
    for room in rooms:
        item = AgendaItemFactory(event=event, room=room)
        AgendaItemSpeakerFactory(agenda_item=item)
        RegistrationFactory(room=room)
    EventFactory.create_batch(count - 1)
    expected = {
        "/api/events": 1,  # the published events
        "/api/events/tag": 4,  # the event's key, the event, its agenda, the speakers
        "/api/events/tag/rooms": 4,  # the event's key, the event, its rooms, their seats
        "/api/events/tag/speakers": 4,
    }

    for path, queries in expected.items():
        cold()
        with django_assert_num_queries(queries):
            assert client.get(path).status_code == 200


@pytest.mark.usefixtures("programme")
@pytest.mark.parametrize("path", ENDPOINTS[1:])
def test_a_warm_cache_answers_without_a_query(client, django_assert_num_queries, path):
    first = client.get(path)

    with django_assert_num_queries(0):
        second = client.get(path)

    assert second.content == first.content


def test_a_change_of_the_programme_shows_at_once(client, programme):
    _welcome, dive, _panel = programme["items"]
    before = client.get("/api/events/tag")

    dive.title = "Ethik der KI, neu"
    dive.save()
    after = client.get("/api/events/tag", headers={"if-none-match": before["ETag"]})

    assert after.status_code == 200
    assert after.json()["agenda"][1]["title"] == "Ethik der KI, neu"
    assert after["ETag"] != before["ETag"]


@pytest.mark.usefixtures("programme")
@pytest.mark.parametrize("path", ["/api/events/tag", "/api/events/tag/speakers"])
def test_a_conditional_request_gets_304_without_a_query(client, django_assert_num_queries, path):
    etag = client.get(path)["ETag"]

    with django_assert_num_queries(0):
        response = client.get(path, headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response.content == b""


# --- CORS and rate limits ------------------------------------------------------------------


@pytest.mark.usefixtures("programme")
def test_cors_lets_any_website_read_the_api_and_nothing_else(client):
    origin = {"origin": "https://www.example.net"}

    api = client.get("/api/events/tag", headers=origin)
    page = client.get("/events/tag/", headers=origin)
    embed = client.get("/events/tag/embed/", headers=origin)
    preflight = client.options(
        "/api/events/tag", headers={**origin, "access-control-request-method": "GET"}
    )

    assert api["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in page
    assert "Access-Control-Allow-Origin" not in embed
    assert preflight["Access-Control-Allow-Methods"] == "GET, OPTIONS"
    assert "Access-Control-Allow-Credentials" not in api


@pytest.mark.usefixtures("programme")
def test_the_api_is_rate_limited_per_client_with_json(client, settings):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "api": "2/m"}

    answers = [client.get("/api/events/tag", REMOTE_ADDR="192.0.2.7") for _ in range(3)]
    other_client = client.get("/api/events/tag", REMOTE_ADDR="192.0.2.8")
    page = client.get("/events/tag/", REMOTE_ADDR="192.0.2.7")

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].json() == {"detail": "Too Many Requests"}
    assert 1 <= int(answers[2]["Retry-After"]) <= 60
    assert other_client.status_code == 200
    assert page.status_code == 200


# --- The docs page ------------------------------------------------------------------------------


def test_docs_load_swagger_ui_from_our_static_files_without_inline_code(client):
    response = client.get("/api/docs")
    html = response.content.decode()

    assert response.status_code == 200
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["/static/ninja/swagger-ui-bundle.js", "/static/js/api-docs.js"]
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == [
        "/static/ninja/swagger-ui.css"
    ]
    assert 'data-openapi-url="/api/openapi.json"' in html
    assert "cdn" not in html
    assert inline_code(html) == []
    assert finders.find("ninja/swagger-ui-bundle.js")
    assert finders.find("js/api-docs.js")
    assert json.loads(client.get("/api/openapi.json").content)["info"]["title"] == "koki"


@pytest.mark.usefixtures("programme")
def test_head_and_preconditions_answer_like_get(client):
    head = client.head("/api/events/tag")
    unmodified = client.get(
        "/api/events/tag", HTTP_IF_UNMODIFIED_SINCE="Fri, 01 Jan 2100 00:00:00 GMT"
    )
    failed = client.get("/api/events/tag", HTTP_IF_MATCH='"something-else"')

    assert (head.status_code, head["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert unmodified.status_code == 200
    assert unmodified["Last-Modified"]
    assert (failed.status_code, failed.json()) == (412, {"detail": "Precondition Failed"})
