import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from events.demo import DEMO_SLUG, demo_event_load


class Command(BaseCommand):
    help = (
        "Load the #KoKI closing event as demo data (idempotent). With --date or --start, an "
        "existing demo event moves there, to try the event day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="Day of the event: YYYY-MM-DD or “today” (default: the next 16 March).",
        )
        parser.add_argument(
            "--start",
            help="Start time HH:MM, local (default 10:00); the programme moves with it.",
        )

    def handle(self, *args, date=None, start=None, **options):
        day = None
        if date == "today":
            day = timezone.localdate()
        elif date:
            try:
                day = dt.date.fromisoformat(date)
            except ValueError as error:
                raise CommandError(f"--date must be YYYY-MM-DD or today, not {date!r}.") from error
        start_time = None
        if start:
            try:
                start_time = dt.time.fromisoformat(start)
            except ValueError as error:
                raise CommandError(f"--start must be HH:MM, not {start!r}.") from error
        event, created = demo_event_load(day=day, start=start_time)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo event “{DEMO_SLUG}”."))
        elif day or start_time:
            self.stdout.write(self.style.SUCCESS(f"Moved the demo event “{DEMO_SLUG}”."))
        else:
            self.stdout.write(f"The demo event “{DEMO_SLUG}” is already there; nothing changed.")
        self.stdout.write(f"  {event.get_absolute_url()}  ({event.local_span()})")
