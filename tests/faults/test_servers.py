"""Two app servers and two task workers on one PostgreSQL and one Redis, as in production.

A registration rush alternates between the servers (form from one, submission to the other);
the rooms fill up and their waiting lists with them. Afterwards: no room holds more than it has,
every accepted registration is stored exactly once, every mail arrived exactly once although
two workers drained the queue, and an organiser's change on one server shows on the other at
the next request (docs/organisers.md: "on the next request"; events/cache.py).
"""

import html
import time
from collections import Counter

import pytest

from tests.faults import audit
from tests.faults.organiser import Organiser
from tests.faults.rush import Rush
from tests.faults.stack import SLUG
from tests.live import Visitor

pytestmark = pytest.mark.faults

ATTENDEES = 200
CAPACITY, WAITING_LIST = 10, 10  # 8 rooms: 80 seats and 80 waiting places for 200 attendees
PLACES = 8 * (CAPACITY + WAITING_LIST)


def test_two_servers_two_workers_share_seats_mails_and_changes(stack):
    stack.set_capacities(capacity=CAPACITY, waiting_list_size=WAITING_LIST)
    started = time.monotonic()
    stack.start(servers=2, processes=2, workers=2)
    print(f"two servers and two workers up in {time.monotonic() - started:.1f} s")
    server_a, server_b = stack.servers

    result = Rush(stack.servers, attendees=ATTENDEES, concurrency=16).run()
    accepted_by = Counter(result.accepted.values())
    print(f"rush: {len(result.accepted)} accepted in {result.seconds:.1f} s {dict(accepted_by)}")

    # Every attendee got an answer: a place, or the news that everything is full.
    assert result.unexpected == []
    assert result.gave_up == {}
    assert (result.unavailable, result.broken) == ([], [])
    assert set(result.statuses) <= {200, 302}
    assert len(result.accepted) == PLACES
    assert len(result.refused) == ATTENDEES - PLACES
    assert set(accepted_by) == {"A", "B"}
    # No room over its seats or waiting list; all of them used.
    rooms = stack.query(audit.rooms)
    assert [room for room in rooms if room.over] == []
    assert [(r.held, r.waiting) for r in rooms] == [(CAPACITY, WAITING_LIST)] * 8
    # Every accepted registration stored exactly once, and nothing else.
    assert stack.query(audit.stored) == Counter(dict.fromkeys(result.accepted, 1))

    # Both workers sent mails, and each mail arrived exactly once.
    mail_seconds = stack.wait_for_mails(timeout=90)
    assert stack.mail.per_recipient() == Counter(dict.fromkeys(result.accepted, 1))
    title = stack.query(audit.event_title)
    assert {subject for _, subject in stack.mail.per_message()} == {f"Ihre Anmeldung: {title}"}
    assert stack.query(audit.mail_tasks) == {"SUCCESSFUL": PLACES}
    assert stack.query(audit.mails_reported_sent) == PLACES
    assert len(stack.query(audit.mail_workers)) == 2, "both workers took mails"
    print(f"mails: {PLACES} sent by two workers, the last {mail_seconds:.1f} s after the rush")

    # An organiser's change on server A shows on server B at the next request.
    visitor = Visitor(server_b.url, timeout=10)
    assert f"<h1>{html.escape(title)}" in visitor.get(f"/events/{SLUG}/").body  # B's cache warm
    organiser = Organiser(server_a.url, timeout=30)
    assert organiser.log_in().path == "/admin/"
    event_id = stack.query(
        lambda db: db.execute("SELECT id FROM events_event WHERE slug = %s", [SLUG]).fetchone()[0]
    )
    new_title = "KoKI-Abschlussveranstaltung, neuer Titel"
    saved = organiser.change_event(event_id, title_de=new_title)
    saved_at = time.monotonic()
    assert (saved.status, saved.path) == (200, "/admin/events/event/")
    assert stack.query(audit.event_title) == new_title
    page = visitor.get(f"/events/{SLUG}/")
    print(f"the change showed on server B {time.monotonic() - saved_at:.3f} s after A saved it")
    assert f"<h1>{new_title}" in page.body
    assert title not in page.body
    assert new_title in visitor.get(f"/events/{SLUG}/register/").body

    assert stack.server_errors() == []
