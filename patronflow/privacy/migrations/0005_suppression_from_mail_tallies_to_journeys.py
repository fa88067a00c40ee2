"""The suppression list comes here from mail (its table stays `mail_suppression`), and the
tallies of erased members' mails go to journeys (their table stays `privacy_mailtally`): the
mailability rule reads the list without importing a later stage, and a tally's keys to steps
and variants live with them. Only Django's picture of the models changes, no row moves."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_member_loans_removed_through"),
        ("privacy", "0004_audit_changes"),
        ("mail", "0008_suppression_kept_by_privacy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Suppression",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("email", models.CharField(blank=True, max_length=254)),
                        ("address_ref", models.CharField(max_length=64, verbose_name="address reference")),
                        ("reason", models.CharField(choices=[("hard_bounce", "Hard bounce"), ("soft_bounces", "Repeated soft bounces"), ("complaint", "Spam complaint"), ("manual", "Added by staff")], max_length=16)),
                        ("source_message_id", models.BigIntegerField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("library", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="suppressions", to="members.library")),
                    ],
                    options={
                        "db_table": "mail_suppression",
                        "constraints": [
                            models.UniqueConstraint(fields=("library", "address_ref"), name="suppressed_once_per_library"),
                            models.UniqueConstraint(condition=models.Q(("email", ""), _negated=True), fields=("library", "email"), name="suppressed_address_once_per_library"),
                        ],
                    },
                ),
                migrations.DeleteModel(name="MailTally"),
            ],
            database_operations=[],
        ),
    ]
