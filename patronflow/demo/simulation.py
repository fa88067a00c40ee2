"""The demo run: a network of three synthetic libraries goes through the real pipeline for 60
simulated days.

Nothing is faked past the edge of the system: the exports are imported with the importer,
`tick` enrols, renders and sends over SMTP to a real (in-process) server that writes a
maildir, and simulated members open, click, vote and unsubscribe by requesting the links in
the mails they received from the real tracking endpoints over HTTP. Members go on borrowing
and registering through the simulated days, mailed or not; the mails have a known true effect
(TrueEffects) on who comes back, who borrows again and who makes an online profile, and all
of it arrives as the next night's exports.
"""

import csv
import datetime as dt
import email
import email.utils
import math
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from itertools import accumulate
from pathlib import Path

import numpy as np
from django.test import override_settings
from django.utils import timezone
from scipy import stats

from patronflow.demo.generator import MALFORMED_ROWS, MINIMUM_MEMBERS, generate_library
from patronflow.demo.servers import MaildirSmtpServer, TrackingServer
from patronflow.journeys.definitions import install_journey, standard_definition
from patronflow.journeys.models import Enrolment, Journey
from patronflow.members.import_summary import ImportSummary
from patronflow.members.models import Item, Library, Member
from patronflow.operations.imports import import_file, import_rows
from patronflow.operations.libraries import add_library
from patronflow.operations.lifecycle import change_status
from patronflow.operations.tick import tick
from patronflow.reports.effect import Outcome
from patronflow.reports.estimators import Change, Moments
from patronflow.surveys.models import Survey
from patronflow.surveys.services import add_question, create_survey, set_status

# How simulated members behave; chosen to look like a library's real figures.
OPEN_RATE = 0.45
CLICK_RATE_OF_OPENERS = 0.35
FEEDBACK_RATE_OF_OPENERS = 0.10
THUMBS_UP_SHARE = 0.8
UNSUBSCRIBE_RATE = 0.015
# Of the members who open a mail, some follow its survey link and answer; some of them join
# the focus group.
SURVEY_RATE_OF_OPENERS = 0.08
VOLUNTEER_SHARE = 0.2
# The library's own survey in the demo: (kind, question, choices, required).
DEMO_SURVEY = (
    ("single", "Hoe vaak lees je onze mails?", ["Altijd", "Soms", "Bijna nooit"], True),
    ("scale", "Hoe tevreden ben je over de leestips in onze mails?", [], True),
    ("multiple", "Waarover wil je meer horen?", ["Nieuwe boeken", "Activiteiten", "E-boeken"],
     False),
    ("open", "Wat kunnen we beter doen?", [], False),
)  # fmt: skip
OPEN_ANSWERS = (
    "Meer tips voor jongeren graag.",
    "De mails zijn fijn kort.",
    "Ik zou graag horen wanneer er voorleesuurtjes zijn.",
)
RETURNS_WITHIN_DAYS = 21  # a member won back borrows within three weeks of the mail
BORROWS_AGAIN_WITHIN_DAYS = 30  # a new member's next visit after the day they registered
PROFILE_WITHIN_DAYS = 14  # a new member who makes the online profile does so within two weeks
# What a member reads with. Some read in Gmail, whose image proxy loads the pixel for them: a
# machine's open in the reports (tracking/machines.py), counted apart from the members'.
MEMBER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IMAGE_PROXY_AGENT = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
IMAGE_PROXY_SHARE = 0.25


@dataclass(frozen=True)
class TrueEffect:
    """How often members do what a journey's mails ask of them within some days of the first
    mail (or of the day it was due, held out): the answer the report's holdout comparison must
    recover. Those who click are likelier to do it than those who do not, and the average over
    mailed members is `mailed`. The defaults: dormant members who come back within 30 days."""

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


@dataclass(frozen=True)
class TrueEffects:
    """What the demo's mails do, journey by journey, mailed against held out."""

    # Dormant members who come back (borrow) within 21 days of the "we miss you" mail.
    coming_back: TrueEffect = TrueEffect()
    # New members who borrow again within 30 days of the welcome mail (a loan at the desk on
    # the day they register, which many take, does not count: it comes before any mail).
    borrowing_again: TrueEffect = TrueEffect(mailed=0.55, held_out=0.40)
    # New members without an online profile who make one within two weeks of the welcome mail,
    # which asks them to.
    making_a_profile: TrueEffect = TrueEffect(mailed=0.50, held_out=0.20)


def simulate_holdout_outcomes(
    members: int,
    effect: TrueEffect,
    *,
    seed: int,
    holdout_share: float = 0.10,
    start: dt.date = dt.date(2026, 1, 5),
    loans_when_back: float = 2.5,
) -> list[Outcome]:
    """Dormant members who entered over four weeks, their group drawn as the journey draws it,
    and whether and when they came back, with the loans they took: the rows the report's
    statistics read, without sending any mail. Loans of those who come back are 1 + Poisson."""
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


# Members with a habit: what they did before entering says something about what they do
# after, as members' loans in one quarter and the next do (correlation about 0.5). The
# adjusted comparison (reports/estimators.py) uses that to narrow its interval.
ACTIVE = TrueEffect(mailed=0.44, held_out=0.40)
HABIT = 0.6  # the latent correlation of activity before and coming back after
LOANS_BEFORE = 3.0  # loans in the PRE_PERIOD_DAYS before entering, on average
SPREAD = 0.6  # how unequal members are in how much they borrow (log scale)


@dataclass(frozen=True)
class Entries:
    """Simulated members of a journey, one array element each, in the order they entered:
    their group, entry day, loans before entering, whether they came back within the window
    and their loans in it."""

    held_out: np.ndarray
    entered: np.ndarray
    before: np.ndarray
    returned: np.ndarray
    loans: np.ndarray

    def moments_by_look(
        self, look_days: Sequence[int], window: int = 30
    ) -> list[dict[tuple[str, bool], Moments]]:
        """Per reading (a day since the first entry): each group's Moments of coming back
        and of loans over the members whose window has passed by then — the growing
        network a member of staff sees at each weekly look."""
        counts = np.searchsorted(self.entered, np.asarray(look_days) - window, side="right")
        looks: list[dict[tuple[str, bool], Moments]] = [{} for _ in look_days]
        for held_out in (False, True):
            mask = self.held_out == held_out
            x = np.where(mask, self.before, 0).astype(float)
            for outcome, values in (("returned", self.returned), ("loans", self.loans)):
                y = np.where(mask, values, 0).astype(float)
                sums = [np.cumsum(a) for a in (mask.astype(float), x, y, x * x, y * y, x * y)]
                for look, count in zip(looks, counts, strict=True):
                    last = [float(total[count - 1]) if count else 0.0 for total in sums]
                    look[(outcome, held_out)] = Moments(int(last[0]), *last[1:])
        return looks


def simulate_entries(
    members: int,
    effect: TrueEffect = ACTIVE,
    *,
    rng: np.random.Generator,
    holdout_share: float = 0.10,
    habit: float = HABIT,
    days: int = 84,
    loans_when_back: float = 2.5,
) -> Entries:
    """Members entering a journey over `days`, each with a latent habit z: loans before
    entering are Poisson around LOANS_BEFORE * exp(SPREAD z); they come back within the
    window when habit * z + sqrt(1 − habit²) * noise clears their group's threshold, so that
    exactly `effect.mailed` and `effect.held_out` come back on average (the true lift), and
    take 1 + Poisson loans, more the more they borrowed before. habit=0: nothing before."""
    entered = np.sort(rng.integers(0, days, members))
    held_out = rng.random(members) < holdout_share
    z = rng.standard_normal(members)
    level = np.exp(SPREAD * z - SPREAD**2 / 2)
    before = rng.poisson(LOANS_BEFORE * level) if habit else np.zeros(members, dtype=int)
    share = np.where(held_out, effect.held_out, effect.mailed)
    latent = habit * z + math.sqrt(1 - habit**2) * rng.standard_normal(members)
    returned = latent > stats.norm.ppf(1 - share)
    extra = rng.poisson((loans_when_back - 1) * (level if habit else 1.0))
    loans = np.where(returned, 1 + extra, 0)
    return Entries(held_out, entered, before, returned.astype(int), loans)


def as_outcomes(entries: Entries, start: dt.date = dt.date(2026, 1, 5)) -> list[Outcome]:
    """The simulated members as the report's Outcome rows (back on day 1..30, loans from then
    on within the window)."""
    outcomes = []
    for held_out, day, before, returned, loans in zip(
        entries.held_out.tolist(),
        entries.entered.tolist(),
        entries.before.tolist(),
        entries.returned.tolist(),
        entries.loans.tolist(),
        strict=True,
    ):
        back = 1 + day % 30 if returned else None
        loan_days = tuple([back] * loans) if returned else ()
        outcomes.append(
            Outcome(held_out, start + dt.timedelta(days=day), back, loan_days, before=before)
        )
    return outcomes


@dataclass(frozen=True)
class LibraryNetwork:
    """Simulated libraries' monthly loans in the baseline year and the measured months: a
    trend common to the network, each library's own lasting deviation and monthly noise,
    and in library 0 (the one running the journey) an injected change `effect`."""

    before: np.ndarray  # libraries × months
    after: np.ndarray

    def changes(self, months: int) -> tuple[Change, list[Change]]:
        """The first `months` measured months against the same months a year before: the
        running library's Change and its comparison libraries'."""
        before = self.before[:, :months].sum(axis=1)
        after = self.after[:, :months].sum(axis=1)
        pairs = [Change(float(b), float(a)) for b, a in zip(before, after, strict=True)]
        return pairs[0], pairs[1:]


def simulate_library_network(
    comparison_libraries: int,
    *,
    rng: np.random.Generator,
    effect: float = 0.0,
    months: int = 12,
    trend: float = 0.05,
    deviation: float = 0.05,
    noise: float = 0.05,
) -> LibraryNetwork:
    """A running library and its comparison libraries: loans per month of 2,000 to 20,000,
    a season shared by all; after = before's level × exp(common trend + library deviation
    + monthly noise), times (1 + effect) in the running library (effect 0.1: +10%). The
    standard deviations are on the log scale."""
    libraries = comparison_libraries + 1
    size = rng.uniform(2000, 20000, (libraries, 1))
    season = np.exp(0.2 * np.sin(np.arange(months) * 2 * np.pi / 12))
    level = size * season
    before = rng.poisson(level * np.exp(noise * rng.standard_normal((libraries, months))))
    common = trend * rng.standard_normal()
    own = deviation * rng.standard_normal((libraries, 1))
    change = np.exp(common + own + noise * rng.standard_normal((libraries, months)))
    change[0] *= 1 + effect
    after = rng.poisson(level * change)
    return LibraryNetwork(before, after)


@dataclass(frozen=True)
class DemoLibrary:
    """A library of the demo network: its share of the network's members, and whether it
    runs the dormant journey (one library has not launched it)."""

    code: str
    name: str
    share: float
    runs_dormant: bool = True

    @property
    def domain(self) -> str:
        return f"{self.code}.bibliotheek.example"


NETWORK = (
    DemoLibrary("zonnedorp", "Bibliotheek Zonnedorp", 0.55),
    DemoLibrary("heidebeek", "Bibliotheek Heidebeek", 0.30, runs_dormant=False),
    DemoLibrary("molenaarde", "Bibliotheek Molenaarde", 0.15),
)
MINIMUM_NETWORK = math.ceil(MINIMUM_MEMBERS / min(library.share for library in NETWORK))
# The network measures its journeys: it holds out more members than the standard 10%, as a
# library that sets out to learn whether its mails work does for a while. At 10%, 60 days of a
# network of 5,000 members hold out some 30 new members in all and at most 75 dormant members
# in a library: too few for a comparison to show (docs/reports.md: no count under 10 is shown).
HOLDOUT_PERCENT = {"welcome": 50, "dormant": 25}
EXPORTS = ("items", "members", "loans")  # imported in this order before the simulated days


def network_sizes(members: int) -> dict[str, int]:
    """The network's members split over its libraries by their shares; the largest takes what
    rounding leaves."""
    sizes = {library.code: round(members * library.share) for library in NETWORK[1:]}
    return {NETWORK[0].code: members - sum(sizes.values()), **sizes}


def create_demo_library(spec: DemoLibrary, today: dt.date) -> Library:
    """The library with the standard journeys at the network's holdout shares; the dormant
    journey paused where the library does not run it."""
    library = add_library(
        spec.code,
        spec.name,
        sender_name=spec.name,
        sender_email=f"nieuws@{spec.domain}",
        privacy_url=f"https://{spec.domain}/privacy",
        profile_url=f"https://{spec.domain}/mijn-bibliotheek",
        survey_url=f"https://{spec.domain}/enquete",
        track_opens=True,  # the demo libraries asked their members' consent
    )
    for key, percent in HOLDOUT_PERCENT.items():
        install_journey(library, standard_definition(key) | {"holdout_percent": percent})
    _open_demo_survey(library, today)
    if not spec.runs_dormant:
        dormant = Journey.objects.get(library=library, key="dormant")
        change_status(dormant, Journey.Status.PAUSED, today)
    return library


def _open_demo_survey(library: Library, today: dt.date) -> None:
    """The library's own survey, open: the mails' survey link leads to it."""
    survey = create_survey(
        library=library,
        actor=None,
        title="Wat vind je van onze mails?",
        intro="Vier korte vragen. Je antwoorden zijn anoniem.",
        thanks="Dank je wel! Met je antwoorden maken we onze mails beter.",
        volunteer_retention_days=180,
    )
    for kind, text, choices, required in DEMO_SURVEY:
        add_question(
            survey=survey, actor=None, kind=kind, text=text, choices=choices, required=required
        )
    set_status(survey=survey, status=Survey.Status.OPEN, actor=None, today=today)


@dataclass
class DemoOutcome:
    imports: list[ImportSummary] = field(default_factory=list)
    mails: int = 0
    interactions: Counter = field(default_factory=Counter)
    # What members did in the simulated days, mailed and held out together.
    came_back: int = 0  # dormant members who borrowed again
    borrowed_again: int = 0  # new members who borrowed again after their first day
    made_a_profile: int = 0  # new members who made their online profile
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


def _location(url: str) -> str:
    """Where a link leads: a tracked link's redirect target, else the link itself."""
    try:
        with _browser.open(
            urllib.request.Request(url, headers={"User-Agent": MEMBER_AGENT}), timeout=10
        ):
            return url
    except urllib.error.HTTPError as error:  # the redirect, refused
        return error.headers.get("Location") or url


def _html_of(mail: Message) -> str:
    """The mail's HTML part. Mails are parsed with the plain (compat32) policy: the modern
    one's header objects cost the demo seconds and it reads only a few headers."""
    for part in mail.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


@dataclass(frozen=True)
class NightlyExports:
    """A library's exports for the simulated days, by day: who registered, and the ordinary
    loans; and every member's row, which a changed member's row repeats."""

    arrivals: dict[str, list[dict[str, str]]]
    loans: dict[str, list[dict[str, str]]]
    rows: dict[str, dict[str, str]]

    @classmethod
    def read(cls, directory: Path) -> "NightlyExports":
        arrivals = _by_day(directory / "arrivals.csv", "registered_on")
        rows = {row["member_id"]: row for row in _rows(directory / "members.csv")}
        rows |= {row["member_id"]: row for day in arrivals.values() for row in day}
        return cls(arrivals, _by_day(directory / "later_loans.csv", "loaned_on"), rows)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _by_day(path: Path, column: str) -> dict[str, list[dict[str, str]]]:
    by_day: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _rows(path):
        by_day[row[column]].append(row)
    return by_day


class SimulatedMembers:
    """Decides, reproducibly, what the network's members do with a mail — and without one, when
    held out — and does it: over HTTP what a mail offers, in the next night's exports the
    loans and online profiles that follow."""

    def __init__(
        self,
        libraries: Sequence[Library],
        seed: int,
        outcome: DemoOutcome,
        effects: TrueEffects | None = None,
        *,
        last_day: dt.date,
    ) -> None:
        self.random = random.Random(seed)
        self.outcome = outcome
        self.effects = effects or TrueEffects()
        self.last_day = last_day
        self.items = {
            library.code: list(
                Item.objects.filter(library=library).values_list("external_id", flat=True)
            )
            for library in libraries
        }
        self.loans: dict[dt.date, list[tuple[str, str]]] = defaultdict(list)
        self.profiles: dict[dt.date, list[tuple[str, str]]] = defaultdict(list)
        self.mailed: set[tuple[str, str, str]] = set()  # (library, journey, address)
        self.enrolments_seen = 0

    def read(self, mail: Message, today: dt.date) -> None:
        html = _html_of(mail)
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
            if self.random.random() < SURVEY_RATE_OF_OPENERS:
                self._answer_survey(html, mail)
        # Feedback-ID: "<journey>.<step>:<library code>:journey:patronflow" (docs/sending.md).
        journey_step, code, *_ = mail["Feedback-ID"].split(":")
        journey = journey_step.split(".")[0]
        address = email.utils.parseaddr(mail["To"])[1]
        if (code, journey, address) in self.mailed:
            return  # what a journey's first mail set going, the later ones do not change
        self.mailed.add((code, journey, address))
        member_id, has_profile = Member.objects.values_list(
            "external_id", "has_online_profile"
        ).get(library__code=code, email=address)
        self.live_on(code, journey, member_id, has_profile, today, held_out=False, clicked=clicked)

    def _answer_survey(self, html: str, mail: Message) -> None:
        """Follow the mail's survey link, then fill in the survey it leads to (and now and
        then join the focus group), as a member's browser would post it."""
        link = re.search(r'<a href="([^"]+)"[^>]*>Vul onze korte vragenlijst in', html)
        if link is None:
            return
        address = _location(link.group(1))
        survey_key = address.split("/t/s/")[1].split("?")[0]
        survey = Survey.objects.get(key=survey_key)
        fields = []
        for question in survey.questions.order_by("position"):
            name = f"q{question.pk}"
            if question.kind == "scale":
                fields.append((name, self.random.choice("3444555")))
            elif question.kind == "open":
                if self.random.random() < 0.3:
                    fields.append((name, self.random.choice(OPEN_ANSWERS)))
            elif question.kind == "multiple":
                fields += [(name, c) for c in question.choices if self.random.random() < 0.4]
            else:
                fields.append((name, self.random.choice(question.choices)))
        _request(address, data=urllib.parse.urlencode(fields).encode())
        self.outcome.interactions["answered the survey"] += 1
        if self.random.random() < VOLUNTEER_SHARE:
            name = email.utils.parseaddr(mail["To"])[0] or "Lid"
            volunteer = {
                "consent": "on",
                "name": name,
                "email": email.utils.parseaddr(mail["To"])[1],
            }
            _request(address, data=urllib.parse.urlencode(volunteer).encode())
            self.outcome.interactions["joined the focus group"] += 1

    def enter(self, today: dt.date) -> None:
        """Held-out members who entered a journey today live on without its mails."""
        entered = Enrolment.objects.filter(pk__gt=self.enrolments_seen).order_by("pk")
        for pk, held_out, code, journey, member_id, has_profile in entered.values_list(
            "pk",
            "held_out",
            "journey__library__code",
            "journey__key",
            "member__external_id",
            "member__has_online_profile",
        ):
            self.enrolments_seen = pk
            if held_out:
                self.live_on(code, journey, member_id, has_profile, today, held_out=True)

    def live_on(
        self,
        code: str,
        journey: str,
        member_id: str,
        has_profile: bool,
        today: dt.date,
        *,
        held_out: bool,
        clicked: bool = False,
    ) -> None:
        """What the member does in the weeks after their journey's first mail (held out: after
        the day they entered)."""
        effects, outcome = self.effects, self.outcome
        if journey == "dormant":
            if self.chance(effects.coming_back, held_out=held_out, clicked=clicked):
                day = self.within(today, RETURNS_WITHIN_DAYS)
                self.loans[day].append((code, member_id))
                outcome.came_back += day <= self.last_day
        elif journey == "welcome":
            if self.chance(effects.borrowing_again, held_out=held_out, clicked=clicked):
                day = self.within(today, BORROWS_AGAIN_WITHIN_DAYS)
                self.loans[day].extend([(code, member_id)] * self.random.randint(1, 3))
                outcome.borrowed_again += day <= self.last_day
            if not has_profile and self.chance(
                effects.making_a_profile, held_out=held_out, clicked=clicked
            ):
                day = self.within(today, PROFILE_WITHIN_DAYS)
                self.profiles[day].append((code, member_id))
                outcome.made_a_profile += day <= self.last_day

    def chance(self, effect: TrueEffect, *, held_out: bool, clicked: bool) -> bool:
        rate = (
            effect.held_out if held_out else effect.chance(clicked=clicked, click_rate=CLICK_RATE)
        )
        return self.random.random() < rate

    def within(self, today: dt.date, days: int) -> dt.date:
        """A day from tomorrow to `days` days after today."""
        return today + dt.timedelta(days=self.random.randint(1, days))

    def nightly(
        self, code: str, day: dt.date, exports: NightlyExports
    ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """The library's nightly export of `day`: new and changed members (a new online
        profile), and the loans — the ordinary ones and those the mails brought."""
        iso = day.isoformat()
        members = exports.arrivals.get(iso, []) + [
            exports.rows[member_id] | {"online_profile": "ja"}
            for library, member_id in self.profiles.get(day, [])
            if library == code
        ]
        brought = [member_id for library, member_id in self.loans.get(day, []) if library == code]
        loans = exports.loans.get(iso, []) + [
            {
                "loan_id": f"demo-{day:%Y%m%d}-{n}",
                "member_id": member_id,
                "item_id": self.random.choice(self.items[code]),
                "loaned_on": iso,
            }
            for n, member_id in enumerate(brought)
        ]
        return members, loans


def run_demo(
    directory: Path,
    members: int,
    days: int,
    seed: int,
    progress,
    effects: TrueEffects | None = None,
) -> DemoOutcome:
    """Build the network, import it and run `days` days of journeys; `progress` is a rich
    Progress the run reports to; `effects` sets what the mails do (TrueEffects)."""
    outcome = DemoOutcome()
    today = timezone.localdate()
    start = today - dt.timedelta(days=days)
    clock = time.perf_counter()

    exports = directory / "exports"
    sizes = network_sizes(members)
    task = progress.add_task("Generating the libraries' exports", total=len(NETWORK))
    generated = {}
    for number, spec in enumerate(NETWORK):
        generated[spec.code] = generate_library(
            exports / spec.code,
            members=sizes[spec.code],
            start=start,
            days=days,
            seed=seed + number,
            # One library's export has bad rows, for the demo to show how they are reported.
            malformed_rows=MALFORMED_ROWS if number == 0 else 0,
        )
        progress.advance(task)
    libraries = [create_demo_library(spec, start) for spec in NETWORK]
    for library in libraries:
        paths = [generated[library.code].directory / f"{kind}.csv" for kind in EXPORTS]
        sizes = [path.stat().st_size for path in paths]
        task = progress.add_task(f"Importing {library.code}'s exports", total=sum(sizes))
        for kind, path, before in zip(EXPORTS, paths, accumulate([0, *sizes]), strict=False):

            def report(done: int, total: int, task=task, before=before) -> None:
                progress.update(task, completed=before + done)

            outcome.imports.append(import_file(library, kind, path, report))
    outcome.seconds["generate and import"] = time.perf_counter() - clock

    clock = time.perf_counter()
    nightly = {code: NightlyExports.read(generated[code].directory) for code in generated}
    behaviour = SimulatedMembers(libraries, seed, outcome, effects, last_day=today)
    outcome.maildir = directory / "mail"
    with (
        MaildirSmtpServer(outcome.maildir) as smtp,
        TrackingServer() as web,
        override_settings(SMTP_URL=smtp.url, BASE_URL=web.url),
    ):
        seen: set[str] = set()
        task = progress.add_task("Running the journeys, day by day", total=days)
        for offset in range(1, days + 1):
            day = start + dt.timedelta(days=offset)
            for library in libraries:
                new_members, loans = behaviour.nightly(library.code, day, nightly[library.code])
                if new_members:
                    import_rows(
                        library, "members", new_members, source=f"{library.code} members {day}"
                    )
                if loans:
                    import_rows(library, "loans", loans, source=f"{library.code} loans {day}")
            # Mid-morning: inside the default send window (mon-sat 09:00-20:00); what falls
            # due on a Sunday waits for Monday, as it would for the library.
            tick(timezone.make_aware(dt.datetime.combine(day, dt.time(10))))
            behaviour.enter(day)
            maildir = smtp.maildir
            arrived = set(maildir.keys()) - seen
            seen |= arrived
            # By Message-ID, not by the maildir's random keys, so that a seed always plays out
            # the same way.
            mails = sorted(
                (email.message_from_bytes(maildir.get_bytes(key)) for key in arrived),
                key=lambda mail: mail["Message-ID"],
            )
            for mail in mails:
                outcome.mails += 1
                # Feedback-ID: "<journey>.<step>:<library>:…" (List-Id names the list).
                journey = mail["Feedback-ID"].split(".")[0]
                if journey not in outcome.examples:
                    outcome.examples[journey] = _save_example(directory, journey, mail)
                behaviour.read(mail, day)
            progress.update(
                task, advance=1, description=f"Day {offset}/{days}: {outcome.mails} mails"
            )
    outcome.seconds[f"{days} days of journeys"] = time.perf_counter() - clock
    return outcome


def _save_example(directory: Path, journey: str, mail: Message) -> Path:
    """Keep the first mail of each journey as .eml and .html, for a person to open."""
    examples = directory / "examples"
    examples.mkdir(exist_ok=True)
    (examples / f"{journey}.eml").write_bytes(mail.as_bytes())
    html_file = examples / f"{journey}.html"
    html_file.write_text(_html_of(mail), encoding="utf-8")
    return html_file
