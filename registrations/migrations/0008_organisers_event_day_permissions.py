"""Give the "Organisers" group the permissions for the event day (0007_event_day and
events 0004_event_day): reminders, attendance, reminders sent."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Organisers"
MODELS = {"events": ["reminder"], "registrations": ["attendance", "reminderdelivery"]}


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return [
        permission
        for app_label, models in MODELS.items()
        for permission in Permission.objects.filter(
            content_type__app_label=app_label, content_type__model__in=models
        )
    ]


def grant(apps, schema_editor):
    for app_label in MODELS:
        app_config = apps.get_app_config(app_label)
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
        ("events", "0004_event_day"),
        ("registrations", "0007_event_day"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
