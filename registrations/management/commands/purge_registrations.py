from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registrations.purge import (
    finished_tasks_due_for_purge,
    registrations_due_for_purge,
    registrations_purge,
    task_results_purge,
)


class Command(BaseCommand):
    help = (
        "Anonymise the personal data of registrations KOKI_PURGE_AFTER_DAYS days after their "
        "event ended, delete finished mail tasks as old and expired sessions. Keeps the counts "
        "(room, status, timestamps). Safe to run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Days after the event's end (default: KOKI_PURGE_AFTER_DAYS, "
            f"now {settings.KOKI_PURGE_AFTER_DAYS}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be anonymised."
        )

    def handle(self, *args, days=None, dry_run=False, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        if dry_run:
            count = registrations_due_for_purge(days=days).count()
            tasks = finished_tasks_due_for_purge(days=days).count()
            self.stdout.write(
                f"Would anonymise {count} registration(s) and delete {tasks} finished task(s)."
            )
            return
        count = registrations_purge(days=days)
        tasks = task_results_purge(days=days)
        # Expired sessions can still hold an address (the "we sent you a mail" page reads it).
        import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
        self.stdout.write(
            self.style.SUCCESS(
                f"Anonymised {count} registration(s), deleted {tasks} finished task(s)."
            )
        )
