# Whether every linked record has the activity's owner, kept by triggers (activities/denorm.py),
# so that the visibility rule checks the links' owners only where it is false.

from django.db import migrations, models

from dealflow.activities import denorm


def install(apps, schema_editor):
    """Correct the flags of the activities already there, then keep them by triggers."""
    denorm.install_in_migration(schema_editor.connection)


def uninstall(apps, schema_editor):
    denorm.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_list_indexes"),
    ]

    operations = [
        # The rows already there start true (nearly all are: PostgreSQL adds such a column without
        # writing a row, SQLite writes it in the copy its table rebuild makes anyway), so `install`
        # writes only those whose links have other owners: writing every row took PostgreSQL over
        # 20 minutes on 3M activities (15 indexes, two of them trigram). The model's default is
        # false, the safe value while no trigger is there (the links are then checked one by one).
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddField(
                    model_name="activity",
                    name="links_share_owner",
                    field=models.BooleanField(default=True, editable=False),
                ),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="activity",
                    name="links_share_owner",
                    field=models.BooleanField(default=False, editable=False),
                ),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
