"""The tallies of erased members' mails come here from privacy, beside the steps and variants
they count (the table stays `privacy_mailtally`: no row moves)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0004_journey_pause_reason"),
        ("members", "0006_member_loans_removed_through"),
        ("privacy", "0005_suppression_from_mail_tallies_to_journeys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MailTally",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("week", models.DateField(help_text="The Monday of the week the mails were sent.")),
                        ("sent", models.PositiveIntegerField(default=0)),
                        ("uncertain", models.PositiveIntegerField(default=0)),
                        ("opened", models.PositiveIntegerField(default=0)),
                        ("human_opened", models.PositiveIntegerField(default=0)),
                        ("clicked", models.PositiveIntegerField(default=0)),
                        ("human_clicked", models.PositiveIntegerField(default=0)),
                        ("unsubscribed", models.PositiveIntegerField(default=0)),
                        ("thumbs_up", models.PositiveIntegerField(default=0)),
                        ("thumbs_down", models.PositiveIntegerField(default=0)),
                        ("library", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="mail_tallies", to="members.library")),
                        ("step", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="tallies", to="journeys.step")),
                        ("variant", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="tallies", to="journeys.variant")),
                    ],
                    options={
                        "db_table": "privacy_mailtally",
                        "constraints": [
                            models.UniqueConstraint(fields=("library", "step", "variant", "week"), name="tally_once_per_week"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
