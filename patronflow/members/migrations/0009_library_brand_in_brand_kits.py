"""A library's brand colour and logo address live in its brand kit (mail/brand.py); the kits
took them over in mail 0010, which runs first."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0008_member_last_loan_on"),
        ("mail", "0010_brand_kit"),
    ]

    operations = [
        migrations.RemoveField(model_name="library", name="brand_colour"),
        migrations.RemoveField(model_name="library", name="logo_url"),
    ]
