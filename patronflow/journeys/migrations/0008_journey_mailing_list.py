"""Every journey and broadcast goes out on a list (choices.MailingList): each library gets
the standard lists, the welcome journey the welcome list, the dormant journey the service
list about the membership, and everything else the newsletter. Reversible: the lists stay
(they are choices' own), the journeys lose the field. The field becomes required in 0009:
PostgreSQL does not alter a table in the transaction that has just written its rows."""

import django.db.models.deletion
from django.db import migrations, models

# A frozen copy of choices/services.py STANDARD_LISTS as this migration made them.
STANDARD_LISTS = {
    "welcome": (
        1,
        "Welkomstmails",
        "Welcome mails",
        "Een paar mails in je eerste weken als lid, met tips om de bib te leren kennen.",
        "A few mails in your first weeks as a member, with tips to get to know the library.",
        False,
    ),
    "newsletter": (
        2,
        "Nieuwsbrief",
        "Newsletter",
        "Nieuws, activiteiten en leestips van de bib.",
        "News, activities and reading tips from the library.",
        False,
    ),
    "membership": (
        3,
        "Berichten over je lidmaatschap",
        "About your membership",
        "Bijvoorbeeld dat je account binnenkort verwijderd wordt. Die krijg je zolang je "
        "mails van de bib wilt.",
        "For instance that your account will soon be removed. You get these as long as you "
        "want mails from the library.",
        True,
    ),
}
LIST_OF_JOURNEY = {"welcome": "welcome", "dormant": "membership"}


def assign_lists(apps, schema_editor):
    Library = apps.get_model("members", "Library")
    MailingList = apps.get_model("choices", "MailingList")
    Journey = apps.get_model("journeys", "Journey")
    for library in Library.objects.all():
        lists = {}
        for key, (position, name, name_en, text, text_en, service) in STANDARD_LISTS.items():
            lists[key], _ = MailingList.objects.get_or_create(
                library=library,
                key=key,
                defaults={
                    "position": position,
                    "name": name,
                    "name_en": name_en,
                    "description": text,
                    "description_en": text_en,
                    "service": service,
                },
            )
        for journey in Journey.objects.filter(library=library):
            key = LIST_OF_JOURNEY.get(journey.key, "newsletter")
            Journey.objects.filter(pk=journey.pk).update(mailing_list=lists[key])


class Migration(migrations.Migration):
    dependencies = [
        ("choices", "0001_lists_choices_contacts_consents"),
        ("journeys", "0007_variant_blocks"),
    ]

    operations = [
        migrations.AddField(
            model_name="journey",
            name="mailing_list",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="journeys",
                to="choices.mailinglist",
            ),
        ),
        migrations.RunPython(assign_lists, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="enrolment",
            name="exit_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("came_back", "Came back (loan or visit)"),
                    ("online_profile", "Created an online profile"),
                    ("bounced", "Address bounced"),
                    ("unsubscribed", "Unsubscribed"),
                    ("left_list", "Left the journey's list"),
                    ("membership_ended", "Membership ended"),
                    ("ineligible", "No longer eligible for mail"),
                    ("archived", "Journey archived"),
                ],
                max_length=20,
            ),
        ),
    ]
