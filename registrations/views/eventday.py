"""The event day behind a person's secret link: the personal join links (/r/<token>/join/…),
which wait, lead to the meeting, or say why not."""

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from events.models import Room
from registrations import joining, selectors
from registrations.attendance import attendance_record
from registrations.models import Registration


def _room(registration: Registration, place: str) -> Room | None:
    """The room `place` names in the registration's event (None: the plenary), else 404."""
    if place == joining.PLENARY:
        return None
    room = registration.event.rooms.filter(number=int(place)).first()
    if room is None:
        raise Http404
    return room


@never_cache
@require_safe
def join(request, token: str, place: str):
    """A personal join link: before its time a waiting page, then a redirect to the meeting
    (the first click counts as attendance), after the event a page that says so. Anyone who may
    not enter (not confirmed, another room) learns why and what they can do."""
    now = timezone.now()
    link = joining.open_link(token=token, place=place, now=now)
    if link is not None:  # the rush at the start: one row, the cached timetable, the record
        if request.method == "GET":  # a HEAD (a link checker) is no visit
            attendance_record(
                registration_id=link.registration_id,
                room_id=link.room_id,
                attended=link.attended,
                now=now,
            )
        return HttpResponseRedirect(link.platform_url)
    registration = selectors.registration_get_by_token(token=token)
    room = _room(registration, place)
    event = registration.event
    context = {"registration": registration, "event": event, "room": room, "now": now}
    if registration.status != Registration.Status.CONFIRMED:
        context["waiting_position"] = selectors.waiting_position(registration=registration)
        return render(request, "registrations/join.html", {**context, "state": "refused"})
    if room is not None and room.pk != registration.room_id:
        context["own_link"] = joining.join_path(registration, registration.room)
        context["live"] = joining.is_live(event, now)
        return render(request, "registrations/join.html", {**context, "state": "other_room"})
    where = joining.place_for(event, room, joining.place_starts(event))
    state = where.state(now)
    if state == "open" and not where.platform_url:
        state = "unpublished"
    if state != "open":
        seconds = int((where.opens_at - now).total_seconds())
        context.update(place=where, countdown=joining.countdown(seconds))
        return render(request, "registrations/join.html", {**context, "state": state})
    if request.method == "GET":
        attendance_record(
            registration_id=registration.pk,
            room_id=room.pk if room else None,
            attended=registration.attended_at is not None,
            now=now,
        )
    return HttpResponseRedirect(where.platform_url)
