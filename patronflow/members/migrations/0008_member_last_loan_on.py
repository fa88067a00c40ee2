from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def note_latest_loans(apps, schema_editor):
    """Every member's latest loan day from the loans held now (members/latest_loans.py keeps
    it from here on)."""
    Loan = apps.get_model("members", "Loan")
    Member = apps.get_model("members", "Member")
    latest = Loan.objects.filter(member=OuterRef("pk")).order_by("-loaned_on").values("loaned_on")
    Member.objects.update(last_loan_on=Subquery(latest[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0007_library_four_eyes"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="last_loan_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(note_latest_loans, migrations.RunPython.noop, elidable=True),
    ]
