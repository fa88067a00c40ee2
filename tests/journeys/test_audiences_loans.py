"""“A loan since …” reads the member's latest loan day, which the loans import keeps: new
loans move it on, a loan moved to another member takes it along, and the audiences see it
the moment the import is done."""

import datetime as dt

import pytest

from patronflow.journeys.audiences import audience
from patronflow.operations.imports import import_file
from tests.factories import TODAY, ItemFactory, LibraryFactory, MemberFactory

pytestmark = pytest.mark.django_db

HEADER = "loan_id,member_id,item_id,loaned_on"
LONG_AGO = TODAY - dt.timedelta(days=2000)


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def library():
    library = LibraryFactory()
    for their_id in ("M1", "M2"):
        MemberFactory(
            library=library, external_id=their_id, registered_on=LONG_AGO, last_activity_on=None
        )
    ItemFactory(library=library, external_id="I1")
    return library


def load(library, tmp_path, *rows: str) -> None:
    path = tmp_path / "loans.csv"
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    import_file(library, "loans", path, today=TODAY)


def latest(library) -> dict[str, dt.date | None]:
    return dict(library.members.values_list("external_id", "last_loan_on"))


def dormant(library) -> set[str]:
    members = audience(library, {"inactive_for_days": 365}, TODAY)
    return set(members.values_list("external_id", flat=True))


def test_the_loans_import_keeps_each_members_latest_loan_day(library, tmp_path):
    load(library, tmp_path, f"L1,M1,I1,{ago(400)}", f"L2,M1,I1,{ago(500)}")
    assert latest(library) == {"M1": TODAY - dt.timedelta(days=400), "M2": None}
    assert dormant(library) == {"M1", "M2"}

    load(library, tmp_path, f"L3,M1,I1,{ago(20)}")
    assert latest(library)["M1"] == TODAY - dt.timedelta(days=20)
    assert dormant(library) == {"M2"}


def test_a_loan_moved_to_another_member_takes_its_day_along(library, tmp_path):
    load(library, tmp_path, f"L1,M1,I1,{ago(20)}", f"L2,M1,I1,{ago(500)}")
    load(library, tmp_path, f"L1,M2,I1,{ago(20)}")  # the library corrected the loan's member

    assert latest(library) == {
        "M1": TODAY - dt.timedelta(days=500),
        "M2": TODAY - dt.timedelta(days=20),
    }
    assert dormant(library) == {"M1"}
