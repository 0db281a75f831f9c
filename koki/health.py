"""`/healthz`: whether this app server can do its work, for the proxy and for monitoring.

JSON, never personal data, never cached:

- `database`: "ok" or "unavailable" (a `SELECT 1`);
- `cache`: "ok", "unavailable" (Redis does not answer a PING) or "local" (no REDIS_URL);
- `tasks`: the age in seconds of the oldest task that should have run by now (mails,
  promotions), and how many mails failed for good: `failed_mails` (a registration's mails and
  reminders) and `failed_messages` (messages to attendees), as the organisers' list of failed
  mails shows them (registrations.emails.failed_mails).

Status 200 when the database and the cache answer and no due task has waited longer than
`settings.KOKI_HEALTH_MAX_TASK_AGE` seconds; 503 otherwise, with `failing` naming the parts.
Failed mails are reported but do not make the server unhealthy: organisers see them in the admin.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, Q
from django.http import JsonResponse
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from redis.exceptions import RedisError

from koki.views import DATABASE_ERRORS


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DATABASE_ERRORS:
        return "unavailable"
    return "ok"


def _cache() -> str:
    ping = getattr(cache, "ping", None)
    if ping is None:
        return "local"
    try:
        ping()
    except RedisError:
        return "unavailable"
    return "ok"


def _tasks() -> dict:
    from django_tasks_db.models import DBTaskResult

    from registrations.emails import MESSAGE_MAIL_TASK, failed_mails

    now = timezone.now()
    due = DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lte=now)
    oldest = due.aggregate(oldest=Min("run_after"))["oldest"]
    failed = failed_mails().aggregate(
        messages=Count("pk", filter=Q(task_path=MESSAGE_MAIL_TASK)), all=Count("pk")
    )
    return {
        "oldest_due_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "failed_mails": failed["all"] - failed["messages"],
        "failed_messages": failed["messages"],
    }


@never_cache
@require_safe
def healthz(request):
    report = {"database": _database(), "cache": _cache()}
    failing = [part for part in ("database", "cache") if report[part] == "unavailable"]
    if report["database"] == "ok":
        try:
            report["tasks"] = _tasks()
        except DATABASE_ERRORS:
            report["database"] = "unavailable"
            failing.append("database")
        else:
            if report["tasks"]["oldest_due_seconds"] > settings.KOKI_HEALTH_MAX_TASK_AGE:
                failing.append("tasks")
    report["failing"] = failing
    return JsonResponse(report, status=503 if failing else 200)
