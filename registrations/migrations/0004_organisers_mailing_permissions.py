"""Give the "Organisers" group the permissions for messages to attendees (0003_mailing)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Organisers"
MODELS = ["mailing", "mailingrecipient"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("registrations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="registrations", content_type__model__in=MODELS
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="registrations", content_type__model__in=MODELS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0002_organisers_group"),
        ("registrations", "0003_mailing"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
