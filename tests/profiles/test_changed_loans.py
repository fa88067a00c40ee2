"""A loan an import changes in place — another member, item or date under the same loan id —
keeps its id below the refresh's watermark, so the refresh by difference cannot find it: the
import marks the profiles of its members before and after, and the next daily refresh
recounts just those, leaving exactly what a full rebuild of that day gives."""

import datetime as dt
from pathlib import Path

import pytest

from patronflow.members.import_summary import ImportSummary
from patronflow.members.models import Item
from patronflow.operations.imports import import_file
from patronflow.profiles import services
from patronflow.profiles.models import ClassificationPolicy, ReadingProfile
from patronflow.profiles.refresh import stale_member_ids
from patronflow.profiles.services import rebuild_profiles, refresh_after_import
from tests.factories import TODAY, ItemFactory, LibraryFactory, MemberFactory
from tests.profiles.snapshots import stored_profiles

pytestmark = pytest.mark.django_db

LOANS_HEADER = "loan_id,member_id,item_id,loaned_on"
NEXT_DAY = TODAY + dt.timedelta(days=1)
OUTSIDE = TODAY - dt.timedelta(days=430)  # the window is 12 months


def _ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


# M1 reads fiction on paper (F), M2 non-fiction e-books (N); L8 is M1's, too old to count.
LOANS = {
    "L1": f"L1,M1,F,{_ago(10)}",
    "L2": f"L2,M1,F,{_ago(20)}",
    "L3": f"L3,M1,F,{_ago(30)}",
    "L4": f"L4,M1,N,{_ago(40)}",
    "L5": f"L5,M2,N,{_ago(10)}",
    "L6": f"L6,M2,N,{_ago(20)}",
    "L7": f"L7,M2,N,{_ago(30)}",
    "L8": f"L8,M1,F,{OUTSIDE.isoformat()}",
}
# (fiction, non-fiction, digital, physical)
BEFORE = {"M1": (3, 1, 1, 3), "M2": (0, 3, 3, 0)}


@pytest.fixture
def library(tmp_path):
    """The loans above imported and counted by the nightly rebuild of TODAY."""
    library = LibraryFactory()
    ClassificationPolicy.objects.create(library=library, window_months=12)
    for their_id in ("M1", "M2", "M3"):
        MemberFactory(library=library, external_id=their_id)
    ItemFactory(library=library, external_id="F", is_fiction=True, material=Item.Material.BOOK)
    ItemFactory(library=library, external_id="N", is_fiction=False, material=Item.Material.EBOOK)
    _import(library, tmp_path / "loans.csv", *LOANS.values())
    rebuild_profiles(library, TODAY)
    assert _counts(library) == {**BEFORE, "M3": (0, 0, 0, 0)}
    return library


def _import(library, path: Path, *rows: str) -> ImportSummary:
    path.write_text("".join(f"{row}\n" for row in (LOANS_HEADER, *rows)), encoding="utf-8")
    return import_file(library, "loans", path, today=TODAY)


def _counts(library) -> dict[str, tuple[int, int, int, int]]:
    profiles = ReadingProfile.objects.filter(member__library=library)
    return {
        their_id: tuple(counts)
        for their_id, *counts in profiles.values_list(
            "member__external_id",
            "fiction_loans",
            "nonfiction_loans",
            "digital_loans",
            "physical_loans",
        )
    }


def _assert_refresh_equals_rebuild(library, summary: ImportSummary) -> None:
    refresh_after_import(library, summary.members_with_new_loans, NEXT_DAY)
    refreshed = stored_profiles(library)
    rebuild_profiles(library, NEXT_DAY)
    assert refreshed == stored_profiles(library)


@pytest.mark.parametrize(
    ("change", "after"),
    [
        pytest.param(f"L1,M2,F,{_ago(10)}", {"M1": (2, 1, 1, 2), "M2": (1, 3, 3, 1)}, id="member"),
        pytest.param(f"L2,M1,N,{_ago(20)}", {"M1": (2, 2, 2, 2)}, id="item-of-another-kind"),
        pytest.param(f"L3,M1,F,{OUTSIDE}", {"M1": (2, 1, 1, 2)}, id="date-out-of-the-window"),
        pytest.param(f"L8,M1,F,{_ago(5)}", {"M1": (4, 1, 1, 4)}, id="date-into-the-window"),
        pytest.param(f"L6,M1,F,{OUTSIDE}", {"M1": (3, 1, 1, 3), "M2": (0, 2, 2, 0)}, id="all"),
    ],
)
def test_a_changed_loan_counts_as_changed_after_the_refresh_by_difference(
    library, tmp_path, change, after
):
    summary = _import(library, tmp_path / "changed.csv", change)

    assert (summary.inserted, summary.updated) == (0, 1)
    _assert_refresh_equals_rebuild(library, summary)
    assert _counts(library) == {**BEFORE, "M3": (0, 0, 0, 0), **after}


def test_a_member_with_a_new_loan_and_a_changed_one_is_recounted_not_added_to(library, tmp_path):
    """The new loan alone would be added by difference; the changed one must not be missed."""
    summary = _import(library, tmp_path / "delta.csv", f"L9,M1,N,{NEXT_DAY}", f"L1,M3,F,{_ago(10)}")

    assert (summary.inserted, summary.updated) == (1, 1)
    _assert_refresh_equals_rebuild(library, summary)
    assert _counts(library) == {"M1": (2, 2, 2, 2), "M2": BEFORE["M2"], "M3": (1, 0, 0, 1)}


def test_the_import_marks_the_members_before_and_after_and_nothing_when_unchanged(
    library, tmp_path
):
    by_id = dict(library.members.values_list("external_id", "pk"))
    again = _import(library, tmp_path / "again.csv", *LOANS.values())
    assert again.members_with_changed_loans == set()
    assert not ReadingProfile.objects.filter(outside_refresh=True).exists()

    summary = _import(library, tmp_path / "changed.csv", LOANS["L4"], f"L5,M3,N,{_ago(10)}")

    marked = {by_id["M2"], by_id["M3"]}
    assert summary.members_with_changed_loans == marked
    assert (
        set(ReadingProfile.objects.filter(outside_refresh=True).values_list("member_id", flat=True))
        == marked
    )
    assert stale_member_ids(library, TODAY) == marked


def test_a_delta_of_changed_loans_recounts_only_their_members(library, tmp_path, monkeypatch):
    """No library-wide rebuild: the refresh writes the two changed profiles and nothing else."""
    summary = _import(library, tmp_path / "changed.csv", f"L1,M2,F,{_ago(10)}")

    def no_rebuild(*args, **kwargs):
        raise AssertionError("a changed loan must not make the refresh a rebuild")

    monkeypatch.setattr(services, "rebuild_profiles", no_rebuild)
    assert refresh_after_import(library, summary.members_with_new_loans, TODAY) == 2
    assert not ReadingProfile.objects.filter(outside_refresh=True).exists()
