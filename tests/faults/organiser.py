"""An organiser in the admin of one app server, over HTTP: logs in, changes the event."""

import urllib.parse
import urllib.request

from events.management.commands.ensure_demo_organiser import DEMO_PASSWORD, DEMO_USERNAME
from tests.live import Answer, Visitor
from tests.registrations.admin_helpers import form_data


class Organiser(Visitor):
    def log_in(self) -> Answer:
        self.get("/admin/login/")
        return self.post(
            "/admin/login/?next=/admin/",
            {"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "next": "/admin/"},
        )

    def change_event(self, event_id: int, **fields: str) -> Answer:
        """The event's change form as the admin shows it, sent back with `fields` changed
        (its inlines and every other field as they were)."""
        path = f"/admin/events/event/{event_id}/change/"
        values = form_data(self.get(path).body, "event_form")
        values |= {name: [value] for name, value in fields.items()}
        body = urllib.parse.urlencode(values, doseq=True).encode()
        return self._open(urllib.request.Request(self.base_url + path, data=body, method="POST"))
