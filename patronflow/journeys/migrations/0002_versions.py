"""Journeys get versions, a lifecycle, saved segments and a progress pointer per enrolment.

Each existing journey becomes version 1 of itself, with its entry rule written as conditions;
active enrolments get the step that comes next and the day it is due.
"""

import datetime as dt

import django.db.models.deletion
from django.db import migrations, models


def _entry(journey) -> dict:
    if journey.entry_rule == "new_member":
        return {"registered_within_days": journey.entry_days}
    return {"inactive_for_days": journey.entry_days}


def to_versions(apps, schema_editor):
    Journey = apps.get_model("journeys", "Journey")
    Version = apps.get_model("journeys", "Version")
    Step = apps.get_model("journeys", "Step")
    Enrolment = apps.get_model("journeys", "Enrolment")
    Message = apps.get_model("mail", "Message")
    for journey in Journey.objects.all():
        version = Version.objects.create(
            journey=journey,
            number=1,
            entry=_entry(journey),
            exit_when=["came_back"] if journey.exit_on_return else [],
        )
        journey.status = "active" if journey.is_active else "paused"
        journey.save(update_fields=["status"])
        Step.objects.filter(journey=journey).update(version=version)
        Enrolment.objects.filter(journey=journey).update(version=version)
        steps = list(Step.objects.filter(journey=journey).order_by("position"))
        for enrolment in Enrolment.objects.filter(journey=journey, status="active"):
            queued = list(
                Message.objects.filter(enrolment=enrolment)
                .order_by("step__position")
                .values_list("step__position", "due_on")
            )
            last_position, last_due = queued[-1] if queued else (0, None)
            upcoming = [step for step in steps if step.position > last_position]
            if not upcoming:
                continue
            step = upcoming[0]
            due = enrolment.entered_on + dt.timedelta(days=step.wait_days)
            if last_due:
                previous = next(s for s in steps if s.position == last_position)
                due = max(due, last_due + dt.timedelta(days=step.wait_days - previous.wait_days))
            enrolment.next_position = step.position
            enrolment.next_due_on = due
            enrolment.save(update_fields=["next_position", "next_due_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0001_initial"),
        ("mail", "0001_initial"),
        ("members", "0003_fewer_redundant_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="Version",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("entry", models.JSONField(default=dict, help_text="Conditions a member must meet to enter (see audiences.py).")),
                ("exit_when", models.JSONField(default=list, help_text="Extra reasons to leave; unsubscribing, an ended membership and no longer being mailable always end a journey.")),
                ("reentry_after_days", models.PositiveIntegerField(blank=True, help_text="Empty: a member enters once, ever.", null=True)),
                ("holdout_percent", models.PositiveSmallIntegerField(default=0, help_text="Share of entrants enrolled but never mailed, for comparison.")),
                ("send_at", models.DateTimeField(blank=True, help_text="Broadcasts: when the audience enters.", null=True)),
                ("entry_closed_at", models.DateTimeField(blank=True, editable=False, help_text="Broadcasts: when the audience entered.", null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("journey", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="versions", to="journeys.journey")),
            ],
            options={"ordering": ["journey", "number"]},
        ),
        migrations.AddConstraint(
            model_name="version",
            constraint=models.UniqueConstraint(fields=("journey", "number"), name="version_number_unique"),
        ),
        migrations.CreateModel(
            name="SavedSegment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.SlugField()),
                ("name", models.CharField(max_length=200)),
                ("conditions", models.JSONField(default=dict)),
                ("library", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="segments", to="members.library")),
            ],
            options={"ordering": ["library", "key"]},
        ),
        migrations.AddConstraint(
            model_name="savedsegment",
            constraint=models.UniqueConstraint(fields=("library", "key"), name="segment_key_unique"),
        ),
        migrations.AddField(
            model_name="journey",
            name="kind",
            field=models.CharField(choices=[("journey", "Journey"), ("broadcast", "Broadcast")], default="journey", max_length=10),
        ),
        migrations.AddField(
            model_name="journey",
            name="status",
            field=models.CharField(choices=[("draft", "Draft"), ("active", "Active"), ("paused", "Paused"), ("archived", "Archived")], default="draft", max_length=10),
        ),
        migrations.AddField(
            model_name="step",
            name="version",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="steps", to="journeys.version"),
        ),
        migrations.AddField(
            model_name="step",
            name="wait_from",
            field=models.CharField(choices=[("entry", "After entering the journey"), ("previous", "After the previous mail")], default="entry", max_length=8),
        ),
        migrations.AddField(
            model_name="enrolment",
            name="version",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="enrolments", to="journeys.version"),
        ),
        migrations.AddField(
            model_name="enrolment",
            name="held_out",
            field=models.BooleanField(default=False, help_text="In the control group: walks the journey but is never mailed."),
        ),
        migrations.AddField(
            model_name="enrolment",
            name="next_position",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="enrolment",
            name="next_due_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(to_versions, elidable=False),
        migrations.RemoveConstraint(model_name="step", name="step_position_unique"),
        migrations.RemoveField(model_name="step", name="journey"),
        migrations.AlterField(
            model_name="step",
            name="version",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="steps", to="journeys.version"),
        ),
        migrations.AlterModelOptions(name="step", options={"ordering": ["version", "position"]}),
        migrations.AddConstraint(
            model_name="step",
            constraint=models.UniqueConstraint(fields=("version", "position"), name="step_position_unique"),
        ),
        migrations.RemoveConstraint(model_name="enrolment", name="enrolment_unique"),
        migrations.RemoveIndex(model_name="enrolment", name="journeys_en_journey_1a765b_idx"),
        migrations.AlterField(
            model_name="enrolment",
            name="version",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="enrolments", to="journeys.version"),
        ),
        migrations.AlterField(
            model_name="enrolment",
            name="exit_reason",
            field=models.CharField(blank=True, choices=[("came_back", "Came back (loan or visit)"), ("online_profile", "Created an online profile"), ("bounced", "Address bounced"), ("unsubscribed", "Unsubscribed"), ("membership_ended", "Membership ended"), ("ineligible", "No longer eligible for mail"), ("archived", "Journey archived")], max_length=20),
        ),
        migrations.AddConstraint(
            model_name="enrolment",
            constraint=models.UniqueConstraint(condition=models.Q(("status", "active")), fields=("journey", "member"), name="enrolment_active_unique"),
        ),
        migrations.RemoveField(model_name="journey", name="entry_rule"),
        migrations.RemoveField(model_name="journey", name="entry_days"),
        migrations.RemoveField(model_name="journey", name="exit_on_return"),
        migrations.RemoveField(model_name="journey", name="is_active"),
        migrations.AlterField(model_name="step", name="wait_days", field=models.PositiveIntegerField()),
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(fields=["journey", "status", "next_due_on"], name="journeys_en_journey_11491a_idx"),
        ),
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(fields=["member", "journey"], name="journeys_en_member__03a219_idx"),
        ),
    ]
