"""Each member's latest loan day, kept on the member (Member.last_loan_on).

"A loan since …" (journeys/audiences.py) is then a compare on the member's own row instead of
a look-up in the loans table for every member, which is most of what an audience count over
a large library would otherwise cost. The loans import keeps it (members/import_loading.py,
for the members of the loans each chunk added or changed); loans the retention removes stay
counted by it and by Member.loans_removed_through.
"""

from collections.abc import Collection

from django.db.models import OuterRef, Subquery

from patronflow.members.models import Loan, Member

# Ids per UPDATE: within SQLite's limit on query parameters.
BATCH = 900


def note_latest_loans(member_ids: Collection[int]) -> None:
    """Set these members' latest loan day from the loans they hold now (a loan moved to another
    member leaves the first one's earlier loans, or none)."""
    latest = Loan.objects.filter(member=OuterRef("pk")).order_by("-loaned_on").values("loaned_on")
    ids = sorted(member_ids)
    for start in range(0, len(ids), BATCH):
        Member.objects.filter(pk__in=ids[start : start + BATCH]).update(
            last_loan_on=Subquery(latest[:1])
        )
