"""The importer keeps out the members and loans rows its gate names, counts them per reason,
lets the gate store what the rows said, and tells `loans_changed` of the loans a chunk changed
in place (privacy's gate itself is tested in tests/privacy, through the import flow)."""

import datetime as dt

from patronflow.members import imports
from tests.factories import ItemFactory, MemberFactory
from tests.members.conftest import LOANS_HEADER, MEMBERS_HEADER
from tests.members.importer import OpenGate, no_recount

ANNA = "M1,Anna,Peeters,anna@example.org,1980-05-17,2020-02-01,2026-05-01,ja,"
BART = "M2,Bart,Claes,bart@example.org,17/05/1975,15/03/2021,,nee,"


class RecordingGate(OpenGate):
    """Keeps out M2's member row, loans before 2026, and the loans of M9 (not in the library)."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.writes = 0

    def member_skipped(self, external_id: str, registered_on: dt.date | None) -> str | None:
        return "kept out" if external_id == "M2" else None

    def loan_skipped(self, member_id: str, loaned_on: dt.date) -> str | None:
        return "too old" if loaned_on < dt.date(2026, 1, 1) else None

    def unknown_member_skipped(self, member_id: str) -> str | None:
        return "gone" if member_id == "M9" else None

    def addresses_seen(self, addresses) -> None:
        self.addresses.extend(addresses)

    def write(self) -> None:
        self.writes += 1


def test_member_rows_the_gate_names_are_skipped_and_counted_per_reason(library, export):
    gate = RecordingGate()
    path = export("members.csv", MEMBERS_HEADER, ANNA, BART)

    summary = imports.import_file(library, "members", path, gate=gate, loans_changed=no_recount)

    assert (summary.rows, summary.inserted, summary.skipped_because) == (2, 1, {"kept out": 1})
    assert gate.addresses == ["anna@example.org"]  # only the rows let in
    assert gate.writes == 1


def test_loans_of_an_unknown_member_are_skipped_when_the_gate_says_so_else_rejected(
    library, export
):
    MemberFactory(library=library, external_id="M1")
    ItemFactory(library=library, external_id="I1")
    path = export(
        "loans.csv",
        LOANS_HEADER,
        "L1,M1,I1,2026-05-01",
        "L2,M1,I1,2025-05-01",
        "L3,M9,I1,2026-05-01",
        "L4,M8,I1,2026-05-01",
    )

    summary = imports.import_file(
        library, "loans", path, gate=RecordingGate(), loans_changed=no_recount
    )

    assert summary.inserted == 1
    assert summary.skipped_because == {"too old": 1, "gone": 1}
    assert [str(r) for r in summary.rejections] == [f"{path}:5: unknown member 'M8'"]


def test_loans_changed_hears_of_the_members_of_loans_changed_in_place(library, export):
    anna = MemberFactory(library=library, external_id="M1")
    bart = MemberFactory(library=library, external_id="M2")
    ItemFactory(library=library, external_id="I1")
    calls = []

    def loans_changed(changed_library, member_ids) -> None:
        calls.append((changed_library, set(member_ids)))

    for owner in ("M1", "M2"):
        imports.import_rows(
            library,
            "loans",
            [{"loan_id": "L1", "member_id": owner, "item_id": "I1", "loaned_on": "2026-05-01"}],
            source="loans",
            gate=OpenGate(),
            loans_changed=loans_changed,
        )

    assert calls == [(library, {anna.pk, bart.pk})]
