"""The lists' substring search indexes (`?q=`): trigram FTS5 tables kept by triggers on SQLite,
pg_trgm GIN indexes on PostgreSQL; see dealflow/search/substring.py. Filled for the rows that
are already there."""

from django.db import migrations


def install(apps, schema_editor):
    from dealflow.search import substring

    substring.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from dealflow.search import substring

    substring.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("relations", "0003_list_sort_indexes"),
        ("sales", "0008_funnel_indexes"),
        ("activities", "0002_list_indexes"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
