"""The erasure register, a per-library loan history, and the audit log guarded by the
database itself: UPDATE is always refused, DELETE only passes inside the retention purge
(privacy.models.audit_maintenance). PostgreSQL: a trigger that reads the transaction-local
setting patronflow.audit_maintenance. SQLite, which has no such setting: triggers that read
privacy_auditmaintenance, a table that holds a row only inside the purge's transaction.

SQLite drops a table's triggers when Django rebuilds the table: a later migration that
alters AuditEntry must run GUARD_SQL["sqlite"] again (docs/privacy.md)."""

import django.db.models.deletion
from django.db import migrations, models

GUARD_SQL = {
    "postgresql": [
        """
        CREATE FUNCTION privacy_auditentry_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE'
                    AND current_setting('patronflow.audit_maintenance', true) = 'on' THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'privacy_auditentry is append-only: % refused', TG_OP
                USING HINT = 'Audit entries only leave through patronflow purge.';
        END
        $$
        """,
        """
        CREATE TRIGGER privacy_auditentry_append_only
        BEFORE UPDATE OR DELETE ON privacy_auditentry
        FOR EACH ROW EXECUTE FUNCTION privacy_auditentry_append_only()
        """,
    ],
    "sqlite": [
        """
        CREATE TRIGGER privacy_auditentry_no_update BEFORE UPDATE ON privacy_auditentry
        BEGIN
            SELECT RAISE(ABORT, 'privacy_auditentry is append-only: UPDATE refused');
        END
        """,
        """
        CREATE TRIGGER privacy_auditentry_no_delete BEFORE DELETE ON privacy_auditentry
        WHEN NOT EXISTS (SELECT 1 FROM privacy_auditmaintenance)
        BEGIN
            SELECT RAISE(ABORT, 'privacy_auditentry is append-only: DELETE refused');
        END
        """,
    ],
}
UNGUARD_SQL = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS privacy_auditentry_append_only ON privacy_auditentry",
        "DROP FUNCTION IF EXISTS privacy_auditentry_append_only()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS privacy_auditentry_no_update",
        "DROP TRIGGER IF EXISTS privacy_auditentry_no_delete",
    ],
}


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0006_member_loans_removed_through'),
        ('privacy', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditMaintenance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('opened_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.AddField(
            model_name='retentionpolicy',
            name='loan_history_months',
            field=models.PositiveSmallIntegerField(default=36, help_text="Loans older than this many months go; never shorter than the reading profile's window."),
        ),
        migrations.CreateModel(
            name='ErasedMember',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('member_ref', models.CharField(max_length=64, verbose_name='member reference')),
                ('erased_on', models.DateField()),
                ('last_listed_on', models.DateField()),
                ('library', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='erased_members', to='members.library')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('library', 'member_ref'), name='erased_once_per_library')],
            },
        ),
        migrations.RunPython(_run(GUARD_SQL), _run(UNGUARD_SQL)),
    ]
