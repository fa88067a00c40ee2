from django.db import migrations, models
from django.db.models import Min


def note_where_the_loans_start(apps, schema_editor):
    """The counts (0012) hold the loans held then, which earlier purges had cut: they are
    complete from each library's earliest loan held on the day of the upgrade."""
    Library = apps.get_model("members", "Library")
    Loan = apps.get_model("members", "Loan")
    starts = Loan.objects.order_by().values("library_id").annotate(first=Min("loaned_on"))
    for start in starts:
        Library.objects.filter(pk=start["library_id"]).update(loans_counted_from=start["first"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0013_visits_per_member_and_day"),
    ]

    operations = [
        migrations.AddField(
            model_name="library",
            name="loans_counted_from",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(note_where_the_loans_start, migrations.RunPython.noop),
    ]
