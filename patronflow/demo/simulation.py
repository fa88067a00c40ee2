"""The demo run: a synthetic library goes through the real pipeline for 60 simulated days.

Nothing is faked past the edge of the system: the exports are imported with the importer,
`tick` enrols, renders and sends over SMTP to a real (in-process) server that writes a
maildir, and simulated members open, click, vote and unsubscribe by requesting the links in
the mails they received from the real tracking endpoints over HTTP. Members who were won
back borrow again, which arrives as the next night's loans import.
"""

import csv
import datetime as dt
import email
import email.policy
import random
import re
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from patronflow.demo.generator import generate_library
from patronflow.demo.servers import MaildirSmtpServer, TrackingServer
from patronflow.journeys.services import tick
from patronflow.members.imports import ImportSummary, import_file, import_rows
from patronflow.members.models import Item, Library, Member
from patronflow.members.services import add_library

# How simulated members behave; chosen to look like a library's real figures.
OPEN_RATE = 0.45
CLICK_RATE_OF_OPENERS = 0.35
FEEDBACK_RATE_OF_OPENERS = 0.10
THUMBS_UP_SHARE = 0.8
UNSUBSCRIBE_RATE = 0.015
COMES_BACK_AFTER_CLICK = 0.30
COMES_BACK_WITHOUT_CLICK = 0.06


@dataclass
class DemoOutcome:
    imports: list[ImportSummary] = field(default_factory=list)
    mails: int = 0
    interactions: Counter = field(default_factory=Counter)
    came_back: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    maildir: Path | None = None
    examples: dict[str, Path] = field(default_factory=dict)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A member's browser would follow the redirect off to the library's site; we only need
    to see where it points (and this machine has no internet)."""

    def redirect_request(self, *args, **kwargs):
        return None


_browser = urllib.request.build_opener(_NoRedirects)


def _request(url: str, data: bytes | None = None) -> int:
    try:
        with _browser.open(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:  # 302 arrives here when redirects are refused
        return error.code


def create_demo_library() -> Library:
    library = add_library(
        "zonnedorp",
        "Bibliotheek Zonnedorp",
        sender_name="Bibliotheek Zonnedorp",
        sender_email="nieuws@zonnedorp.bibliotheek.example",
        privacy_url="https://zonnedorp.bibliotheek.example/privacy",
        profile_url="https://zonnedorp.bibliotheek.example/mijn-bibliotheek",
        survey_url="https://zonnedorp.bibliotheek.example/enquete",
        track_opens=True,  # the demo library asked its members' consent
    )
    return library


class SimulatedMembers:
    """Decides, reproducibly, what each member does with a mail, and does it over HTTP."""

    def __init__(self, library: Library, seed: int, outcome: DemoOutcome) -> None:
        self.library = library
        self.random = random.Random(seed)
        self.outcome = outcome
        self.returns: dict[dt.date, list[str]] = defaultdict(list)
        self.items = list(
            Item.objects.filter(library=library).values_list("external_id", flat=True)
        )

    def read(self, mail: EmailMessage, today: dt.date) -> None:
        html = mail.get_body(("html",)).get_content()
        links = re.findall(r'href="([^"]+)"', html)
        pixel = re.search(r'<img src="([^"]+/t/o/[^"]+)"', html)
        clicked = False
        if self.random.random() < UNSUBSCRIBE_RATE:
            _request(
                mail["List-Unsubscribe"].strip().strip("<>"), data=b"List-Unsubscribe=One-Click"
            )
            self.outcome.interactions["unsubscribed"] += 1
        elif self.random.random() < OPEN_RATE:
            if pixel:
                _request(pixel.group(1))
            self.outcome.interactions["opened"] += 1
            content_links = [link for link in links if "/t/c/" in link]
            if content_links and self.random.random() < CLICK_RATE_OF_OPENERS:
                _request(self.random.choice(content_links))
                self.outcome.interactions["clicked"] += 1
                clicked = True
            if self.random.random() < FEEDBACK_RATE_OF_OPENERS:
                vote = "up" if self.random.random() < THUMBS_UP_SHARE else "down"
                [feedback] = [link for link in links if link.endswith(f"/{vote}")]
                _request(feedback)
                self.outcome.interactions[f"thumbs {vote}"] += 1
        if "dormant." in mail["List-Id"]:
            chance = COMES_BACK_AFTER_CLICK if clicked else COMES_BACK_WITHOUT_CLICK
            if self.random.random() < chance:
                member_id = Member.objects.get(
                    library=self.library, email=mail["To"].addresses[0].addr_spec
                ).external_id
                self.returns[today + dt.timedelta(days=self.random.randint(1, 21))].append(
                    member_id
                )

    def borrow(self, today: dt.date) -> list[dict[str, str]]:
        """The loans of members who come back today, as the next nightly export has them."""
        return [
            {
                "loan_id": f"demo-return-{today:%Y%m%d}-{n}",
                "member_id": member_id,
                "item_id": self.random.choice(self.items),
                "loaned_on": today.isoformat(),
            }
            for n, member_id in enumerate(self.returns.pop(today, []))
        ]


def _arrivals_by_day(path: Path) -> dict[str, list[dict[str, str]]]:
    by_day: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            by_day[row["registered_on"]].append(row)
    return by_day


def run_demo(directory: Path, members: int, days: int, seed: int, progress) -> DemoOutcome:
    """Build the library, import it and run `days` days of journeys; `progress` is a rich
    Progress the run reports to."""
    outcome = DemoOutcome()
    today = timezone.localdate()
    start = today - dt.timedelta(days=days)
    clock = time.perf_counter()

    exports = directory / "exports"
    task = progress.add_task("Generating the library's exports", total=None)
    generate_library(exports, members=members, start=start, days=days, seed=seed)
    progress.update(task, total=1, completed=1)
    library = create_demo_library()
    for kind in ("items", "members", "loans"):
        task = progress.add_task(f"Importing {kind}.csv", total=1)

        def report(done: int, total: int, task=task) -> None:
            progress.update(task, completed=done, total=total)

        outcome.imports.append(import_file(library, kind, exports / f"{kind}.csv", report))
    outcome.seconds["generate and import"] = time.perf_counter() - clock

    clock = time.perf_counter()
    arrivals = _arrivals_by_day(exports / "arrivals.csv")
    behaviour = SimulatedMembers(library, seed, outcome)
    outcome.maildir = directory / "mail"
    with MaildirSmtpServer(outcome.maildir) as smtp, TrackingServer() as web:
        settings.SMTP_URL = smtp.url
        settings.BASE_URL = web.url
        seen: set[str] = set()
        task = progress.add_task("Running the journeys, day by day", total=days)
        for offset in range(1, days + 1):
            day = start + dt.timedelta(days=offset)
            nightly = arrivals.get(day.isoformat(), [])
            if nightly:
                import_rows(library, "members", nightly, source=f"arrivals {day}")
            returns = behaviour.borrow(day)
            if returns:
                import_rows(library, "loans", returns, source=f"loans {day}")
            # Mid-morning: inside the default send window (mon-sat 09:00-20:00); what falls
            # due on a Sunday waits for Monday, as it would for the library.
            tick(timezone.make_aware(dt.datetime.combine(day, dt.time(10))))
            maildir = smtp.maildir
            for key in sorted(set(maildir.keys()) - seen):
                seen.add(key)
                mail = email.message_from_bytes(maildir.get_bytes(key), policy=email.policy.default)
                outcome.mails += 1
                journey = mail["List-Id"].split("<")[1].split(".")[0]
                if journey not in outcome.examples:
                    outcome.examples[journey] = _save_example(directory, journey, mail)
                behaviour.read(mail, day)
            progress.update(
                task, advance=1, description=f"Day {offset}/{days}: {outcome.mails} mails"
            )
    outcome.came_back = (
        Member.objects.filter(library=library, loans__external_id__startswith="demo-return-")
        .distinct()
        .count()
    )
    outcome.seconds[f"{days} days of journeys"] = time.perf_counter() - clock
    return outcome


def _save_example(directory: Path, journey: str, mail: EmailMessage) -> Path:
    """Keep the first mail of each journey as .eml and .html, for a person to open."""
    examples = directory / "examples"
    examples.mkdir(exist_ok=True)
    (examples / f"{journey}.eml").write_bytes(mail.as_bytes())
    html_file = examples / f"{journey}.html"
    html_file.write_text(mail.get_body(("html",)).get_content(), encoding="utf-8")
    return html_file
