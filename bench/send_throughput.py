"""How fast does one `tick` enrol, render and send? Prints figures; asserts nothing.

    .venv/bin/python bench/send_throughput.py [--members 5000] [--database-url URL]

A fresh database (SQLite in a temporary folder unless --database-url is given) gets N new
members; one tick enrols them in the welcome journey and sends mail 1 to an SMTP sink
(aiosmtpd's Sink handler in a separate process, so it does not share our CPU time).
"""

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the SMTP sink did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    arguments = parser.parse_args()

    os.environ["PATRONFLOW_VAR_DIR"] = tempfile.mkdtemp(prefix="patronflow-bench-")
    if arguments.database_url:
        os.environ["PATRONFLOW_DATABASE_URL"] = arguments.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "patronflow.settings"
    port = free_port()
    sink_command = ["-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l"]
    sink = subprocess.Popen([sys.executable, *sink_command, f"127.0.0.1:{port}"])
    try:
        wait_for(port)
        run(arguments.members, f"smtp://127.0.0.1:{port}")
    finally:
        sink.terminate()


def run(members: int, smtp_url: str) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from patronflow.journeys.models import Journey
    from patronflow.journeys.services import advance_journey
    from patronflow.mail.services import send_due_messages
    from patronflow.members.models import Member
    from patronflow.members.services import add_library

    settings.SMTP_URL = smtp_url
    call_command("migrate", verbosity=0)
    library = add_library(
        "bench",
        "Bibliotheek Bench",
        sender_email="nieuws@bench.example",
        privacy_url="https://bench.example/privacy",
        profile_url="https://bench.example/profiel",
        # Measure sending whatever the day and hour: no window, no caps, no control group.
        send_window="mon-sun 00:00-24:00",
        member_weekly_cap=None,
    )
    library.journeys.get(key="welcome").versions.update(holdout_percent=0)
    today = timezone.localdate()
    Member.objects.bulk_create(
        Member(
            library=library,
            external_id=f"M{n}",
            first_name="Lid",
            email=f"lid{n}@example.org",
            birth_date=dt.date(1980, 1, 1),
            registered_on=today,
        )
        for n in range(members)
    )
    welcome = Journey.objects.get(library=library, key="welcome")
    now = timezone.now()

    started = time.perf_counter()
    progress = advance_journey(welcome, now)
    enrolled = time.perf_counter() - started
    started = time.perf_counter()
    summary = send_due_messages(now)
    sending = time.perf_counter() - started

    print(f"database: {connection.vendor}, members: {members}")
    print(
        f"enrol + queue: {progress.entered} enrolments, {progress.queued} messages "
        f"in {enrolled:.2f} s ({progress.queued / enrolled:,.0f} messages/s)"
    )
    print(
        f"render + send: {summary.sent} sent in {sending:.2f} s "
        f"({summary.sent / sending:,.0f} mails/s over one SMTP connection per batch)"
    )


if __name__ == "__main__":
    main()
