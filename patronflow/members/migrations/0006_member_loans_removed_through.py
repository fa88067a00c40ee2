from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_library_brand_tracking_and_signing"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="loans_removed_through",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
    ]
