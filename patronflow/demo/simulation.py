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
import math
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
from patronflow.journeys.models import Enrolment
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
RETURNS_WITHIN_DAYS = 21  # a member won back borrows within three weeks of the mail
# What a member reads with. Some read in Gmail, whose image proxy loads the pixel for them: a
# machine's open in the reports (tracking/machines.py), counted apart from the members'.
MEMBER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IMAGE_PROXY_AGENT = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
IMAGE_PROXY_SHARE = 0.25


@dataclass(frozen=True)
class TrueEffect:
    """How often dormant members come back within 30 days of the mail (or of the day it was
    due, held out): the answer the report's holdout comparison must recover. Those who click
    are likelier to come back than those who do not, and the average over mailed members is
    `mailed`."""

    mailed: float = 0.12
    held_out: float = 0.08
    click_makes_likelier: float = 2.0

    @property
    def lift(self) -> float:
        return self.mailed - self.held_out

    def chance(self, *, clicked: bool, click_rate: float) -> float:
        """The chance for a mailed member who did (not) click, so that the mailed average holds."""
        unclicked = self.mailed / (1 + click_rate * (self.click_makes_likelier - 1))
        return min(1.0, unclicked * self.click_makes_likelier) if clicked else unclicked


CLICK_RATE = OPEN_RATE * CLICK_RATE_OF_OPENERS * (1 - UNSUBSCRIBE_RATE)


def simulate_holdout_outcomes(
    members: int,
    effect: TrueEffect,
    *,
    seed: int,
    holdout_share: float = 0.10,
    start: dt.date = dt.date(2026, 1, 5),
    loans_when_back: float = 2.5,
) -> list:
    """Dormant members who entered over four weeks, their group drawn as the journey draws it,
    and whether and when they came back, with the loans they took: the rows the report's
    statistics read, without sending any mail. Loans of those who come back are 1 + Poisson."""
    from patronflow.reports.effect import Outcome

    rng = random.Random(seed)
    outcomes = []
    for _ in range(members):
        held_out = rng.random() < holdout_share
        rate = effect.held_out if held_out else effect.mailed
        day = start + dt.timedelta(days=rng.randrange(28))
        if rng.random() < rate:
            first = rng.randint(1, 30)
            extra = _poisson(rng, loans_when_back - 1)
            days = sorted([first, *(rng.randint(first, 90) for _ in range(extra))])
            outcomes.append(Outcome(held_out, day, first, tuple(days)))
        else:
            outcomes.append(Outcome(held_out, day))
    return outcomes


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of loans per visit."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


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


def _request(url: str, data: bytes | None = None, agent: str = MEMBER_AGENT) -> int:
    request = urllib.request.Request(url, data=data, headers={"User-Agent": agent})
    try:
        with _browser.open(request, timeout=10) as response:
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

    def __init__(
        self, library: Library, seed: int, outcome: DemoOutcome, effect: TrueEffect | None = None
    ) -> None:
        self.library = library
        self.random = random.Random(seed)
        self.outcome = outcome
        self.effect = effect or TrueEffect()
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
            # The header may offer a mailto: too; one-click (RFC 8058) is the web address.
            [web, *_] = re.findall(r"<(https?://[^>]+)>", mail["List-Unsubscribe"])
            _request(web, data=b"List-Unsubscribe=One-Click")
            self.outcome.interactions["unsubscribed"] += 1
        elif self.random.random() < OPEN_RATE:
            if pixel:
                through_proxy = self.random.random() < IMAGE_PROXY_SHARE
                _request(pixel.group(1), agent=IMAGE_PROXY_AGENT if through_proxy else MEMBER_AGENT)
            self.outcome.interactions["opened"] += 1
            content_links = [link for link in links if "/t/c/" in link]
            if content_links and self.random.random() < CLICK_RATE_OF_OPENERS:
                _request(self.random.choice(content_links))
                self.outcome.interactions["clicked"] += 1
                clicked = True
            if self.random.random() < FEEDBACK_RATE_OF_OPENERS:
                vote = "up" if self.random.random() < THUMBS_UP_SHARE else "down"
                [feedback] = [link for link in links if link.endswith(f"/{vote}")]
                _request(feedback, data=f"vote={vote}".encode())  # the page's button
                self.outcome.interactions[f"thumbs {vote}"] += 1
        if "dormant." in mail["List-Id"]:
            chance = self.effect.chance(clicked=clicked, click_rate=CLICK_RATE)
            if self.random.random() < chance:
                member_id = Member.objects.get(
                    library=self.library, email=mail["To"].addresses[0].addr_spec
                ).external_id
                self.come_back(member_id, today)

    def come_back(self, member_id: str, today: dt.date) -> None:
        self.returns[today + dt.timedelta(days=self.random.randint(1, RETURNS_WITHIN_DAYS))].append(
            member_id
        )

    def live_on_without_mail(self, today: dt.date) -> None:
        """Held-out dormant members get no mail, yet some come back anyway: the baseline rate
        the mails are measured against."""
        held_out = Enrolment.objects.filter(
            journey__library=self.library, journey__key="dormant", held_out=True, entered_on=today
        ).values_list("member__external_id", flat=True)
        for member_id in held_out:
            if self.random.random() < self.effect.held_out:
                self.come_back(member_id, today)

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


def run_demo(
    directory: Path,
    members: int,
    days: int,
    seed: int,
    progress,
    effect: TrueEffect | None = None,
) -> DemoOutcome:
    """Build the library, import it and run `days` days of journeys; `progress` is a rich
    Progress the run reports to; `effect` sets how often dormant members come back, mailed
    and held out."""
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
    behaviour = SimulatedMembers(library, seed, outcome, effect)
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
            behaviour.live_on_without_mail(day)
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
