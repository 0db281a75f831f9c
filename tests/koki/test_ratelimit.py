import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils.crypto import salted_hmac

from koki.ratelimit import Rate, client_ip, client_network, hit, limit_count, network_of, parse_rate
from registrations.models import Registration
from tests.registrations.test_views import form_data, register_url

LOGIN_URL = "/admin/login/"


def login(client, *, ip="192.0.2.10", language="de", **headers):
    return client.post(
        LOGIN_URL,
        {"username": "organiser", "password": "wrong", "next": "/admin/"},
        REMOTE_ADDR=ip,
        headers={"cookie": f"django_language={language}", **headers},
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20/10m", Rate(20, 600)),
        ("5/h", Rate(5, 3600)),
        ("100/30s", Rate(100, 30)),
        ("3/45", Rate(3, 45)),
        ("1/d", Rate(1, 86400)),
        ("", None),
        ("off", None),
        (" OFF ", None),
    ],
)
def test_parse_rate(value, expected):
    assert parse_rate(value) == expected


@pytest.mark.parametrize("value", ["20", "x/10m", "0/10m", "5/0s", "5/10y"])
def test_parse_rate_refuses_nonsense(value):
    with pytest.raises(ValueError):  # noqa: PT011
        parse_rate(value)


def test_hit_counts_within_a_window_and_starts_again_in_the_next():
    rate = Rate(limit=2, period=60)
    start = 1_800_000_000.0  # a multiple of 60: the start of a window

    verdicts = [hit("test", "192.0.2.1", rate, now=start + second) for second in (0, 10, 20)]
    next_window = hit("test", "192.0.2.1", rate, now=start + 61)

    assert [v.allowed for v in verdicts] == [True, True, False]
    assert [v.count for v in verdicts] == [1, 2, 3]
    assert verdicts[2].retry_after == 40
    assert (next_window.allowed, next_window.count) == (True, 1)


def test_hit_keeps_identities_apart_and_stores_no_address():
    rate = Rate(limit=1, period=60)

    first = hit("test", "192.0.2.1", rate, now=0)
    again = hit("test", "192.0.2.1", rate, now=1)
    other = hit("test", "192.0.2.2", rate, now=2)

    assert (first.allowed, again.allowed, other.allowed) == (True, False, True)
    # The counter's key names an HMAC of the address and the window, never the address (any
    # cache backend: local memory here, Redis in CI's second run).
    digest = salted_hmac("koki.ratelimit", "192.0.2.1", algorithm="sha256").hexdigest()[:32]
    assert cache.get(f"ratelimit:test:{digest}:0") == 2


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4 written as IPv6: the IPv4 address
        ("unknown", "unknown"),
    ],
)
def test_network_of_is_the_ipv4_address_or_the_ipv6_64(address, network):
    assert network_of(address) == network


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("10", 10), ("off", None), ("", None)])
def test_limit_count(settings, value, expected):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "holds": value}

    assert limit_count("holds") == expected


def test_client_network_behind_proxy_is_the_forwarded_hops_64(settings):
    settings.KOKI_BEHIND_PROXY = True
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 2001:db8:aa:bb:1:2:3:4"
    )

    assert client_network(request) == "2001:db8:aa:bb::/64"


def test_client_ip_is_remote_addr_without_proxy(settings):
    settings.KOKI_BEHIND_PROXY = False
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert client_ip(request) == "192.0.2.7"


def test_client_ip_behind_proxy_is_the_hop_our_proxy_appended(settings):
    """The client can write anything into X-Forwarded-For; our proxy appends the real address."""
    settings.KOKI_BEHIND_PROXY = True
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9"
    )

    assert client_ip(request) == "203.0.113.9"


def test_client_ip_behind_proxy_without_header_is_remote_addr(settings):
    settings.KOKI_BEHIND_PROXY = True
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")

    assert client_ip(request) == "127.0.0.1"


@pytest.mark.django_db
def test_admin_login_over_the_limit_gets_the_429_page(client, settings):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "login": "3/10m"}

    within = [login(client) for _ in range(3)]
    over = login(client)

    assert [r.status_code for r in within] == [200, 200, 200]
    assert all(b"errornote" in r.content for r in within)  # the admin's "wrong password"
    assert over.status_code == 429
    assert 1 <= int(over["Retry-After"]) <= 600
    content = over.content.decode()
    assert "<h1>Zu viele Versuche</h1>" in content
    assert "Ihre Eingaben wurden nicht gespeichert." in content


@pytest.mark.django_db
def test_429_page_in_english(client, settings):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "login": "1/10m"}
    login(client, language="en")

    over = login(client, language="en")

    assert over.status_code == 429
    content = over.content.decode()
    assert "<h1>Too many attempts</h1>" in content
    assert "Nothing you entered has been stored." in content


@pytest.mark.django_db
def test_admin_login_limit_leaves_other_addresses_alone(client, settings):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "login": "2/10m"}
    for _ in range(3):
        login(client, ip="192.0.2.10")

    blocked = login(client, ip="192.0.2.10")
    other = login(client, ip="192.0.2.11")

    assert blocked.status_code == 429
    assert other.status_code == 200
    assert b"errornote" in other.content


@pytest.mark.django_db
def test_admin_login_page_itself_is_not_limited(client, settings):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "login": "1/10m"}
    login(client)
    login(client)

    response = client.get(LOGIN_URL, REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 200
    assert b'name="username"' in response.content


@pytest.mark.django_db
def test_a_correct_login_still_works_under_the_limit(client, settings, django_user_model):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "login": "3/10m"}
    django_user_model.objects.create_superuser("organiser", "o@example.org", "s3cret-pass")

    response = client.post(
        LOGIN_URL,
        {"username": "organiser", "password": "s3cret-pass", "next": "/admin/"},
        REMOTE_ADDR="192.0.2.10",
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_a_disabled_limit_never_blocks(client, settings):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "login": "off"}

    responses = [login(client) for _ in range(12)]

    assert [r.status_code for r in responses] == [200] * 12
    assert all(b"errornote" in r.content for r in responses)


@pytest.mark.django_db
def test_behind_a_proxy_the_limit_follows_the_forwarded_address(client, settings):
    settings.KOKI_BEHIND_PROXY = True
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "login": "1/10m"}
    login(client, ip="127.0.0.1", x_forwarded_for="203.0.113.9")

    spoofed = login(client, ip="127.0.0.1", x_forwarded_for="1.1.1.1, 203.0.113.9")
    other = login(client, ip="127.0.0.1", x_forwarded_for="203.0.113.10")

    assert spoofed.status_code == 429
    assert other.status_code == 200
    assert b"errornote" in other.content  # the admin's own "wrong password", not our 429


@pytest.mark.django_db
def test_registering_from_25_addresses_of_one_ipv6_64_counts_as_one_client(client, settings, room):
    """The probe's case: 25 addresses of one /64 share the register limit (20 per 10 minutes
    here); the next /64 has a limit of its own."""
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "register": "20/10m"}
    room.capacity = 30
    room.save()

    responses = [
        client.post(
            register_url(room.event),
            form_data(room, email=f"p{n}@example.org"),
            REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}",
        )
        for n in range(25)
    ]
    neighbour = client.post(
        register_url(room.event),
        form_data(room, email="n@example.org"),
        REMOTE_ADDR="2001:db8:1:3::1",
    )

    assert [r.status_code for r in responses] == [302] * 20 + [429] * 5
    assert neighbour.status_code == 302
    assert Registration.objects.count() == 21
