from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

ORGANISERS_GROUP = "Organisers"
DEMO_USERNAME = "organiser"
DEMO_PASSWORD = "koki-demo-organiser"  # noqa: S105 (development only, refused without DEBUG)


class Command(BaseCommand):
    help = "Development only: make sure an organiser login exists, and print it."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_demo_organiser runs only with DJANGO_DEBUG=1.")
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "email": "organiser@localhost"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(Group.objects.get(name=ORGANISERS_GROUP))
        self.stdout.write(
            self.style.SUCCESS(
                f"Organiser login: http://127.0.0.1:8000/admin/  "
                f"user “{DEMO_USERNAME}”, password “{DEMO_PASSWORD}”"
                + ("" if created else " (unless you changed it)")
            )
        )
