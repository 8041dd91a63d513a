"""The search index and the triggers that keep it current (FTS5 on SQLite, tsvector + GIN on
PostgreSQL); see dealflow/search/schema.py."""

from django.db import migrations


def install(apps, schema_editor):
    from dealflow.search import schema

    schema.ensure_installed(schema_editor.connection)
    schema.rebuild(schema_editor.connection)


def uninstall(apps, schema_editor):
    from dealflow.search import schema

    schema.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("relations", "0002_accounttype_pipeline_accounttype_won_account_type_and_more"),
        ("sales", "0002_sale_forecast_category"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
