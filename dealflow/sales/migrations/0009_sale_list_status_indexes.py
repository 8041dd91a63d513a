# The sales list filtered by status. Its sort indexes carry the status and the reopen date, so a
# page is found from the index alone: closed sales have the oldest sale dates, and sorted newest
# first, "sold" read ~73k rows from the table before its first page. sale_list_status counts the
# (capped) matches from one range per owner instead of reading every visible sale.

from django.conf import settings
from django.db import migrations, models


def refresh_sqlite_statistics(apps, schema_editor):
    """SQLite picks indexes by the statistics ANALYZE keeps; give it the new indexes' rows."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE sales_sale")


SORTS = {
    "sale_list_by_date": "sale_date",
    "sale_list_by_amount": "amount",
    "sale_list_by_created": "created_at",
    "sale_list_by_title": "title",
}


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0008_funnel_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *(migrations.RemoveIndex(model_name="sale", name=name) for name in SORTS),
        *(
            migrations.AddIndex(
                model_name="sale",
                index=models.Index(fields=[column, "id", "owner", "status", "reopen_date"], name=name),
            )
            for name, column in SORTS.items()
        ),
        migrations.AddIndex(
            model_name="sale",
            index=models.Index(fields=["owner", "status", "pipeline", "reopen_date"], name="sale_list_status"),
        ),
        migrations.RunPython(refresh_sqlite_statistics, migrations.RunPython.noop, elidable=True),
    ]
