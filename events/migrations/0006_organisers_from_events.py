"""One organiser per distinct organiser name of the events, with the website and the privacy
notice (the latest text, the highest version) of its events."""

from django.db import migrations
from django.utils.text import slugify


def forwards(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    Organiser = apps.get_model("events", "Organiser")
    slugs = set(Organiser.objects.values_list("slug", flat=True))
    for name in Event.objects.order_by().values_list("organiser", flat=True).distinct():
        events = Event.objects.filter(organiser=name).order_by("-updated_at", "-pk")
        base = slugify(name)[:70] or "organiser"
        slug, number = base, 1
        while slug in slugs:
            number += 1
            slug = f"{base}-{number}"
        slugs.add(slug)
        notice = next((event.privacy_notice for event in events if event.privacy_notice), "")
        website = next((event.organiser_url for event in events if event.organiser_url), "")
        organiser = Organiser.objects.create(
            name=name,
            slug=slug,
            website=website,
            privacy_notice=notice,
            privacy_notice_de=notice or None,
            privacy_notice_version=max(event.privacy_notice_version for event in events),
        )
        events.update(organiser_ref=organiser)


def backwards(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    for event in Event.objects.select_related("organiser_ref"):
        organiser = event.organiser_ref
        event.organiser = organiser.name
        event.organiser_url = organiser.website
        event.privacy_notice = organiser.privacy_notice
        event.privacy_notice_version = organiser.privacy_notice_version
        event.save(
            update_fields=[
                "organiser",
                "organiser_url",
                "privacy_notice",
                "privacy_notice_version",
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("events", "0005_organiser")]

    operations = [migrations.RunPython(forwards, backwards)]
