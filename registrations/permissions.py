"""Who may see what in the admin. Every admin page, action and export asks here.

Two questions, answered separately:

- Which events? The event's team (`Event.team`): a staff account sees and changes only the
  events whose team it belongs to, with their programme, registrations, lists and messages.
  Superusers see every event. Staff in no team see no event at all, whatever their groups.
- What of them? Members of the "Organisers" group (and superusers) see personal data:
  registrations, attendee lists, messages, reminders. Other staff of a team (someone who
  edits the programme, say) see the event and its programme only.

Moderators (the "Moderators" group, in no team) see their own rooms (`Room.moderator_accounts`)
only: those rooms' registrations read only, the attendance marks and messages to the room.
"""

from django.db.models import Q, QuerySet

ORGANISERS_GROUP = "Organisers"
MODERATORS_GROUP = "Moderators"


def _staff(user) -> bool:
    return bool(user.is_active and user.is_staff)


def _in_group(user, name: str, cache: str) -> bool:
    cached = getattr(user, cache, None)
    if cached is None:
        cached = user.groups.filter(name=name).exists()
        setattr(user, cache, cached)
    return cached


def is_organiser(user) -> bool:
    """Active staff in the Organisers group, or a superuser. Cached on the user for the request."""
    if not _staff(user):
        return False
    return user.is_superuser or _in_group(user, ORGANISERS_GROUP, "_koki_is_organiser")


def is_moderator(user) -> bool:
    """Active staff in the Moderators group who is no organiser (an organiser's rights are the
    wider ones). Cached on the user for the request."""
    if not _staff(user) or is_organiser(user):
        return False
    return _in_group(user, MODERATORS_GROUP, "_koki_is_moderator")


def events_for(user) -> QuerySet:
    """The events `user` runs: all for a superuser, else those of the user's teams."""
    from events.models import Event

    if not _staff(user):
        return Event.objects.none()
    if user.is_superuser:
        return Event.objects.all()
    return Event.objects.filter(team=user)


def rooms_for(user) -> QuerySet:
    """The rooms whose registrations `user` may see: the rooms of an organiser's events, a
    moderator's own rooms; none for anyone else."""
    from events.models import Room

    if is_organiser(user):
        if user.is_superuser:
            return Room.objects.all()
        return Room.objects.filter(event__in=events_for(user))
    if is_moderator(user):
        return Room.objects.filter(moderator_accounts=user)
    return Room.objects.none()


def personal_data_for(user, queryset: QuerySet, *, event: str, room: str | None) -> QuerySet:
    """`queryset` (registrations, messages, reminders, …) narrowed to what `user` may see.

    `event` and `room` are the lookups from the model to its event and its room; `room` None:
    nothing for moderators. One query still (the scopes are subqueries).
    """
    if is_organiser(user):
        if user.is_superuser:
            return queryset
        return queryset.filter(**{f"{event}__in": events_for(user)})
    if room is not None and is_moderator(user):
        return queryset.filter(**{f"{room}__in": rooms_for(user)})
    return queryset.none()


def programme_for(user, queryset: QuerySet, *, event: str) -> QuerySet:
    """`queryset` (events, rooms, agenda items) narrowed to the events of `user`'s teams."""
    if _staff(user) and user.is_superuser:
        return queryset
    return queryset.filter(**{f"{event}__in": events_for(user)})


def events_in_reach(user) -> QuerySet:
    """The events `user` may pick in a form or a filter: those of their teams, and for a
    moderator those of their rooms."""
    from events.models import Event

    if _staff(user) and user.is_superuser:
        return Event.objects.all()
    return Event.objects.filter(
        Q(pk__in=events_for(user).values("pk")) | Q(pk__in=rooms_for(user).values("event_id"))
    )


def rooms_in_reach(user) -> QuerySet:
    """The rooms `user` may pick: those of their teams' events, and a moderator's own."""
    from events.models import Room

    if _staff(user) and user.is_superuser:
        return Room.objects.all()
    return Room.objects.filter(
        Q(event__in=events_for(user).values("pk")) | Q(pk__in=rooms_for(user).values("pk"))
    )
