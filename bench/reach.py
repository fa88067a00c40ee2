"""How long does a broadcast's reach estimate take? Prints figures; asserts nothing.

    .venv/bin/python bench/reach.py [--members 1000000 --queued 50000]
    (REACH_BENCH_DATABASE_URL: another scratch database than
    postgresql://postgres@127.0.0.1:5432/pf_bcast_bench)

Fills a PostgreSQL database of its own (dropped and made again) with one library of
`--members` members (a tenth without an address, some too young, unsubscribed or with an
ended membership, a third with an online profile), a daily cap and the default cap per
member, and `--queued` mails of another journey waiting in the outbox for today, half of
them to members who had a mail this week. Then the estimate the journey page shows
(operations/reach.py: audience, privacy rules, holdout draw, and the claim replayed over the
window and the caps) for broadcasts tomorrow at 10:00 to everyone and to the members with an
online profile: the first run on a new connection ("cold") and the median of three more.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import django
import psycopg

DATABASE_URL = os.environ.get(
    "REACH_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/pf_bcast_bench"
)
os.environ["PATRONFLOW_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("PATRONFLOW_SECRET_KEY", "bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "patronflow.settings"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from patronflow.journeys.definitions import install_journey  # noqa: E402
from patronflow.journeys.models import Enrolment, Journey  # noqa: E402
from patronflow.mail.models import Message  # noqa: E402
from patronflow.members.models import Library  # noqa: E402
from patronflow.members.windows import wall_clock  # noqa: E402
from patronflow.operations.reach import estimate  # noqa: E402

AUDIENCES = {"everyone": {}, "with an online profile": {"has_online_profile": True}}
DAILY_CAP = 100_000
CHUNK = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--queued", type=int, default=50_000)
    arguments = parser.parse_args()
    recreate_database(DATABASE_URL)
    call_command("migrate", verbosity=0)
    clock = time.perf_counter()
    library = fill(arguments.members, arguments.queued)
    print(f"filled in {time.perf_counter() - clock:.0f} s")
    measure(library)


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def step(subject: str) -> dict:
    return {
        "name": subject,
        "wait_days": 0,
        "variants": [{"segment": "", "subject": subject, "body": "<p>Dag {{ first_name }}</p>"}],
    }


def fill(members: int, queued: int) -> Library:
    """The library, its members, and another journey's mails waiting in the outbox."""
    library = Library.objects.create(
        code="bench", name="Bibliotheek Bench", daily_cap=DAILY_CAP, sender_email="a@b.be"
    )
    with connection.cursor() as cursor:
        cursor.execute(MEMBERS, {"library": library.pk, "size": members})
    other = install_journey(
        library, {"key": "andere", "name": "Andere", "status": "active", "steps": [step("A")]}
    ).journey
    version = other.current_version
    first = version.steps.get()
    variant = first.variants.get()
    today = timezone.localdate()
    now = timezone.now()
    ids = list(library.members.order_by("id").values_list("id", flat=True)[:queued])
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        enrolments = Enrolment.objects.bulk_create(
            Enrolment(journey=other, version=version, member_id=pk, entered_on=today)
            for pk in chunk
        )
        Message.objects.bulk_create(
            Message(
                library=library, enrolment=e, step=first, variant=variant, due_on=today,
                **(
                    {"status": Message.Status.SENT, "sent_at": now - dt.timedelta(days=2)}
                    if e.member_id % 2 else {}
                ),
            )
            for e in enrolments
        )  # fmt: skip
    for name, conditions in AUDIENCES.items():
        install_journey(
            library,
            {
                "key": name.replace(" ", "-"),
                "name": name,
                "kind": "broadcast",
                "send_at": tomorrow_at_ten(library).isoformat(),
                "entry": conditions,
                "holdout_percent": 10,
                "steps": [step(name)],
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return library


def tomorrow_at_ten(library: Library) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=1)
    while str(day.isoweekday()) not in library.send_days:
        day += dt.timedelta(days=1)
    return wall_clock(day, dt.time(10), library.send_window.zone)


MEMBERS = """
INSERT INTO members_member (library_id, external_id, first_name, last_name, email, birth_date,
    registered_on, last_activity_on, has_online_profile, membership_ends_on, unsubscribed_at,
    updated_at)
SELECT %(library)s, 'M' || g, 'Lid', 'Bench',
    CASE WHEN random() < 0.1 THEN '' ELSE 'lid' || g || '@example.org' END,
    CASE WHEN random() < 0.05 THEN current_date - 3000 ELSE current_date - 12000 END,
    current_date - 2000, current_date - (random() * 1000)::int,
    random() < 0.35,
    CASE WHEN random() < 0.05 THEN current_date - 10 END,
    CASE WHEN random() < 0.04 THEN now() END,
    now()
FROM generate_series(1, %(size)s) g
"""


def measure(library: Library) -> None:
    load = os.getloadavg()[0]
    print(f"\nestimated on {os.cpu_count()} cores, load average {load:.1f} when starting")
    print(
        f"{'broadcast':<24}{'members':>10}{'mailable':>10}{'mailed':>10}{'days':>6}"
        f"{'cold s':>9}{'warm s':>9}"
    )
    for journey in Journey.objects.filter(library=library, kind="broadcast").order_by("key"):
        now = timezone.now()
        connections.close_all()
        clock = time.perf_counter()
        reach = estimate(journey, now=now)
        cold = time.perf_counter() - clock
        runs = []
        for _ in range(3):
            clock = time.perf_counter()
            estimate(journey, now=now)
            runs.append(time.perf_counter() - clock)
        print(
            f"{journey.name:<24}{reach.matching:>10,}{reach.mailable:>10,}{reach.mailed:>10,}"
            f"{len(reach.per_day):>6}{cold:>9.2f}{statistics.median(runs):>9.2f}"
        )


if __name__ == "__main__":
    main()
