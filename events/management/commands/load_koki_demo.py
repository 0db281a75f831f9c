import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from events.demo import DEMO_SLUG, demo_event_load


class Command(BaseCommand):
    help = "Load the #KoKI closing event as demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="Day of the event as YYYY-MM-DD (default: the next 16 March).",
        )

    def handle(self, *args, date=None, **options):
        day = None
        if date:
            try:
                day = dt.date.fromisoformat(date)
            except ValueError as error:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}.") from error
        event, created = demo_event_load(day=day)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo event “{DEMO_SLUG}”."))
        else:
            self.stdout.write(f"The demo event “{DEMO_SLUG}” is already there; nothing changed.")
        self.stdout.write(f"  {event.get_absolute_url()}")
