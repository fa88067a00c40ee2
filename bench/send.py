"""Personalised, DKIM-signed mails delivered per second, into Postfix's smtp-sink. Prints
figures; asserts nothing.

    .venv/bin/python bench/send.py --smtp-sink /tmp/postfix/usr/sbin/smtp-sink \
        [--members 5000] [--database-url postgresql://...] [--repeat 3] [--baseline DIR]

smtp-sink is a C sink from Debian's `postfix` package: `apt-get download postfix`, then
`dpkg -x postfix_*.deb DIR`; the bench runs it with LD_LIBRARY_PATH=DIR/usr/lib/postfix (as
root it needs `-u nobody`, which the bench adds). A --database-url must name an empty
database: the bench migrates it and neither creates nor drops it. Measured, each `--repeat`
times:

1. patronflow: the welcome mail for N new members, queued, then claimed, rendered, signed
   and sent by 1 and by 2 worker processes (send_due_messages, as `tick` or a worker runs it),
   and by 3 (one can work while the others wait for the database or the SMTP server),
   rendered from per-batch skeletons (mail/skeletons.py) as shipped, and again with every
   mail rendered in full (settings.MAIL_SKELETONS = False). Timed from the moment the
   workers, Django and the URLconf loaded, are told to start; the rows "incl. starting the
   process" time from launching them;
2. naive: the same personalised mails (up to 2,000), each rendered in full and handed to
   Django's send_mail(), which opens a new connection per mail; no signature;
3. limit: one pre-rendered message pushed again and again through pipelined smtplib
   connections (the workers' SMTP session, one per process, 2 processes): what the sink and
   the loopback take at most.

With --baseline DIR, the workers of another checkout (another version of patronflow) send
the same mails in the same rounds, just before this version's: the ratio of the medians is
the change, measured under the same load.
"""

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the SMTP sink did not start")


def start_sink(binary: Path, port: int) -> subprocess.Popen:
    library_dir = binary.parent.parent / "lib" / "postfix"
    environment = {**os.environ, "LD_LIBRARY_PATH": str(library_dir)}
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    # -c: count only; backlog 256; the sink accepts everything.
    return subprocess.Popen(
        [str(binary), *user, "-c", f"127.0.0.1:{port}", "256"],
        env=environment,
        stdout=subprocess.DEVNULL,
    )


def setup_django(var_dir: str, database_url: str, smtp_url: str) -> None:
    os.environ["PATRONFLOW_VAR_DIR"] = var_dir
    if database_url:
        os.environ["PATRONFLOW_DATABASE_URL"] = database_url
    os.environ["PATRONFLOW_SMTP_URL"] = smtp_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "patronflow.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(members: int) -> None:
    """A library with a DKIM key, N new members, their welcome mails queued."""
    from django.core.management import call_command
    from django.utils import timezone

    from patronflow.journeys.models import Journey
    from patronflow.members.models import Member
    from patronflow.operations.libraries import add_library
    from patronflow.operations.tick import advance_journey

    call_command("migrate", verbosity=0)
    library = add_library(
        "bench",
        "Bibliotheek Bench",
        sender_email="nieuws@bench.example",
        privacy_url="https://bench.example/privacy",
        profile_url="https://bench.example/profiel",
        send_window="mon-sun 00:00-24:00",
        member_weekly_cap=None,
    )
    call_command("dkim", "bench", "--selector", "bench", stdout=open(os.devnull, "w"))  # noqa: SIM115
    library.journeys.get(key="welcome").versions.update(holdout_percent=0)
    today = timezone.localdate()
    first_names = ["Amélie", "Jan", "Fatima", "Pieter", "Zoë", "Mohamed", "Lotte", "Emre"]
    Member.objects.bulk_create(
        Member(
            library=library,
            external_id=f"M{n}",
            first_name=first_names[n % len(first_names)],
            last_name=f"Peeters{n}",
            email=f"lid{n}@example.org",
            birth_date=dt.date(1980, 1, 1),
            registered_on=today,
        )
        for n in range(members)
    )
    advance_journey(Journey.objects.get(library=library, key="welcome"), timezone.now())


def requeue() -> int:
    from patronflow.mail.models import Message

    return Message.objects.update(
        status=Message.Status.QUEUED,
        attempts=0,
        sent_at=None,
        next_attempt_at=None,
        claimed_by="",
        claimed_at=None,
        lease_expires_at=None,
    )


def worker(arguments: argparse.Namespace) -> None:
    """One sending process: everything due, as `tick` sends it. It says "ready" once Django
    and the URLconf are loaded (some seconds, which a long-running worker pays once) and
    starts sending when told to."""
    setup_django(arguments.var_dir, arguments.database_url, arguments.smtp_url)
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import timezone

    from patronflow.mail.services import send_due_messages

    settings.MAIL_SKELETONS = not arguments.full_render
    get_resolver().url_patterns  # noqa: B018 - imports every app's views now, not when timed
    print("ready", flush=True)
    sys.stdin.readline()
    print(send_due_messages(timezone.now()).sent)


def patronflow_run(
    arguments, processes: int, full_render: bool = False, tree: Path = ROOT
) -> tuple[int, float, float]:
    """(sent, seconds from "go", seconds including the processes' start); `tree`: the
    checkout whose code the workers run (another version's, for --baseline)."""
    from django.db import connections

    count = requeue()
    connections.close_all()
    script = str(tree / "bench" / "send.py")
    command = [sys.executable, script, "--worker", "--var-dir", arguments.var_dir]
    command += ["--smtp-url", arguments.smtp_url, "--database-url", arguments.database_url]
    command += ["--full-render"] if full_render else []
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    launched = time.perf_counter()
    runs = [
        subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment
        )
        for _ in range(processes)
    ]
    for run in runs:
        if run.stdout.readline().strip() != "ready":
            raise SystemExit("a worker did not start")
    started = time.perf_counter()
    for run in runs:
        run.stdin.write("go\n")
        run.stdin.flush()
    sent = sum(int(run.communicate()[0].split()[-1]) for run in runs)
    finished = time.perf_counter()
    if sent != count:
        raise SystemExit(f"sent {sent} of {count}")
    return sent, finished - started, finished - launched


def naive_run(count: int, smtp_url: str) -> float:
    """The same personalised mails the way a first version would send them: each rendered in
    full (reading tips chosen per mail) and handed to Django's send_mail, which opens a new
    connection for every mail; no signature."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import timezone

    from patronflow.mail.compose import TipChooser, render_message
    from patronflow.mail.models import Message

    host, port = smtp_url.removeprefix("smtp://").split(":")
    settings.EMAIL_HOST, settings.EMAIL_PORT = host, int(port)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    started = time.perf_counter()
    queued = Message.objects.select_related(
        "library", "variant", "step__version__journey", "enrolment__member"
    ).order_by("id")[:count]
    for message in queued:
        rendered = render_message(
            message, TipChooser([message], timezone.localdate()).for_message(message)
        )
        send_mail(
            rendered.subject,
            rendered.text,
            message.library.sender_email,
            [message.enrolment.member.email],
            html_message=rendered.html,
        )
    return time.perf_counter() - started


def _pipelined(port: int, count: int, raw: bytes) -> None:
    """One process's share of the limit: patronflow's smtplib session, pipelined."""
    from patronflow.mail.smtp import Envelope, SmtpServer, SmtpSession

    envelope = Envelope("b@bench.example", "x@example.org", raw)
    with SmtpSession(SmtpServer("smtp", "127.0.0.1", port)) as session:
        for _, outcome in session.send_all((n, envelope) for n in range(count)):
            if outcome is not None:
                raise SystemExit(f"the sink refused a mail: {outcome}")


def limit_run(count: int, port: int, processes: int = 2) -> float:
    """One pre-rendered message sent again and again over pipelined smtplib connections (the
    SMTP session the workers use, nothing rendered, signed or recorded): the sink's ceiling."""
    from django.utils import timezone

    from patronflow.mail.compose import TipChooser, compose, render_message
    from patronflow.mail.models import Message

    message = Message.objects.select_related(
        "library", "variant", "step__version__journey", "enrolment__member"
    ).first()
    tips = TipChooser([message], timezone.localdate())
    raw = compose(message, render_message(message, tips.for_message(message)))
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.send import _pipelined; "
        f"_pipelined({port}, {count // processes}, sys.stdin.buffer.read())"
    )
    started = time.perf_counter()
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
        for _ in range(processes)
    ]
    for run in runs:
        run.communicate(raw)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--smtp-sink", type=Path, help="Path to Postfix's smtp-sink binary.")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="A checkout of another version (e.g. `git worktree add /tmp/before REF`): its "
        "workers send the same mails in the same rounds, and the ratio is printed.",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    parser.add_argument("--smtp-url", help=argparse.SUPPRESS)
    parser.add_argument("--full-render", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments)
        return
    if not arguments.smtp_sink:
        parser.error("--smtp-sink is needed (see the top of this file)")
    port = free_port()
    sink = start_sink(arguments.smtp_sink, port)
    arguments.var_dir = tempfile.mkdtemp(prefix="patronflow-bench-send-")
    arguments.smtp_url = f"smtp://127.0.0.1:{port}"
    try:
        wait_for(port)
        setup_django(arguments.var_dir, arguments.database_url, arguments.smtp_url)
        from django.db import connection

        prepare(arguments.members)
        n = arguments.members
        names = ["1", "2", "3", "1 cold", "2 cold", "1 full", "2 full", "naive", "limit"]
        figures: dict[str, list[float]] = {
            name: [] for name in [*names, "1 baseline", "2 baseline"]
        }
        for _ in range(arguments.repeat):
            for processes in (1, 2):
                if arguments.baseline:
                    sent, elapsed, _ = patronflow_run(arguments, processes, tree=arguments.baseline)
                    figures[f"{processes} baseline"].append(sent / elapsed)
                sent, elapsed, cold = patronflow_run(arguments, processes)
                figures[str(processes)].append(sent / elapsed)
                figures[f"{processes} cold"].append(sent / cold)
                sent, elapsed, _ = patronflow_run(arguments, processes, full_render=True)
                figures[f"{processes} full"].append(sent / elapsed)
            sent, elapsed, _ = patronflow_run(arguments, 3)
            figures["3"].append(sent / elapsed)
            naive_n = min(n, 2000)
            figures["naive"].append(naive_n / naive_run(naive_n, arguments.smtp_url))
            figures["limit"].append(n / limit_run(n, port))
        figures = {name: values for name, values in figures.items() if values}
        best = {name: max(values) for name, values in figures.items()}
        median = {name: statistics.median(values) for name, values in figures.items()}
        print(f"database: {connection.vendor}, mails per run: {n}, runs: {arguments.repeat}")
        print(f"{'':38}{'best':>10}{'median':>10}   (mails/s)")
        rows = {
            "patronflow, 1 worker process": "1",
            "patronflow, 2 worker processes": "2",
            "patronflow, 3 worker processes": "3",
            "  incl. starting the process, 1 proc.": "1 cold",
            "  incl. starting the processes, 2 proc.": "2 cold",
            "  every mail rendered in full, 1 proc.": "1 full",
            "  every mail rendered in full, 2 proc.": "2 full",
            "naive send_mail loop": "naive",
            "limit: pre-rendered, pipelined, 2 conn.": "limit",
        }
        if arguments.baseline:
            rows["baseline, 1 worker process"] = "1 baseline"
            rows["baseline, 2 worker processes"] = "2 baseline"
        for label, name in rows.items():
            print(f"{label:38}{best[name]:>10,.0f}{median[name]:>10,.0f}")
        if arguments.baseline:
            ratios = [f"{median[str(n)] / median[f'{n} baseline']:.2f}" for n in (1, 2)]
            print(f"this version vs {arguments.baseline}, 1 / 2 workers: {' / '.join(ratios)}")
        print(f"2 workers vs naive loop: {median['2'] / median['naive']:.1f}×")
        print(f"2 workers vs the limit:  {median['2'] / median['limit']:.0%}")
        print(
            f"skeletons vs full rendering, 1 / 2 workers: "
            f"{median['1'] / median['1 full']:.1f}× / {median['2'] / median['2 full']:.1f}×"
        )
        print(
            f"full rendering, 2 workers: {median['2 full'] / median['naive']:.1f}× "
            f"the naive loop, {median['2 full'] / median['limit']:.0%} of the limit"
        )
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
