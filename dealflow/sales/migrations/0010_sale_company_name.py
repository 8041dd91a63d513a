# The company's name on each sale, kept by triggers (relations/denorm.py), and the index the sales
# list's company sort walks: like the other sort indexes (0009), it carries the owner, the status
# and the reopen date, so the visibility rule and the status filters are checked inside it.

from django.conf import settings
from django.db import migrations, models

from dealflow.relations import denorm


def install(apps, schema_editor):
    """Fill the names of the sales already there, then keep them by triggers."""
    denorm.install_in_migration(schema_editor.connection)


def uninstall(apps, schema_editor):
    denorm.drop_triggers(schema_editor.connection, [denorm.SALES])


def refresh_sqlite_statistics(apps, schema_editor):
    """SQLite picks indexes by the statistics ANALYZE keeps; give it the new index's row."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE sales_sale")


class Migration(migrations.Migration):
    dependencies = [
        ("relations", "0004_person_company_name"),
        ("sales", "0009_sale_list_status_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="sale",
            name="company_name",
            field=models.CharField(blank=True, editable=False, max_length=200, null=True),
        ),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="sale",
            index=models.Index(
                fields=["company_name", "id", "owner", "status", "reopen_date"], name="sale_list_by_company"
            ),
        ),
        migrations.RunPython(refresh_sqlite_statistics, migrations.RunPython.noop, elidable=True),
    ]
