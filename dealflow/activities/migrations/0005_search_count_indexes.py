# The counts of the activity list's search read indexes instead of rows: a floor under the count
# reads the subject from a new index (selectors.activity_count_floor), and the company's index
# carries the owner and the visibility rule's columns (a company name's matches are counted
# through the matching companies).

from django.db import migrations, models


def refresh_sqlite_statistics(apps, schema_editor):
    """SQLite picks indexes by the statistics ANALYZE keeps; give it the new indexes' rows."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE activities_activity")


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0004_links_share_owner_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="activity",
            name="activities__company_ed92a2_idx",
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                fields=["company", "done", "starts_at", "owner", "links_share_owner", "sale", "person", "project"],
                name="activity_by_company_due",
            ),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                fields=["owner", "done", "links_share_owner", "subject", "kind", "starts_at"],
                name="activity_search_floor",
            ),
        ),
        migrations.RunPython(refresh_sqlite_statistics, migrations.RunPython.noop, elidable=True),
    ]
