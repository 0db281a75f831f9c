from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Registrations")

    def ready(self) -> None:
        from events.signals import event_schedule_changed, room_capacity_raised
        from registrations import receivers

        room_capacity_raised.connect(
            receivers.promote_after_capacity_raised, dispatch_uid="koki-capacity-raised"
        )
        event_schedule_changed.connect(
            receivers.schedule_reminders, dispatch_uid="koki-schedule-reminders"
        )
