# The closing column's index by owner first (one short range per owner) and with the id, so
# that PostgreSQL reads the recently closed cards from the index alone.

from django.conf import settings
from django.db import migrations, models


def refresh_sqlite_statistics(apps, schema_editor):
    """SQLite picks indexes by the statistics ANALYZE keeps; without a row for the new index it
    would prefer it for the regular columns too and sort them instead of walking sale_board_column."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE sales_sale")


class Migration(migrations.Migration):
    dependencies = [
        ("relations", "0002_accounttype_pipeline_accounttype_won_account_type_and_more"),
        ("sales", "0005_sale_totals_report_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="sale",
            name="sale_board_closed",
        ),
        migrations.AddIndex(
            model_name="sale",
            index=models.Index(
                fields=["phase", "owner", "status", "closed_date", "amount", "probability", "sale_date", "id"],
                name="sale_board_closed",
            ),
        ),
        migrations.RunPython(refresh_sqlite_statistics, migrations.RunPython.noop, elidable=True),
    ]
