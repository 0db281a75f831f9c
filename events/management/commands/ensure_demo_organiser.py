from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from events.demo import DEMO_SLUG
from events.models import Event, Room
from koki.site import absolute_url

ORGANISERS_GROUP = "Organisers"
MODERATORS_GROUP = "Moderators"
DEMO_USERNAME = "organiser"
DEMO_PASSWORD = "koki-demo-organiser"  # noqa: S105 (development only, refused without DEBUG)
DEMO_MODERATOR = "moderator"
DEMO_MODERATOR_PASSWORD = "koki-demo-moderator"  # noqa: S105 (development only, as above)
DEMO_MODERATOR_ROOM = 3


class Command(BaseCommand):
    help = (
        "Development only: make sure an organiser login (in the team of every event) and a "
        "moderator login (room 3 of the demo event) exist, and print them."
    )

    def _user(self, username: str, password: str, group: str):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": True, "email": f"{username}@localhost"}
        )
        if created:
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=group))
        return user, created

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_demo_organiser runs only with DJANGO_DEBUG=1.")
        organiser, created = self._user(DEMO_USERNAME, DEMO_PASSWORD, ORGANISERS_GROUP)
        organiser.koki_events.add(*Event.objects.all())  # the demo organiser runs every event
        unless = "" if created else " (unless you changed it)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Organiser login: {absolute_url('/admin/')}  "
                f"user “{DEMO_USERNAME}”, password “{DEMO_PASSWORD}”{unless}"
            )
        )
        room = Room.objects.filter(event__slug=DEMO_SLUG, number=DEMO_MODERATOR_ROOM).first()
        if room is None:
            return
        moderator, created = self._user(DEMO_MODERATOR, DEMO_MODERATOR_PASSWORD, MODERATORS_GROUP)
        moderator.moderated_rooms.add(room)
        unless = "" if created else " (unless you changed it)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Moderator login (room {DEMO_MODERATOR_ROOM}): user “{DEMO_MODERATOR}”, "
                f"password “{DEMO_MODERATOR_PASSWORD}”{unless}"
            )
        )
