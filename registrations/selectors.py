"""Reads for the registration pages."""

from django.shortcuts import get_object_or_404

from registrations.models import Registration


def registration_get_by_token(*, token: str, status: str = "") -> Registration:
    """The registration behind a secret link (in `status`, if given), else 404."""
    registrations = Registration.objects.select_related("event", "room")
    if status:
        registrations = registrations.filter(status=status)
    return get_object_or_404(registrations, token=token)


def waiting_position(*, registration: Registration) -> int | None:
    """1 for the first person waiting for the room, None when not waiting."""
    if registration.status != Registration.Status.WAITING:
        return None
    ahead = (
        Registration.objects.filter(room_id=registration.room_id)
        .waiting()
        .filter(waiting_since__lt=registration.waiting_since)
        .count()
    )
    return ahead + 1


def registration_data_export(*, registration: Registration) -> dict:
    """Everything stored about the person (DSGVO Art. 15 and 20), as plain JSON types."""

    def iso(value):
        return value.isoformat() if value else None

    return {
        "event": {
            "title": registration.event.title,
            "starts_at": iso(registration.event.starts_at),
            "organiser": registration.event.organiser,
        },
        "registration": {
            "first_name": registration.first_name,
            "last_name": registration.last_name,
            "email": registration.email,
            "organisation": registration.organisation,
            "role": registration.job_role,
            "language": registration.language,
            "status": registration.status,
            "room": {"number": registration.room.number, "name": registration.room.name},
            "registered_at": iso(registration.created_at),
            "consent_at": iso(registration.consent_at),
            "privacy_notice_version": registration.privacy_notice_version,
            "email_confirmed_at": iso(registration.email_confirmed_at),
            "hold_expires_at": iso(registration.expires_at),
            "waiting_since": iso(registration.waiting_since),
            "cancelled_at": iso(registration.cancelled_at),
            "attended_at": iso(registration.attended_at),
            "last_changed_at": iso(registration.updated_at),
        },
    }
