# The company's account type on each sale, kept by triggers (relations/denorm.py, like the company's
# name of 0010), and the indexes the win/loss report reads it from with the rest: it joined every
# closed sale of the period to its company (280-350 ms for a team's year, seconds for everyone's).
# sale_report_closed gains it (a team's report: one range per owner); sale_report_by_closed_date
# serves everyone's (an administrator's), which read every owner's entries of sale_report_closed.

from django.conf import settings
from django.db import migrations, models

from dealflow.relations import denorm


def install(apps, schema_editor):
    """Fill the account types of the sales already there, then keep them by triggers."""
    denorm.install_in_migration(schema_editor.connection)


def uninstall(apps, schema_editor):
    denorm.drop_triggers(schema_editor.connection, [denorm.SALE_ACCOUNT_TYPES])


def refresh_sqlite_statistics(apps, schema_editor):
    """SQLite picks indexes by the statistics ANALYZE keeps; give it the new index's rows."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE sales_sale")


class Migration(migrations.Migration):
    dependencies = [
        ("relations", "0004_person_company_name"),
        ("sales", "0012_sale_by_company_date"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="sale",
            name="account_type",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=models.deletion.DO_NOTHING,
                related_name="+",
                to="relations.accounttype",
            ),
        ),
        migrations.RunPython(install, uninstall),
        migrations.RemoveIndex(model_name="sale", name="sale_report_closed"),
        migrations.AddIndex(
            model_name="sale",
            index=models.Index(
                fields=[
                    "owner",
                    "status",
                    "closed_date",
                    "close_reason",
                    "competitor",
                    "pipeline",
                    "amount",
                    "account_type",
                ],
                name="sale_report_closed",
            ),
        ),
        migrations.AddIndex(
            model_name="sale",
            index=models.Index(
                fields=[
                    "status",
                    "closed_date",
                    "owner",
                    "pipeline",
                    "close_reason",
                    "competitor",
                    "account_type",
                    "amount",
                ],
                name="sale_report_by_closed_date",
            ),
        ),
        migrations.RunPython(refresh_sqlite_statistics, migrations.RunPython.noop, elidable=True),
    ]
