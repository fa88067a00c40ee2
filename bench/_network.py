"""A network of libraries for bench/network_scale.py, written straight into PostgreSQL.

At scale 1: 300 libraries of unequal size, 2,000,000 members, 20,000,000 loans, visits for
about half the members, and about 10,000,000 mails from each library's welcome and dormant
journeys and six broadcasts, with held-out members, opens, clicks, unsubscribes and votes.
`scale` shrinks the libraries and every row count alike (libraries keep their size).

Rows are made in SQL (INSERT … SELECT over generate_series), never through the ORM one by one:
the journeys alone come from install_journey, so that steps and variants are the real ones.
The big tables' unique constraints and secondary indexes are dropped while they fill and
built again afterwards, and foreign keys are not checked row by row (session_replication_role),
as pg_restore does; then VACUUM ANALYZE. Deterministic for a seed and a day.
"""

import datetime as dt
import json
import random
import time
from dataclasses import dataclass

import psycopg

LIBRARIES = 300
MEMBERS = 2_000_000
LOANS = 20_000_000
MAILS = 10_000_000
ITEMS_PER_LIBRARY = 2_000
COMPARED_WITH = 5  # comparison libraries each library's loans are set against
BROADCASTS = 6
BROADCAST_HOLDOUT = 5
BIG_TABLES = (
    "members_member",
    "members_item",
    "members_loan",
    "members_visit",
    "journeys_enrolment",
    "mail_message",
    "tracking_event",
    "tracking_feedback",
)
SEGMENTS = ("fiction_physical", "fiction_digital", "nonfiction_physical", "nonfiction_digital")


@dataclass(frozen=True)
class Size:
    libraries: int
    members: int
    loans: int
    mails: int

    @classmethod
    def at(cls, scale: float) -> "Size":
        return cls(
            libraries=max(3, round(LIBRARIES * scale)),
            members=round(MEMBERS * scale),
            loans=round(LOANS * scale),
            mails=round(MAILS * scale),
        )


def generate(url: str, *, scale: float, today: dt.date, seed: int = 26) -> dict[str, float]:
    """Fill the migrated, empty database at `url`; the seconds each stage took."""
    size = Size.at(scale)
    rng = random.Random(seed)
    clock = Clock()
    libraries = _libraries(size, rng, today)
    clock.lap("libraries and journeys")
    with psycopg.connect(url, autocommit=True) as db:
        for setting in (
            "session_replication_role = replica",
            "synchronous_commit = off",
            "maintenance_work_mem = '512MB'",
            "work_mem = '128MB'",
            "max_parallel_workers_per_gather = 0",
        ):
            db.execute(f"SET {setting}")
        rebuild = _drop_indexes(db)
        db.execute("SELECT setseed(%s)", (rng.random() * 2 - 1,))
        _comparisons(db, libraries, rng)
        weights = [rng.lognormvariate(0, 0.8) for _ in libraries]
        counts = [max(50, round(size.members * w / sum(weights))) for w in weights]
        params = {
            "today": today,
            "ids": [library.pk for library in libraries],
            "counts": counts,
            "items": ITEMS_PER_LIBRARY,
            "mean_loans": size.loans / sum(counts) + 0.5,
        }
        for name, sql in FILL:
            db.execute(sql, params)
            if name == "member plan":
                db.execute("ANALYZE plan")
            clock.lap(name)
        _steps(db)
        for name, sql in JOURNEYS:
            db.execute(sql, params)
            db.execute("ANALYZE journeys_enrolment")
            clock.lap(name)
        mailed = db.execute("SELECT count(*) FROM mail_message").fetchone()[0]
        pairs = db.execute(BROADCAST_PAIRS, params).fetchone()[0]
        share = min(1.0, max(0.0, size.mails - mailed) / max(1, pairs))
        db.execute(BROADCAST_ENROLMENTS, params | {"share": share})
        db.execute("ANALYZE journeys_enrolment")
        db.execute(MESSAGES, params | {"kind": "broadcast"})
        clock.lap("broadcasts")
        for name, sql in TRACKING:
            db.execute(sql, params)
            clock.lap(name)
        for statement in rebuild:
            db.execute(statement)
        db.execute("SET session_replication_role = origin")
        clock.lap("indexes and constraints")
        for table in BIG_TABLES:
            db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"coalesce(max(id), 1)) FROM {table}")  # fmt: skip
        db.execute("VACUUM ANALYZE")
        clock.lap("vacuum analyze")
    return clock.laps


class Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.started = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.started
        self.started = now
        print(f"  {name:<28}{self.laps[name]:>8.1f} s", flush=True)


def _libraries(size: Size, rng: random.Random, today: dt.date) -> list:
    """Libraries with the standard welcome and dormant journeys and six past broadcasts,
    made as a library's staff would (install_journey); half of them track opens."""
    from django.utils import timezone

    from patronflow.journeys.definitions import install_journey, standard_definition
    from patronflow.journeys.models import Version
    from patronflow.members.models import Library

    libraries = []
    for number in range(1, size.libraries + 1):
        library = Library.objects.create(
            code=f"bib{number:03d}",
            name=f"Bibliotheek {number:03d}",
            sender_email=f"bib{number:03d}@example.org",
            track_opens=number % 2 == 0,
        )
        for key in ("welcome", "dormant"):
            install_journey(library, standard_definition(key))
        for broadcast in range(1, BROADCASTS + 1):
            day = broadcast_day(today, broadcast)
            send_at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
            install_journey(
                library,
                {
                    "key": f"nieuwsbrief-{broadcast}",
                    "name": f"Nieuwsbrief {broadcast}",
                    "kind": "broadcast",
                    "status": "active",
                    "send_at": send_at.isoformat(),
                    "holdout_percent": BROADCAST_HOLDOUT,
                    "steps": [
                        {
                            "name": "Nieuwsbrief",
                            "wait_days": 0,
                            "variants": [
                                {"segment": "", "subject": "Nieuws", "body": "<p>Dag</p>"}
                            ],
                        }
                    ],
                },
            )
        libraries.append(library)
    Version.objects.filter(journey__kind="broadcast").update(entry_closed_at=timezone.now())
    return libraries


def broadcast_day(today: dt.date, number: int) -> dt.date:
    """Broadcasts go out every 120 days, the latest a month ago."""
    return today - dt.timedelta(days=30 + (number - 1) * 120)


def _comparisons(db: psycopg.Connection, libraries: list, rng: random.Random) -> None:
    with db.cursor().copy(
        "COPY members_library_comparison_libraries (from_library_id, to_library_id) FROM STDIN"
    ) as copy:
        for library in libraries:
            others = [other for other in libraries if other.pk != library.pk]
            for other in rng.sample(others, min(COMPARED_WITH, len(others))):
                copy.write_row((library.pk, other.pk))


def _drop_indexes(db: psycopg.Connection) -> list[str]:
    """Drop the big tables' unique constraints and secondary indexes (primary keys and foreign
    keys stay); the statements that make them again."""
    tables = list(BIG_TABLES)
    constraints = db.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
           FROM pg_constraint WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)""",
        (tables,),
    ).fetchall()
    indexes = db.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
        (tables,),
    ).fetchall()
    rebuild = []
    for table, name, definition in constraints:
        db.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        db.execute(f'DROP INDEX "{name}"')
        rebuild.append(definition)
    return rebuild


def _steps(db: psycopg.Connection) -> None:
    """Every journey's steps and variants, as one small table the mails are made from."""
    db.execute(
        """CREATE TEMP TABLE plan_step AS
           SELECT j.library_id, j.id AS journey_id, v.id AS version_id,
                  CASE WHEN j.kind = 'broadcast' THEN 'broadcast' ELSE j.key END AS kind,
                  CASE WHEN j.kind = 'broadcast' THEN split_part(j.key, '-', 2)::int END
                      AS broadcast,
                  s.position, s.wait_days, s.id AS step_id, g.segment,
                  coalesce(own.id, fallback.id) AS variant_id, v.holdout_percent
           FROM journeys_journey j JOIN journeys_version v ON v.journey_id = j.id
           JOIN journeys_step s ON s.version_id = v.id
           CROSS JOIN unnest(%s::text[]) AS g(segment)
           LEFT JOIN journeys_variant own ON own.step_id = s.id AND own.segment = g.segment
           LEFT JOIN journeys_variant fallback ON fallback.step_id = s.id
                AND fallback.segment = ''""",
        ([*SEGMENTS, "unknown"],),
    )
    db.execute("CREATE INDEX ON plan_step (journey_id, segment, position)")
    db.execute("ANALYZE plan_step")


# Each member's plan: when they registered, how long since their last loan, how many loans
# and visits, which reading profile. Exponential spreads: most borrow, a few borrow a lot,
# about a fifth have been away for more than a year.
FILL = [
    (
        "member plan",
        """CREATE TEMP TABLE plan AS
        SELECT nextval(pg_get_serial_sequence('members_member', 'id')) AS member_id,
               s.library_id, g AS number, r.registered_on,
               CASE WHEN r.loans > 0 THEN greatest(r.registered_on, %(today)s::date - r.idle)
               END AS last_on,
               CASE WHEN r.visits > 0
                    THEN greatest(r.registered_on, %(today)s::date - r.idle
                                  - floor(random() * 30)::int) END AS visited_last,
               r.loans, r.visits, 1 + floor(random() * 20)::int AS gap,
               random() < 0.05 AS no_email, random() < 0.35 AS profile,
               random() < 0.03 AS unsubscribed,
               (array['fiction_physical', 'fiction_digital', 'nonfiction_physical',
                      'nonfiction_digital', 'unknown'])[1 + floor(random() * 5)::int] AS segment
        FROM unnest(%(ids)s::bigint[], %(counts)s::int[]) AS s(library_id, members),
             generate_series(1, s.members) g,
             LATERAL (SELECT
                 %(today)s::date - least(7000, floor(-ln(1 - random()) * 1500)::int)
                     + 0 * g AS registered_on,
                 least(1095, floor(-ln(1 - random()) * 250)::int + 0 * g) AS idle,
                 floor(-ln(1 - random()) * %(mean_loans)s + 0 * g)::int AS loans,
                 CASE WHEN random() < 0.5 + 0 * g
                      THEN 1 + floor(-ln(1 - random()) * 12)::int ELSE 0 END AS visits
             ) r""",
    ),
    (
        "members",
        """INSERT INTO members_member (id, library_id, external_id, first_name, last_name,
               email, birth_date, registered_on, last_activity_on, last_loan_on,
               has_online_profile, membership_ends_on, unsubscribed_at, updated_at)
        SELECT member_id, library_id, 'M' || lpad(number::text, 8, '0'), 'Lid', 'Bench',
               CASE WHEN no_email THEN '' ELSE 'lid' || member_id || '@example.org' END,
               registered_on - 7000 - (member_id %% 15000)::int, registered_on,
               nullif(greatest(coalesce(last_on, '-infinity'),
                               coalesce(visited_last, '-infinity')), '-infinity'),
               last_on, profile, NULL,
               CASE WHEN unsubscribed THEN %(today)s::date - 100 END, now()
        FROM plan ORDER BY member_id""",
    ),
    (
        "items",
        """INSERT INTO members_item (library_id, external_id, title, author, isbn, material,
               siso, nur, genre, is_fiction, literary_form, thema)
        SELECT l.id, 'I' || g, 'Titel ' || g, 'Auteur ' || (g %% 300), '',
               (array['book', 'book', 'book', 'ebook', 'audiobook', 'comic', 'film'])
                   [1 + floor(random() * 7)::int],
               '', '', '', random() < 0.6, '', ''
        FROM members_library l, generate_series(1, %(items)s) g
        ORDER BY l.id, g""",
    ),
    (
        "loans",
        """INSERT INTO members_loan (library_id, external_id, member_id, item_id, loaned_on)
        SELECT p.library_id, 'L' || p.member_id || '-' || g, p.member_id,
               i.first + floor(random() * %(items)s)::bigint,
               CASE WHEN g = 1 THEN p.last_on
                    ELSE p.last_on - floor(random() * (1 + p.last_on
                         - greatest(p.registered_on, %(today)s::date - 1095)))::int END
        FROM plan p
        JOIN (SELECT library_id, min(id) AS first FROM members_item GROUP BY library_id) i
          USING (library_id),
        generate_series(1, p.loans) g
        WHERE p.loans > 0""",
    ),
    (
        "visits",
        """INSERT INTO members_visit (library_id, member_id, visited_on, channel)
        SELECT p.library_id, p.member_id, p.visited_last - (g - 1) * p.gap,
               (array['gate', 'gate', 'checkin', 'desk'])[1 + floor(random() * 4)::int]
        FROM plan p, generate_series(1, p.visits) g
        WHERE p.visits > 0 AND p.visited_last - (g - 1) * p.gap >= p.registered_on""",
    ),
]

# The journeys' members: new members enter the welcome journey on the day they registered
# (the last two years), members away for a year the dormant journey on that day; a tenth of
# each is held out. Mails leave on their step's day between 10:00 and 13:00.
MESSAGES = """
INSERT INTO mail_message (library_id, enrolment_id, step_id, variant_id, status, due_on,
    to_email, subject, links, header_message_id, attempts, claimed_by, last_error,
    created_at, sent_at)
SELECT e.library_id, e.id, s.step_id, s.variant_id, o.status, e.entered_on + s.wait_days,
    'lid' || e.member_id || '@example.org', 'Onderwerp',
    '["https://www.bibliotheek.be/catalogus", "https://www.bibliotheek.be/agenda"]'::jsonb,
    '', 1, '', CASE WHEN o.status = 'failed' THEN '550 5.1.1' ELSE '' END,
    o.at, CASE WHEN o.status <> 'failed' THEN o.at END
FROM (SELECT e.*, j.library_id FROM journeys_enrolment e
      JOIN journeys_journey j ON j.id = e.journey_id
      WHERE NOT e.held_out AND (j.kind = 'broadcast') = (%(kind)s = 'broadcast')
        AND (%(kind)s = 'broadcast' OR j.key = %(kind)s)) e
JOIN plan_step s ON s.version_id = e.version_id AND s.segment = e.segment
CROSS JOIN LATERAL (SELECT
    CASE WHEN random() < 0.01 + 0 * e.id THEN 'failed'
         WHEN random() < 0.001 THEN 'uncertain' ELSE 'sent' END AS status,
    ((e.entered_on + s.wait_days) + time '10:00' + random() * interval '3 hours')
        AT TIME ZONE 'Europe/Brussels' AS at) o
WHERE e.entered_on + s.wait_days < %(today)s::date
"""

JOURNEYS = [
    (
        "welcome enrolments",
        """INSERT INTO journeys_enrolment (journey_id, version_id, member_id, entered_on,
               segment, held_out, status, exit_reason, ended_on, next_position, next_due_on)
        SELECT w.journey_id, w.version_id, p.member_id, p.registered_on, 'unknown',
               random() < w.holdout_percent / 100.0,
               CASE WHEN n.position IS NULL THEN 'completed' ELSE 'active' END, '',
               CASE WHEN n.position IS NULL THEN p.registered_on + w.longest END,
               n.position, p.registered_on + n.wait_days
        FROM plan p
        JOIN (SELECT library_id, journey_id, version_id, holdout_percent,
                     max(wait_days) AS longest
              FROM plan_step WHERE kind = 'welcome'
              GROUP BY library_id, journey_id, version_id, holdout_percent) w USING (library_id)
        LEFT JOIN LATERAL (SELECT position, wait_days FROM plan_step s
                           WHERE s.journey_id = w.journey_id AND s.segment = 'unknown'
                             AND p.registered_on + s.wait_days >= %(today)s::date
                           ORDER BY position LIMIT 1) n ON true
        WHERE p.registered_on >= %(today)s::date - 730 AND p.registered_on < %(today)s::date
          AND NOT p.no_email AND NOT p.unsubscribed""",
    ),
    ("welcome mails", MESSAGES.replace("%(kind)s", "'welcome'")),
    (
        "dormant enrolments",
        """INSERT INTO journeys_enrolment (journey_id, version_id, member_id, entered_on,
               segment, held_out, status, exit_reason, ended_on)
        SELECT d.journey_id, d.version_id, p.member_id, a.away + 365, p.segment,
               random() < d.holdout_percent / 100.0, 'completed', '', a.away + 365
        FROM plan p
        CROSS JOIN LATERAL (SELECT greatest(p.last_on, p.visited_last) AS away) a
        JOIN (SELECT DISTINCT library_id, journey_id, version_id, holdout_percent
              FROM plan_step WHERE kind = 'dormant') d USING (library_id)
        WHERE a.away + 365 BETWEEN %(today)s::date - 730 AND %(today)s::date - 1
          AND NOT p.no_email AND NOT p.unsubscribed""",
    ),
    ("dormant mails", MESSAGES.replace("%(kind)s", "'dormant'")),
]

BROADCAST_DAYS = """(SELECT DISTINCT library_id, journey_id, version_id, holdout_percent,
                            %(today)s::date - 30 - (broadcast - 1) * 120 AS day
                     FROM plan_step WHERE kind = 'broadcast') b"""

BROADCAST_PAIRS = f"""
SELECT sum(1 - b.holdout_percent / 100.0) FROM plan p JOIN {BROADCAST_DAYS} USING (library_id)
WHERE p.registered_on < b.day AND NOT p.no_email AND NOT p.unsubscribed
"""

# Each broadcast goes to the share of the members registered by its day that makes the
# network's mails add up to its size.
BROADCAST_ENROLMENTS = f"""
INSERT INTO journeys_enrolment (journey_id, version_id, member_id, entered_on, segment,
    held_out, status, exit_reason, ended_on)
SELECT b.journey_id, b.version_id, p.member_id, b.day, p.segment,
       random() < b.holdout_percent / 100.0, 'completed', '', b.day
FROM plan p JOIN {BROADCAST_DAYS} USING (library_id)
WHERE p.registered_on < b.day AND NOT p.no_email AND NOT p.unsubscribed
  AND random() < %(share)s
"""

# What members did with their mails: a third of those in libraries that track opens opened
# them (a fifth of the opens an image proxy's), one in twenty clicked (some through a link
# scanner), three in a thousand unsubscribed and five in a thousand voted.
SENT = "FROM mail_message m WHERE m.sent_at IS NOT NULL"
TRACKING = [
    (
        "opens",
        f"""INSERT INTO tracking_event (message_id, kind, machine, created_at)
        SELECT m.id, 'open', CASE WHEN random() < 0.2 THEN 'mail_proxy' ELSE '' END,
               m.sent_at + random() * interval '2 days'
        {SENT} AND random() < 0.35
          AND m.library_id IN (SELECT id FROM members_library WHERE track_opens)""",
    ),
    (
        "clicks",
        f"""INSERT INTO tracking_event (message_id, kind, link_index, machine, created_at)
        SELECT m.id, 'click', floor(random() * 2)::int,
               CASE WHEN random() < 0.1 THEN 'scanner' ELSE '' END,
               m.sent_at + random() * interval '2 days'
        {SENT} AND random() < 0.05""",
    ),
    (
        "unsubscribes",
        f"""INSERT INTO tracking_event (message_id, kind, created_at, machine)
        SELECT m.id, 'unsubscribe', m.sent_at + random() * interval '5 days', ''
        {SENT} AND random() < 0.003""",
    ),
    (
        "feedback",
        f"""INSERT INTO tracking_feedback (message_id, vote, comment, updated_at)
        SELECT m.id, CASE WHEN random() < 0.7 THEN 1 ELSE -1 END, '',
               m.sent_at + random() * interval '3 days'
        {SENT} AND random() < 0.005""",
    ),
    (
        "feedback events",
        """INSERT INTO tracking_event (message_id, kind, created_at, machine)
        SELECT message_id, 'feedback', updated_at, '' FROM tracking_feedback""",
    ),
]


def counts(url: str) -> dict[str, int]:
    """The rows generated, per table."""
    with psycopg.connect(url) as db:
        return {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("members_library", *BIG_TABLES)
        }


def as_json(value: dict) -> str:
    return json.dumps(value, sort_keys=True)
