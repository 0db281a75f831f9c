import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("events", "0006_organisers_from_events")]

    operations = [
        # Blank first, so that going back can add the column again before 0006 fills it.
        migrations.AlterField(
            model_name="event",
            name="organiser",
            field=models.CharField(blank=True, max_length=200, verbose_name="organiser"),
        ),
        migrations.RemoveField(model_name="event", name="organiser"),
        migrations.RemoveField(model_name="event", name="organiser_url"),
        migrations.RemoveField(model_name="event", name="privacy_notice"),
        migrations.RemoveField(model_name="event", name="privacy_notice_version"),
        migrations.RenameField(model_name="event", old_name="organiser_ref", new_name="organiser"),
        migrations.AlterField(
            model_name="event",
            name="organiser",
            field=models.ForeignKey(
                help_text="Their legal notice, privacy notice and contact apply to the event.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="events.organiser",
                verbose_name="organiser",
            ),
        ),
    ]
