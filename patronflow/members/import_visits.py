"""The visits writer: a visit has no id of its own in the library system, it is a member on a
day through a channel, so it is inserted unless stored already (the same member, day and
channel are one visit however often an export repeats them) and never updated.

A chunk costs one look-up of its members, one insert that skips the visits already stored
and one update of the members' last activity day where a visit is later: on PostgreSQL each
a single statement over arrays, on SQLite an executemany.
"""

import datetime as dt

from django.db import connection

from patronflow.members.bulk_types import StagedRow, Target, Written
from patronflow.members.models import Member, Visit


class VisitWriter:
    chunk_rows = 10_000
    chunks_per_transaction = 1

    def __init__(self, target: Target) -> None:
        self.target = target
        positions = {name: n for n, name in enumerate(target.attnames, start=1)}
        self.day = positions["visited_on"]
        self.channel = positions.get("channel")
        visits, members = Visit._meta.db_table, Member._meta.db_table
        if connection.vendor == "postgresql":
            self.insert = (
                f"INSERT INTO {visits} (library_id, member_id, visited_on, channel) "
                "SELECT %s, m, d, c FROM unnest(%s::bigint[], %s::date[], %s::text[]) "
                "AS u(m, d, c) ON CONFLICT (member_id, visited_on, channel) DO NOTHING"
            )
            self.latest = (
                f"UPDATE {members} m SET last_activity_on = u.d "
                "FROM unnest(%s::bigint[], %s::date[]) AS u(id, d) WHERE m.id = u.id "
                "AND (m.last_activity_on IS NULL OR m.last_activity_on < u.d)"
            )
        else:
            self.insert = (
                f'INSERT INTO "{visits}" (library_id, member_id, visited_on, channel) '
                "VALUES (?, ?, ?, ?) ON CONFLICT (member_id, visited_on, channel) DO NOTHING"
            )
            self.latest = (
                f'UPDATE "{members}" SET last_activity_on = ? WHERE id = ? '
                "AND (last_activity_on IS NULL OR last_activity_on < ?)"
            )

    def write(self, rows: list[StagedRow]) -> Written:
        written = Written()
        target = self.target
        known = dict(
            Member.objects.filter(
                library_id=target.library_id, external_id__in={values[0] for _, values in rows}
            ).values_list("external_id", "pk")
        )
        visits: set[tuple[int, dt.date, str]] = set()
        latest: dict[int, dt.date] = {}
        for line, values in rows:
            member = known.get(values[0])
            if member is None:
                written.unknown.append((line, target.reference_problem("member_id", values[0])))
                continue
            day = values[self.day]
            visit = (member, day, values[self.channel] if self.channel else Visit.Channel.GATE)
            if visit in visits:
                written.repeated += 1
                continue
            visits.add(visit)
            latest[member] = max(latest.get(member, day), day)
        if visits:
            written.inserted = self._insert(sorted(visits))
            written.unchanged = len(visits) - written.inserted
            self._note_latest(latest)
        return written

    def _insert(self, visits: list[tuple[int, dt.date, str]]) -> int:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                members, days, channels = (list(column) for column in zip(*visits, strict=True))
                cursor.execute(self.insert, [self.target.library_id, members, days, channels])
                return cursor.rowcount
            raw = cursor.cursor
            raw.executemany(
                self.insert,
                [(self.target.library_id, m, d.isoformat(), c) for m, d, c in visits],
            )
            return raw.rowcount

    def _note_latest(self, latest: dict[int, dt.date]) -> None:
        """A member's last activity is their latest visit, where that is later."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(self.latest, [list(latest), list(latest.values())])
            else:
                cursor.cursor.executemany(
                    self.latest,
                    [(d.isoformat(), m, d.isoformat()) for m, d in latest.items()],
                )

    def list_ids(self, ids: list[str]) -> None:
        """Only a members file is a snapshot."""

    def end_absent_memberships(self, today: dt.date) -> int:
        return 0

    def close(self) -> None:
        """Nothing held between chunks."""
