"""Property-based fuzzing: whatever arrives, no 500, no registration without consent, never
more seats taken than a room has.

The examples of one test share its database (the rooms fill up as the examples run), so
the full-room, waiting-list and duplicate-address paths are fuzzed too.
"""

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import Room
from registrations.models import Registration
from registrations.occupancy import holds_seat
from tests.factories import RegistrationFactory
from tests.registrations.test_views import register_url

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.rooms(
        {"capacity": 2, "waiting_list_size": 2}, {"capacity": 1, "waiting_list_size": 0}
    ),
]

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=190, max_size=260),
    st.just("x" * 10_000),
    st.sampled_from(["", " ", "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "Ä" * 101]),
)
emails = st.one_of(
    st.emails(),
    texts,
    st.sampled_from(["erika@example.org", "ERIKA@example.org ", "a@b", "@", "a" * 250 + "@x.de"]),
)
flags = st.one_of(st.none(), st.sampled_from(["on", "", "false", "0", "1", "False", "yes"]), texts)


def consents(value) -> bool:
    """How Django's BooleanField reads a submitted checkbox."""
    return bool(value) and not (isinstance(value, str) and value.lower() in {"false", "0"})


def room_values(rooms):
    return st.one_of(
        st.sampled_from([str(room.pk) for room in rooms]),
        st.integers(min_value=-(2**63), max_value=2**63).map(str),
        texts,
        st.none(),
    )


def assert_capacity_kept():
    now = timezone.now()
    for room in Room.objects.all():
        holding = Registration.objects.filter(room=room).filter(holds_seat(now)).count()
        waiting = Registration.objects.filter(room=room).waiting().count()
        assert holding <= room.capacity, room
        assert waiting <= room.waiting_list_size, room


def post_data(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def test_register_form_fuzz(client, rooms):
    event = rooms[0].event

    @settings(max_examples=60)
    @given(
        first_name=texts,
        last_name=texts,
        email=emails,
        organisation=texts,
        job_role=texts,
        room=room_values(rooms),
        join_waitlist=flags,
        consent=flags,
        homepage=st.one_of(st.just(""), st.just(""), texts),
    )
    def register(**values):
        before = Registration.objects.count()
        address = (values["email"] or "").strip()
        # (PostgreSQL refuses a NUL even in a query; the form refuses such an address anyway.)
        known = (
            "\x00" not in address and Registration.objects.filter(email__iexact=address).exists()
        )

        response = client.post(register_url(event), post_data(values))

        created = Registration.objects.count() - before
        assert created in {0, 1}
        # A stored registration redirects. Otherwise the form comes back (200), or, for a bot
        # (honeypot filled) or an address registered already, the redirect a new person would
        # see, with nothing stored.
        assert response.status_code in {200, 302}
        if created:
            assert response.status_code == 302
        elif response.status_code == 302:
            assert values["homepage"] or known
        if created:
            assert consents(values["consent"])
            assert not values["homepage"]
            registration = Registration.objects.order_by("-pk").first()
            assert registration.consent_at is not None
            assert registration.privacy_notice_version == event.organiser.privacy_notice_version
        assert_capacity_kept()

    register()


def test_register_with_valid_people_never_overbooks(client, rooms):
    """Mostly valid submissions: the rooms really fill up and overflow into waiting lists."""
    event = rooms[0].event

    @settings(max_examples=30)
    @given(
        number=st.integers(min_value=0, max_value=30),
        room=st.sampled_from(rooms),
        join_waitlist=st.booleans(),
        consent=st.sampled_from(["on", "on", "on", ""]),
    )
    def register(number, room, join_waitlist, consent):
        before = Registration.objects.count()
        data = {
            "first_name": "Erika",
            "last_name": f"Muster{number}",
            "email": f"person{number}@example.org",
            "room": str(room.pk),
            "consent": consent,
            "homepage": "",
        }
        if join_waitlist:
            data["join_waitlist"] = "on"

        response = client.post(register_url(event), data)

        assert response.status_code in {200, 302}
        if not consent:
            assert Registration.objects.count() == before
        assert_capacity_kept()

    register()
    assert Registration.objects.exclude(status="cancelled").count() >= 3  # rooms did fill up


def test_manage_actions_fuzz(client, rooms):
    registrations = [
        RegistrationFactory(room=rooms[0], status=Registration.Status.CONFIRMED),
        RegistrationFactory(
            room=rooms[0],
            status=Registration.Status.PENDING,
            email_confirmed_at=None,
            expires_at=timezone.now() + timezone.timedelta(minutes=30),
        ),
        RegistrationFactory(room=rooms[1], status=Registration.Status.CONFIRMED),
    ]
    tokens = st.one_of(
        st.sampled_from([registration.token for registration in registrations]),
        st.text(alphabet="ABCDEFabcdef0123456789-_", min_size=20, max_size=64),
    )
    actions = st.sampled_from(["manage", "change_room", "confirm", "cancel", "delete", "data"])

    @settings(max_examples=60)
    @given(
        token=tokens,
        action=actions,
        method=st.sampled_from(["get", "post"]),
        room=room_values(rooms),
        join_waitlist=flags,
    )
    def act(token, action, method, room, join_waitlist):
        url = reverse(f"registrations:{action}", kwargs={"token": token})
        data = post_data({"room": room, "join_waitlist": join_waitlist})

        response = getattr(client, method)(url, data)

        assert response.status_code in {200, 302, 404, 405}
        exists = Registration.objects.filter(token=token).exists()
        if not exists:
            assert response.status_code in {302, 404}
        assert_capacity_kept()

    act()


def slug_routes():
    """Every public URL that takes an event slug: the event page, privacy, register, exports…"""
    routes = []
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        if namespace == "admin":
            continue
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLPattern) and "slug" in pattern.pattern.converters:
                routes.append(f"{namespace}:{pattern.name}")
    return routes


def test_slug_routes_include_the_exports_and_public_pages():
    assert {"registrations:event", "events:privacy", "registrations:register"} <= set(slug_routes())


def test_export_and_public_urls_fuzz(client, rooms):
    event = rooms[0].event
    RegistrationFactory(room=rooms[0])
    slugs = st.one_of(
        st.just(event.slug),
        st.from_regex(r"\A[-a-zA-Z0-9_]{1,90}\Z"),
    )

    @settings(max_examples=40)
    @given(
        route=st.sampled_from(slug_routes()),
        slug=slugs,
        query=st.dictionaries(texts, texts, max_size=3),
        number=st.integers(min_value=0, max_value=99),
    )
    def fetch(route, slug, query, number):
        kwargs = {"slug": slug}
        if route == "events:room_ical":  # the one slug route with a second argument
            kwargs["number"] = number
        url = reverse(route, kwargs=kwargs)

        response = client.get(url, query)

        assert response.status_code in {200, 302, 404}
        if slug != event.slug:
            assert response.status_code == 404

    fetch()


def test_data_export_fuzz(client, rooms):
    registration = RegistrationFactory(room=rooms[0])

    @settings(max_examples=30)
    @given(token=st.one_of(st.just(registration.token), st.from_regex(r"\A[A-Za-z0-9_-]{20,64}\Z")))
    def fetch(token):
        response = client.get(reverse("registrations:data", kwargs={"token": token}))

        if token == registration.token:
            assert response.status_code == 200
            assert response.json()["registration"]["email"] == registration.email
        else:
            assert response.status_code == 404

    fetch()
