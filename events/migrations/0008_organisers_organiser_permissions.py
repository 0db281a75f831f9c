"""Give the "Organisers" group the permissions for organisers (their legal pages and mail
sender), as it has them for events."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Organisers"


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="events", content_type__model="organiser"
    )


def grant(apps, schema_editor):
    app_config = apps.get_app_config("events")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0007_event_organiser_fk"),
        ("registrations", "0008_organisers_event_day_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
