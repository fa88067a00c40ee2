"""An erased member stays erased: the library system's next export does not bring them back,
through a file or a connector, on either database's import path."""

import datetime as dt

import pytest

from patronflow.members.models import Loan, Member
from patronflow.operations.erasure import erase_member
from patronflow.operations.imports import import_file, import_rows
from patronflow.operations.purge import purge
from patronflow.privacy.gate import SKIPPED_ERASED
from patronflow.privacy.models import ErasedMember, RetentionPolicy
from patronflow.privacy.references import erasure_reference
from tests.factories import TODAY, ItemFactory, LoanFactory, MemberFactory

ERASED_ON = TODAY
NEXT_NIGHT = TODAY + dt.timedelta(days=1)
MEMBERS = "member_id,first_name,last_name,email,birth_date,registered_on"
LOANS = "loan_id,member_id,item_id,loaned_on"


@pytest.fixture
def erased(library):
    """Ann, member since 2020, erased at her request today; Bob stays."""
    ann = MemberFactory(library=library, external_id="M1", registered_on=dt.date(2020, 1, 15))
    MemberFactory(library=library, external_id="M2")
    ItemFactory(library=library, external_id="I1")
    LoanFactory(member=ann, external_id="L1", loaned_on=TODAY - dt.timedelta(days=20))
    erase_member(ann, "desk", today=ERASED_ON)
    return ann


def write(tmp_path, name: str, header: str, *lines: str):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_the_next_members_file_skips_the_erased_member_and_counts_it(library, erased, tmp_path):
    path = write(
        tmp_path,
        "leden.csv",
        MEMBERS,
        "M1,Ann,Peeters,ann@example.org,1980-05-17,2020-01-15",
        "M2,Bob,Janssens,bob@example.org,1975-02-01,2019-03-01",
    )

    summary = import_file(library, "members", path, today=NEXT_NIGHT)

    assert not Member.objects.filter(library=library, external_id="M1").exists()
    assert summary.skipped_because == {SKIPPED_ERASED: 1}
    assert summary.rows == summary.loaded + summary.rejected + summary.repeated + summary.skipped
    assert summary.rejects_file is None  # her row is not copied anywhere


def test_a_connectors_rows_skip_the_erased_member_too(library, erased):
    rows = [{"member_id": "M1", "first_name": "Ann", "registered_on": "2020-01-15"}]

    summary = import_rows(library, "members", rows, source="connector", today=NEXT_NIGHT)

    assert (summary.inserted, summary.skipped) == (0, 1)
    assert not Member.objects.filter(library=library, external_id="M1").exists()


def test_a_registration_after_the_erasure_is_a_new_membership_and_loads(library, erased):
    rows = [{"member_id": "M1", "first_name": "Ann", "registered_on": "2026-06-10"}]

    summary = import_rows(library, "members", rows, source="arrivals", today=dt.date(2026, 6, 10))

    assert (summary.inserted, summary.skipped) == (1, 0)
    assert Member.objects.get(library=library, external_id="M1").registered_on == dt.date(
        2026, 6, 10
    )


def test_loans_of_an_erased_member_are_skipped_not_rejected(library, erased, tmp_path):
    path = write(
        tmp_path,
        "uitleningen.csv",
        LOANS,
        f"L1,M1,I1,{TODAY - dt.timedelta(days=20)}",
        f"L9,M1,I1,{NEXT_NIGHT}",
        f"L2,M2,I1,{NEXT_NIGHT}",
        f"L3,M404,I1,{NEXT_NIGHT}",
    )

    summary = import_file(library, "loans", path, today=NEXT_NIGHT)

    assert summary.skipped_because == {SKIPPED_ERASED: 2}
    assert (summary.inserted, summary.rejected) == (1, 1)
    assert [str(r).split(": ", 1)[1] for r in summary.rejections] == ["unknown member 'M404'"]
    assert "M1" not in summary.rejects_file.read_text()
    assert list(Loan.objects.values_list("external_id", flat=True)) == ["L2"]


def test_loans_from_before_the_erasure_stay_out_when_the_member_comes_back(library, erased):
    import_rows(
        library,
        "members",
        [{"member_id": "M1", "first_name": "Ann", "registered_on": "2026-06-10"}],
        source="arrivals",
        today=dt.date(2026, 6, 10),
    )
    rows = [
        {"loan_id": "L1", "member_id": "M1", "item_id": "I1", "loaned_on": "2026-05-12"},
        {"loan_id": "L7", "member_id": "M1", "item_id": "I1", "loaned_on": "2026-06-11"},
    ]

    summary = import_rows(library, "loans", rows, source="loans", today=dt.date(2026, 6, 11))

    assert (summary.inserted, summary.skipped) == (1, 1)
    assert list(Loan.objects.values_list("external_id", flat=True)) == ["L7"]


def test_the_register_holds_no_personal_data(library, erased):
    entry = ErasedMember.objects.get()
    stored = " ".join(
        str(field.value_from_object(entry)) for field in ErasedMember._meta.concrete_fields
    )

    assert entry.member_ref == erasure_reference("gent", "M1")
    assert "M1" not in stored and erased.first_name not in stored and "@" not in stored
    assert entry.erased_on == ERASED_ON


def test_the_register_entry_goes_two_years_after_the_library_system_last_listed_the_member(
    library, erased
):
    RetentionPolicy.objects.create(library=library, ex_member_days=730)
    rows = [{"member_id": "M1", "first_name": "Ann", "registered_on": "2020-01-15"}]
    listed_on = TODAY + dt.timedelta(days=100)
    import_rows(library, "members", rows, source="nightly", today=listed_on)
    assert ErasedMember.objects.get().last_listed_on == listed_on

    purge(listed_on + dt.timedelta(days=730), operator="cron")
    assert ErasedMember.objects.exists()

    summary = purge(listed_on + dt.timedelta(days=731), operator="cron")
    assert not ErasedMember.objects.exists()
    assert summary.rows("gent")["privacy.erasedmember"] == 1
