"""Rate limits in the shared cache: a fixed-window counter per client network and scope.

A client network is what one subscriber controls (`client_network`): an IPv4 address, or the
/64 of an IPv6 address. Providers hand every line a /64 at least, so counting per IPv6 address
would give one household 2^64 clients.

Each scope ("register", "resend", "login") has a rate in `settings.KOKI_RATELIMITS`, written
"<count>/<period>" with the period in seconds or with a unit: "20/10m", "5/h", "100/30s".
An empty rate or "off" disables the scope (load tests). The counter lives in the default cache,
Redis in production, so every gunicorn worker shares it. The same setting holds the two limits
on unconfirmed seats per network, plain counts (`limit_count`, registrations/hoarding.py).

While the cache is unavailable the limits fail open: every request is allowed (registration
must keep working; koki/cache.py logs the outage).

Keys hold an HMAC of the client's network, never the address itself (DSGVO: an IP address is
personal data), and expire with their window.
"""

import functools
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

from koki.views import rate_limited

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds


def parse_rate(value: str) -> Rate | None:
    """Parse "20/10m" into Rate(20, 600); "" or "off" means no limit (None)."""
    value = (value or "").strip().lower()
    if value in {"", "off", "0", "none"}:
        return None
    count, _, period = value.partition("/")
    if not period:
        raise ValueError(f"A rate looks like 20/10m, not {value!r}.")
    multiplier = 1
    if period[-1] in UNITS:
        multiplier = UNITS[period[-1]]
        period = period[:-1] or "1"
    rate = Rate(limit=int(count), period=int(period) * multiplier)
    if rate.limit < 1 or rate.period < 1:
        raise ValueError(f"A rate needs a positive count and period, not {value!r}.")
    return rate


def limit_count(scope: str) -> int | None:
    """A limit that is a plain count ("3"), such as the hold limits (registrations/hoarding.py);
    empty, "0" or "off": none."""
    value = (settings.KOKI_RATELIMITS.get(scope) or "").strip().lower()
    if value in {"", "off", "0", "none"}:
        return None
    count = int(value)
    if count < 1:
        raise ValueError(f"A limit is a positive count, not {value!r}.")
    return count


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind our own proxy the hop it appended.

    A proxy such as nginx (`proxy_add_x_forwarded_for`) appends the address it saw to whatever
    X-Forwarded-For the client sent, so only the last entry is trustworthy; the first one is
    whatever the client chose to write there.
    """
    if settings.KOKI_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def network_of(address: str) -> str:
    """The network an address is counted in: an IPv4 address itself (also written as an
    IPv4-mapped IPv6 address), an IPv6 address's /64. Anything else stays as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(ip), 64), strict=False))


def client_network(request) -> str:
    """The client's network (`network_of(client_ip(request))`): the key of every limit."""
    return network_of(client_ip(request))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def hit(scope: str, identity: str, rate: Rate, *, now: float | None = None) -> Verdict:
    """Count one request of `identity` in `scope`; allowed while the count is within the limit."""
    now = timezone.now().timestamp() if now is None else now
    window = int(now // rate.period)
    digest = salted_hmac("koki.ratelimit", identity, algorithm="sha256").hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}:{window}"
    timeout = rate.period + 1
    if hasattr(cache, "incr_window"):  # Redis (koki.cache): one round trip
        count = cache.incr_window(key, timeout)
        if count is None:  # the cache is unavailable: fail open (koki/cache.py)
            return Verdict(allowed=True, count=0, retry_after=0)
    elif cache.add(key, 1, timeout):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add() and incr()
            cache.add(key, 1, timeout)
            count = 1
    retry_after = max(int((window + 1) * rate.period - now), 1)
    return Verdict(allowed=count <= rate.limit, count=count, retry_after=retry_after)


def ratelimit_allows(scope: str, identity: str) -> bool:
    """Count one action of `identity` in `scope` and say whether it is within the limit.

    For limits a view applies quietly, where a 429 page would tell too much.
    """
    rate = parse_rate(settings.KOKI_RATELIMITS.get(scope, ""))
    if rate is None or not identity:
        return True
    return hit(scope, identity, rate).allowed


def post_email(request) -> str:
    """A rate-limit key: the client's network with the e-mail address in the submitted form
    (normalised).

    Per client and address, not per address alone: otherwise anyone could use up the limit of
    someone else's address and lock its owner out of getting their link again.
    """
    email = request.POST.get("email", "").strip().lower()
    return f"{client_network(request)}|{email}" if email else ""


def ratelimit(scope: str, *, key=client_network, methods: tuple[str, ...] = ("POST",)):
    """Limit a view per client network (or per `key(request)`); over the limit: the 429 page.

    Only `methods` count (POST by default: reading a form is free, submitting it is not).
    An empty key is not counted. Works on function views, on `View.as_view()` results and
    with `method_decorator`.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                rate = parse_rate(settings.KOKI_RATELIMITS.get(scope, ""))
                identity = key(request) if rate is not None else ""
                if identity:
                    verdict = hit(scope, identity, rate)
                    if not verdict.allowed:
                        return rate_limited(request, retry_after=verdict.retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
