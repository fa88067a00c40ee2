"""What a `changed` entry is about: the subject changed and, per name, what it was and what
it became (patronflow/audit.py).

On SQLite adding a column rebuilds the table, which drops the triggers that keep the log
append-only (migration 0002): they are made again after the rebuild, both ways."""

from importlib import import_module

from django.db import migrations, models

GUARD = import_module("patronflow.privacy.migrations.0002_erasure_register_loan_history_audit_guard")


def guard_again(apps, schema_editor):
    """The triggers as 0002 made them, whether or not the table kept them (SQLite drops a
    column in place, and rebuilds the table to add one)."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*GUARD.UNGUARD_SQL["sqlite"], *GUARD.GUARD_SQL["sqlite"]]:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0003_tally_members_apart_and_uncertain'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, guard_again),
        migrations.AddField(
            model_name='auditentry',
            name='changes',
            field=models.JSONField(blank=True, default=dict, help_text='Per name changed: [what it was, what it became].'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='subject',
            field=models.CharField(blank=True, help_text='What was changed, e.g. journey welcome.', max_length=200),
        ),
        migrations.RunPython(guard_again, migrations.RunPython.noop),
    ]
