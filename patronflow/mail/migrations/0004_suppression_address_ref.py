"""Suppressions get their address as a keyed hash, so that an erased member's address can
leave the list in clear while it still stops mail (docs/privacy.md)."""

from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac

# The same key as privacy.rules.address_reference (a migration keeps its own copy).
ADDRESS_KEY_SALT = "patronflow.privacy.suppression.address"


def hash_addresses(apps, schema_editor):
    Suppression = apps.get_model("mail", "Suppression")
    for row in Suppression.objects.all().only("pk", "email").iterator():
        value = row.email.strip().lower()
        reference = salted_hmac(
            ADDRESS_KEY_SALT, value, settings.SECRET_KEY, algorithm="sha256"
        ).hexdigest()
        Suppression.objects.filter(pk=row.pk).update(address_ref=reference)


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0003_outbox_leases_bounces_suppressions"),
    ]

    operations = [
        migrations.AddField(
            model_name="suppression",
            name="address_ref",
            field=models.CharField(default="", max_length=64, verbose_name="address reference"),
            preserve_default=False,
        ),
        migrations.RunPython(hash_addresses, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="suppression",
            name="email",
            field=models.CharField(blank=True, max_length=254),
        ),
        migrations.RemoveConstraint(
            model_name="suppression",
            name="suppressed_once_per_library",
        ),
        migrations.AddConstraint(
            model_name="suppression",
            constraint=models.UniqueConstraint(
                fields=("library", "address_ref"), name="suppressed_once_per_library"
            ),
        ),
        migrations.AddConstraint(
            model_name="suppression",
            constraint=models.UniqueConstraint(
                condition=models.Q(("email", ""), _negated=True),
                fields=("library", "email"),
                name="suppressed_address_once_per_library",
            ),
        ),
    ]
