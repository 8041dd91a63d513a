# links_share_owner (and the links) in the indexes the visibility rule is checked in: the list's
# capped count and the owner's activities by due time (the agenda, the overdue view's count, the
# list sorted by owner) read it from the index instead of reading each activity's row.

from django.db import migrations, models


def refresh_sqlite_statistics(apps, schema_editor):
    """SQLite picks indexes by the statistics ANALYZE keeps; give it the new indexes' rows."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE activities_activity")


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_activity_links_share_owner"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                fields=["owner", "done", "starts_at", "links_share_owner", "sale", "company", "person", "project"],
                name="activity_by_owner_due",
            ),
        ),
        migrations.RemoveIndex(
            model_name="activity",
            name="activities__owner_i_55858f_idx",
        ),
        migrations.RemoveIndex(
            model_name="activity",
            name="activity_list_count",
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                fields=["owner", "done", "links_share_owner", "sale", "company", "person", "project"],
                name="activity_list_count",
            ),
        ),
        migrations.RunPython(refresh_sqlite_statistics, migrations.RunPython.noop, elidable=True),
    ]
