"""The organisers' dashboard on the admin index: the geometry of its SVG charts.

The numbers come from registrations/dashboard.py; this module only turns them into positions in
a chart's coordinates (whole numbers), and the templates in templates/admin/includes/dashboard*
draw them. The charts scale with their viewBox; a bar's width is an attribute, never a style
(the Content Security Policy forbids inline styles).
"""

import math
from dataclasses import dataclass

from django import template

from registrations.dashboard import Day, EventDashboard, dashboards, may_see_dashboard
from registrations.templatetags.koki_admin import occupancy_context

register = template.Library()

# The timeline's coordinates: wide margins on the left (the counts) and below (the days); the
# stylesheet enlarges the labels on narrow screens, where the whole chart is drawn smaller.
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 40, 16, 44
MAX_DAY_TICKS = 6
DAY_STEPS = (1, 2, 3, 7, 14, 28, 56, 91, 182, 364)
BAR_SCALE = 1000  # a bar chart's width in its own units
MIN_SEGMENT = 4  # a part with people in it stays visible, however small against the scale


@dataclass(frozen=True)
class Point:
    x: int
    y: int


@dataclass(frozen=True)
class Tick:
    position: int  # x for days, y for counts
    value: object  # a date or a count
    alt: bool = False  # every other day tick: left out on narrow screens


@dataclass(frozen=True)
class Timeline:
    days: list[Day]
    registered: list[Point]
    confirmed: list[Point]
    area: list[Point]  # below the registrations' line, down to the axis
    count_ticks: list[Tick]
    day_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def count_step(maximum: int, ticks: int = 5) -> int:
    """A round step (1, 2 or 5 times a power of ten, at least 1): at most `ticks` steps."""
    raw = max(maximum, 1) / ticks
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return max(factor * power, 1)
    return 10 * power  # pragma: no cover - the loop ends at 10


def day_step(days: int) -> int:
    """Days between two day ticks: a few labels, whole weeks once the period is long."""
    for step in DAY_STEPS:
        if math.ceil(days / step) <= MAX_DAY_TICKS:
            return step
    return math.ceil(days / MAX_DAY_TICKS)


def timeline(days: list[Day]) -> Timeline | None:
    """Cumulative registrations and confirmed registrations per day, as a line chart."""
    if not days:
        return None
    step = count_step(days[-1].registered)
    top_value = max(math.ceil(days[-1].registered / step), 1) * step
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bottom = HEIGHT - BOTTOM

    def x(index: int) -> int:
        if len(days) == 1:
            return LEFT + plot_width // 2
        return LEFT + round(index * plot_width / (len(days) - 1))

    def y(count: int) -> int:
        return bottom - round(count * plot_height / top_value)

    registered = [Point(x(i), y(day.registered)) for i, day in enumerate(days)]
    confirmed = [Point(x(i), y(day.confirmed)) for i, day in enumerate(days)]
    every = day_step(len(days))
    day_ticks = [
        Tick(x(i), days[i].day, alt=bool((i // every) % 2)) for i in range(0, len(days), every)
    ]
    count_ticks = [Tick(y(value), value) for value in range(0, top_value + 1, step)]
    area = [Point(registered[0].x, bottom), *registered, Point(registered[-1].x, bottom)]
    return Timeline(days, registered, confirmed, area, count_ticks, day_ticks)


@dataclass(frozen=True)
class Segment:
    name: str  # the CSS class's suffix: confirmed, held, waiting, attended, noshow
    start: int
    width: int
    count: int


@dataclass(frozen=True)
class Bar:
    row: object  # the room's RoomOccupancy (or None: the plenary)
    segments: list[Segment]
    track: int = 0  # the light background's width: the seats, or who could have come
    capacity: int | None = None  # the capacity mark's x, if the bar has one


def _segments(parts: list[tuple[str, int]], scale: int) -> list[Segment]:
    segments, start = [], 0
    for name, count in parts:
        width = max(round(count * BAR_SCALE / scale), MIN_SEGMENT) if count else 0
        if count:
            segments.append(Segment(name, start, width, count))
        start += width
    return segments


def seat_bars(rooms) -> list[Bar]:
    """Per room: confirmed, held (pending, hold not expired) and waiting, stacked, against the
    room's capacity; every room on the same scale."""
    scale = max([max(r.capacity, r.taken + r.waiting) for r in rooms] + [1])
    return [
        Bar(
            row=room,
            segments=_segments(
                [("confirmed", room.confirmed), ("held", room.pending), ("waiting", room.waiting)],
                scale,
            ),
            track=round(room.capacity * BAR_SCALE / scale),
            capacity=round(room.capacity * BAR_SCALE / scale),
        )
        for room in rooms
    ]


def attendance_bars(occupancy) -> list[Bar]:
    """Per room: attended and no-shows, every room on the same scale; then the plenary: who
    joined it, against everyone confirmed (on a scale of its own)."""
    rooms = occupancy.rooms
    scale = max([r.attended + r.no_shows for r in rooms] + [1])
    bars = [
        Bar(
            row=room,
            segments=_segments([("attended", room.attended), ("noshow", room.no_shows)], scale),
        )
        for room in rooms
    ]
    confirmed = max(occupancy.confirmed, occupancy.plenary_attended, 1)
    plenary = _segments([("attended", occupancy.plenary_attended)], confirmed)
    return [*bars, Bar(row=None, segments=plenary, track=BAR_SCALE)]


@dataclass(frozen=True)
class Panel:
    """One event's dashboard with its charts."""

    board: EventDashboard
    timeline: Timeline | None
    seats: list[Bar]
    attendance: list[Bar] | None  # after the event only


def panel(board: EventDashboard) -> Panel:
    return Panel(
        board=board,
        timeline=timeline(board.days),
        seats=seat_bars(board.occupancy.rooms),
        attendance=attendance_bars(board.occupancy) if board.is_over else None,
    )


@register.inclusion_tag("admin/includes/dashboard.html", takes_context=True)
def koki_dashboard(context):
    """The dashboard of every event the user may see, then their occupancy tables from the same
    figures (nothing at all for other staff)."""
    request = context.get("request")
    if request is None or not may_see_dashboard(request.user):
        return {"panels": None, "overview": None}
    boards = dashboards(request.user)
    return {
        "panels": [panel(board) for board in boards],
        **occupancy_context(context, [board.occupancy for board in boards]),
    }
