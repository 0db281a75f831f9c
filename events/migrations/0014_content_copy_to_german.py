"""The texts entered before content had languages are the German ones: copy each into its
_de column (where that is still empty). Backwards: nothing to undo (the columns go with 0013)."""

from django.db import migrations
from django.db.models import F, Q

FIELDS = {
    "event": ("title", "subtitle", "description", "source_note"),
    "agendaitem": ("title", "description"),
    "room": ("name", "topic"),
    "speaker": ("role", "affiliation", "bio"),
}


def copy_to_german(apps, schema_editor):
    for model_name, fields in FIELDS.items():
        model = apps.get_model("events", model_name)
        for name in fields:
            german = f"{name}_de"
            empty = Q(**{f"{german}__isnull": True}) | Q(**{german: ""})
            model.objects.filter(empty).update(**{german: F(name)})


class Migration(migrations.Migration):
    dependencies = [("events", "0013_content_in_german_and_english")]

    operations = [migrations.RunPython(copy_to_german, migrations.RunPython.noop)]
