"""A variant's content is stored once, as blocks: each body (and its reading tips switch) is
converted by templating/blocks.py from_html, which renders the same mail (what cannot be read
as blocks stays an HTML block); going back writes the body from the blocks."""

from django.db import migrations, models

from patronflow.templating.blocks import from_html, has_reading_tips, normalised, to_template


def to_blocks(apps, schema_editor):
    Variant = apps.get_model("journeys", "Variant")
    for variant in Variant.objects.all().only("pk", "body", "with_reading_tips").iterator():
        blocks = from_html(variant.body)
        if variant.with_reading_tips:
            blocks += normalised([{"type": "reading_tips"}])
        Variant.objects.filter(pk=variant.pk).update(blocks=blocks)


def to_body(apps, schema_editor):
    Variant = apps.get_model("journeys", "Variant")
    for variant in Variant.objects.all().only("pk", "blocks").iterator():
        blocks = variant.blocks or []
        Variant.objects.filter(pk=variant.pk).update(
            body=to_template([block for block in blocks if block.get("type") != "reading_tips"]),
            with_reading_tips=has_reading_tips(blocks),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0006_approvals_and_templates"),
    ]

    operations = [
        migrations.AddField(
            model_name="variant",
            name="blocks",
            field=models.JSONField(
                default=list, help_text="The mail's content as blocks (templating/blocks.py)."
            ),
        ),
        migrations.RunPython(to_blocks, to_body),
        migrations.RemoveField(model_name="variant", name="body"),
        migrations.RemoveField(model_name="variant", name="with_reading_tips"),
    ]
