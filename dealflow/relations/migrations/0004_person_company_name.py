# The company's name on each person, kept by triggers (relations/denorm.py), and the index the
# person list's company sort walks.

from django.conf import settings
from django.db import migrations, models

from dealflow.relations import denorm


def install(apps, schema_editor):
    """Fill the names of the persons already there, then keep them by triggers."""
    denorm.install_in_migration(schema_editor.connection)


def uninstall(apps, schema_editor):
    denorm.drop_triggers(schema_editor.connection)


def refresh_sqlite_statistics(apps, schema_editor):
    """SQLite picks indexes by the statistics ANALYZE keeps; give it the new index's row."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE relations_person")


class Migration(migrations.Migration):
    dependencies = [
        ("relations", "0003_list_sort_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="company_name",
            field=models.CharField(blank=True, editable=False, max_length=200, null=True),
        ),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                fields=["company_name", "last_name", "id", "owner", "archived"], name="person_list_by_company"
            ),
        ),
        migrations.RunPython(refresh_sqlite_statistics, migrations.RunPython.noop, elidable=True),
    ]
