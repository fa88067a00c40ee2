from django.db import migrations


def count_each_member_once_a_day(apps, schema_editor):
    """A day's visits were counted per member and channel; recount them as distinct members
    (the gate and the desk on one day are one visit). What an erasure moved into kept_visits
    before this was counted per channel and stays as it is: its rows are gone."""
    days = apps.get_model("members", "ActivityDay")._meta.db_table
    visits = apps.get_model("members", "Visit")._meta.db_table
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(days)} SET visits = (SELECT COUNT(DISTINCT member_id) "
            f"FROM {quote(visits)} WHERE library_id = {quote(days)}.library_id "
            f"AND visited_on = {quote(days)}.day) WHERE visits > 0"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0012_count_existing_loans"),
    ]

    operations = [
        migrations.RunPython(count_each_member_once_a_day, migrations.RunPython.noop),
    ]
