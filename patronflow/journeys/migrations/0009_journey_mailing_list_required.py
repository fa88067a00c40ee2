"""Every journey has its list since 0008: the field is required from now on."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0008_journey_mailing_list"),
    ]

    operations = [
        migrations.AlterField(
            model_name="journey",
            name="mailing_list",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="journeys",
                to="choices.mailinglist",
            ),
        ),
    ]
