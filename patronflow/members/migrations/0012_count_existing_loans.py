from django.db import migrations
from django.db.models import Count
from django.db.models.functions import TruncMonth

BATCH = 5_000


def count_existing_loans(apps, schema_editor):
    """The activity counts of the loans held before they existed (visits start empty): loans
    per library and day, distinct borrowers per library and month. Imports keep them from here
    on (members/activity.py); what earlier purges removed is not in them. A library that has
    counts already (an import or `aggregates --rebuild` ran before this step) keeps them."""
    Loan = apps.get_model("members", "Loan")
    ActivityDay = apps.get_model("members", "ActivityDay")
    ActivityMonth = apps.get_model("members", "ActivityMonth")
    counted = {*ActivityDay.objects.values_list("library_id", flat=True).distinct()}
    counted |= {*ActivityMonth.objects.values_list("library_id", flat=True).distinct()}
    loans = Loan.objects.exclude(library_id__in=counted)
    days = (
        loans.order_by()
        .values("library_id", "loaned_on")
        .annotate(loans=Count("id"))
        .values_list("library_id", "loaned_on", "loans")
    )
    _store(
        ActivityDay,
        (ActivityDay(library_id=lib, day=day, loans=n) for lib, day, n in days.iterator()),
    )
    months = (
        loans.order_by()
        .annotate(month=TruncMonth("loaned_on"))
        .values("library_id", "month")
        .annotate(borrowers=Count("member_id", distinct=True))
        .values_list("library_id", "month", "borrowers")
    )
    _store(
        ActivityMonth,
        (
            ActivityMonth(library_id=lib, month=month, borrowers=n, active=n)
            for lib, month, n in months.iterator()
        ),
    )


def _store(model, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            batch = []
    model.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0011_visits_and_kept_activity"),
    ]

    operations = [
        migrations.RunPython(count_existing_loans, migrations.RunPython.noop, elidable=True),
    ]
