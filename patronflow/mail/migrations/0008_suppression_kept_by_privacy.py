"""The suppression list moves to privacy, whose mailability rule reads it (the table stays
`mail_suppression`: only Django's picture of the models changes, no row moves)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0007_message_handed_over_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Suppression")],
            database_operations=[],
        ),
    ]
