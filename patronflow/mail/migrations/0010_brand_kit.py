"""The brand kit (mail/brand.py), with each library's brand colour and logo address moved
in from the library's settings: every library's mails look as they did. A library on the
default colour keeps no colour of its own, so the network's default (the same colour until an
admin changes it) applies there.

Rolled back, each library gets back the colour and logo its mails wore: its own kit's, else
the network's, else the old default colour. Members 0009, which depends on this migration,
is rolled back first and so has given the library its columns again."""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models

from patronflow.mail.images import image_url

OLD_DEFAULT_COLOUR = "#1f5f8b"


def move_brands_into_kits(apps, schema_editor):
    Library = apps.get_model("members", "Library")
    BrandKit = apps.get_model("mail", "BrandKit")
    kits = []
    for library in Library.objects.only("pk", "brand_colour", "logo_url").iterator():
        colour = (library.brand_colour or "").lower()
        colour = "" if colour == OLD_DEFAULT_COLOUR else colour
        if colour or library.logo_url:
            kits.append(BrandKit(library_id=library.pk, colour=colour, logo_url=library.logo_url))
    BrandKit.objects.bulk_create(kits, batch_size=500)


def move_brands_back_onto_libraries(apps, schema_editor):
    Library = apps.get_model("members", "Library")
    BrandKit = apps.get_model("mail", "BrandKit")
    network = BrandKit.objects.filter(library=None).select_related("logo").first()
    own = {
        kit.library_id: kit for kit in BrandKit.objects.exclude(library=None).select_related("logo")
    }
    libraries = list(Library.objects.only("pk", "brand_colour", "logo_url"))
    for library in libraries:
        kits = [kit for kit in (own.get(library.pk), network) if kit is not None]
        library.brand_colour = next((kit.colour for kit in kits if kit.colour), OLD_DEFAULT_COLOUR)
        library.logo_url = next(filter(None, (_logo_address(kit) for kit in kits)), "")
    Library.objects.bulk_update(libraries, ["brand_colour", "logo_url"], batch_size=500)


def _logo_address(kit):
    """An uploaded logo at the address it is served from, as the mails wore it."""
    return image_url(kit.logo) if kit.logo is not None else kit.logo_url


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0009_mail_image"),
        ("members", "0008_member_last_loan_on"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BrandKit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("logo_url", models.URLField(blank=True)),
                (
                    "colour",
                    models.CharField(
                        blank=True,
                        max_length=7,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^#[0-9a-fA-F]{6}$", "a colour like #1f5f8b"
                            )
                        ],
                    ),
                ),
                (
                    "button_colour",
                    models.CharField(
                        blank=True,
                        max_length=7,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^#[0-9a-fA-F]{6}$", "a colour like #1f5f8b"
                            )
                        ],
                    ),
                ),
                ("footer", models.TextField(blank=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "library",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="brand_kit",
                        to="members.library",
                    ),
                ),
                (
                    "logo",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="mail.mailimage",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.comparison.Coalesce("library", models.Value(0)),
                        name="brand_kit_one_per_library_and_network",
                    )
                ],
            },
        ),
        migrations.RunPython(move_brands_into_kits, move_brands_back_onto_libraries),
    ]
