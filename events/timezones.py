"""Time zones as an organiser picks them: grouped by continent, with the city and the current
offset from UTC ("Berlin (UTC+01:00)"), instead of a free-text IANA name."""

import datetime as dt
import zoneinfo
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

REGIONS = {
    "Europe": _("Europe"),
    "America": _("America"),
    "Africa": _("Africa"),
    "Asia": _("Asia"),
    "Australia": _("Australia"),
    "Pacific": _("Pacific"),
    "Atlantic": _("Atlantic"),
    "Indian": _("Indian Ocean"),
    "Antarctica": _("Antarctica"),
}

# Where German has a name of its own; other cities keep the IANA (English) spelling.
CITY_NAMES = {
    "Europe/Athens": _("Athens"),
    "Europe/Belgrade": _("Belgrade"),
    "Europe/Brussels": _("Brussels"),
    "Europe/Bucharest": _("Bucharest"),
    "Europe/Copenhagen": _("Copenhagen"),
    "Europe/Lisbon": _("Lisbon"),
    "Europe/Luxembourg": _("Luxembourg"),
    "Europe/Moscow": _("Moscow"),
    "Europe/Prague": _("Prague"),
    "Europe/Rome": _("Rome"),
    "Europe/Vienna": _("Vienna"),
    "Europe/Warsaw": _("Warsaw"),
    "Europe/Zurich": _("Zurich"),
}


def utc_offset(zone: str, at: dt.datetime | None = None) -> str:
    """The zone's offset from UTC at `at` (now): "UTC+01:00", "UTC−03:30", "UTC±00:00"."""
    at = at or dt.datetime.now(dt.UTC)
    minutes = int(at.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset().total_seconds() // 60)
    sign = "+" if minutes > 0 else "−" if minutes < 0 else "±"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def city(zone: str) -> str:
    """ "America/Argentina/Buenos_Aires" → "Argentina – Buenos Aires"."""
    if zone in CITY_NAMES:
        return str(CITY_NAMES[zone])
    return " – ".join(part.replace("_", " ") for part in zone.split("/")[1:])


def zone_label(zone: str) -> str:
    """ "Europe/Berlin" → "Europa – Berlin (UTC+01:00)" (the region in the current language)."""
    region = zone.split("/", 1)[0]
    if zone == "UTC" or region not in REGIONS:
        return f"{zone} ({utc_offset(zone)})"
    return f"{REGIONS[region]} – {city(zone)} ({utc_offset(zone)})"


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(
        sorted(
            zone
            for zone in zoneinfo.available_timezones()
            if zone.split("/", 1)[0] in REGIONS and "/" in zone
        )
    )


def _known() -> frozenset[str]:
    return frozenset({"UTC", *_zones()})


def timezone_choices(current: str | None = None) -> list:
    """Grouped choices for a select: UTC, then one group per region, cities in A–Z order.

    `current`, a valid zone outside these groups ("Etc/GMT-1"), comes first as it is.
    """
    extra = [(current, zone_label(current))] if current and current not in _known() else []
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in REGIONS}
    for zone in _zones():
        groups[zone.split("/", 1)[0]].append((zone, f"{city(zone)} ({utc_offset(zone)})"))
    return [
        *extra,
        ("UTC", "UTC"),
        *((REGIONS[r], sorted(zones, key=lambda c: c[1])) for r, zones in groups.items() if zones),
    ]
