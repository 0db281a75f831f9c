"""Give the "Organisers" group the permissions for the registration form's questions
(0005_questions)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Organisers"
MODELS = ["question", "questionchoice"]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="events", content_type__model__in=MODELS
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
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0009_questions"),
        ("registrations", "0002_organisers_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
