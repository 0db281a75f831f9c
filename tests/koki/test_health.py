"""/healthz: what the proxy and monitoring ask."""

import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db


def task(
    *, status="READY", due_minutes_ago=0, path="registrations.emails.send_registration_mail_task"
):
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {"registration_id": 1, "kind": "received"}},
        task_path=path,
        backend_name="default",
        queue_name="default",
        run_after=timezone.now() - dt.timedelta(minutes=due_minutes_ago),
    )


def test_healthy_server_answers_200_with_each_part(client):
    task(due_minutes_ago=2)
    task(status="FAILED")

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["cache"] in {"ok", "local"}  # Redis in CI's second run, local memory otherwise
    assert body["tasks"]["failed_mails"] == 1
    assert body["tasks"]["failed_messages"] == 0
    assert 110 <= body["tasks"]["oldest_due_seconds"] <= 130
    assert body["failing"] == []
    assert "no-cache" in response["Cache-Control"]


def test_failed_mails_are_the_mail_tasks_that_failed_for_good(client):
    # Failed for good: the last attempt of a registration's mail, a reminder, two messages.
    task(status="FAILED")
    task(status="FAILED", path="registrations.reminders.send_reminder_mail_task")
    task(status="FAILED", path="registrations.mailings.mailing_deliver")
    task(status="FAILED", path="registrations.mailings.mailing_deliver")
    # Not failed mails: attempts that left a retry behind, a retry waiting, another task.
    task(status="SUCCESSFUL")
    task(status="SUCCESSFUL", path="registrations.mailings.mailing_deliver")
    task(due_minutes_ago=-5, path="registrations.mailings.mailing_deliver")
    task(status="FAILED", path="registrations.services.promote_waiting_list_task")

    response = client.get("/healthz")

    assert response.status_code == 200  # failed mails are for the organisers, not the proxy
    assert response.json()["tasks"] == {
        "oldest_due_seconds": 0,
        "failed_mails": 2,
        "failed_messages": 2,
    }


def test_a_task_waiting_too_long_makes_it_unhealthy(client, settings):
    settings.KOKI_HEALTH_MAX_TASK_AGE = 300
    task(due_minutes_ago=6)
    task(due_minutes_ago=-30)  # not due yet: does not count

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["tasks"]


def test_database_down_is_503_naming_it(client, monkeypatch):
    class Down:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("koki.health.connection", Down())

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["failing"], "tasks" in body) == (
        "unavailable",
        ["database"],
        False,
    )


def test_unreachable_redis_is_503_naming_the_cache(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "koki.cache.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["cache"] == "unavailable"
    assert response.json()["failing"] == ["cache"]


def test_only_get_and_head(client):
    assert client.post("/healthz").status_code == 405
