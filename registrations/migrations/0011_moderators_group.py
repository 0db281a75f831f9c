"""Create the "Moderators" group: the people who run a break-out room. They see their rooms'
registrations (read only), mark attendance and write to their rooms' attendees; which rooms is
Room.moderator_accounts (registrations.permissions)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    "view_registration",
    "view_mailing",
    "view_mailingrecipient",
    "add_mailing",
    "change_mailing",
    "delete_mailing",
]


def create_group(apps, schema_editor):
    app_config = apps.get_app_config("registrations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="registrations", codename__in=PERMISSIONS
        )
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("events", "0011_event_team_room_moderator_accounts"),
        ("registrations", "0010_answers"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
