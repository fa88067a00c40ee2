"""Privacy's gate on an import (members/imports.py takes it as `gate`): an erased member stays
erased, a loan older than the loan history kept is not taken in, and a suppressed address that
comes back is held in clear again."""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from patronflow.members.models import Library, Member
from patronflow.privacy.models import ErasedMember, Suppression
from patronflow.privacy.references import address_reference, erasure_reference

SKIPPED_ERASED = "erased at the member's request"
SKIPPED_OLD = "older than the loan history kept"


class ImportGate:
    """What privacy asks of an import, row by row, before anything is written: an erased
    member stays erased (their rows and their loans are skipped, unless a registration after
    the erasure makes them a new member), a loan dated before `history_start` (the library's
    loan history, profiles.queries.loan_history_start) is not taken in, and an address that
    comes back is held in clear on the suppression list again. The library system's rows say
    nothing more to the skipped ones than a count."""

    def __init__(self, library: Library, today: dt.date, history_start: dt.date) -> None:
        self.library = library
        self.today = today
        self.erased = dict(
            ErasedMember.objects.filter(library=library).values_list("member_ref", "erased_on")
        )
        self.history_start = history_start
        self.hashed_addresses = set(
            Suppression.objects.filter(library=library, email="").values_list(
                "address_ref", flat=True
            )
        )
        self.listed: set[str] = set()
        self.removed_through: dict[str, dt.date] = {}

    def _erased_on(self, external_id: str) -> dt.date | None:
        if not self.erased:
            return None
        reference = erasure_reference(self.library.code, external_id)
        erased_on = self.erased.get(reference)
        if erased_on is not None:
            self.listed.add(reference)
        return erased_on

    def member_skipped(self, external_id: str, registered_on: dt.date | None) -> str | None:
        """Why this member row is skipped, or None to load it."""
        erased_on = self._erased_on(external_id)
        if erased_on is not None and (registered_on is None or registered_on <= erased_on):
            return SKIPPED_ERASED
        return None

    def loan_skipped(self, member_id: str, loaned_on: dt.date) -> str | None:
        """Why this loan row is skipped, or None to load it (`member_id`: the library's)."""
        erased_on = self._erased_on(member_id)
        if erased_on is not None and loaned_on <= erased_on:
            return SKIPPED_ERASED
        if loaned_on < self.history_start:
            latest = self.removed_through.get(member_id)
            self.removed_through[member_id] = max(latest or loaned_on, loaned_on)
            return SKIPPED_OLD
        return None

    def visit_skipped(self, member_id: str, visited_on: dt.date) -> str | None:
        """Why this visit row is skipped, or None to load it: as a loan, but a visit before
        the loan history leaves no day on the member (it was no loan)."""
        erased_on = self._erased_on(member_id)
        if erased_on is not None and visited_on <= erased_on:
            return SKIPPED_ERASED
        if visited_on < self.history_start:
            return SKIPPED_OLD
        return None

    def unknown_member_skipped(self, member_id: str) -> str | None:
        """A loan of a member the library does not hold: erased, so skipped, not rejected."""
        return SKIPPED_ERASED if self._erased_on(member_id) is not None else None

    def addresses_seen(self, addresses: Iterable[str]) -> None:
        """Addresses the import holds (again): suppressions kept as a hash get them back, so
        the list is matched in clear wherever an address is in use."""
        if not self.hashed_addresses:
            return
        for address in {a.strip().lower() for a in addresses if a}:
            reference = address_reference(address)
            if reference in self.hashed_addresses:
                Suppression.objects.filter(
                    library=self.library, address_ref=reference, email=""
                ).update(email=address)
                self.hashed_addresses.discard(reference)

    def write(self) -> None:
        """Store what the rows so far said: erased members still listed by the library
        system, and the latest day of the loans skipped as too old, per member."""
        if self.listed:
            ErasedMember.objects.filter(
                library=self.library, member_ref__in=self.listed, last_listed_on__lt=self.today
            ).update(last_listed_on=self.today)
            self.listed.clear()
        by_day: dict[dt.date, list[str]] = {}
        for member_id, day in self.removed_through.items():
            by_day.setdefault(day, []).append(member_id)
        for day, member_ids in by_day.items():
            Member.objects.filter(library=self.library, external_id__in=member_ids).filter(
                Q(loans_removed_through__isnull=True) | Q(loans_removed_through__lt=day)
            ).update(loans_removed_through=day)
        self.removed_through.clear()
