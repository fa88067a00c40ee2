"""Campaign metrics per library, journey, step, variant and (optionally) week: the one place
every report (the `report` tables, CSV, JSON, HTML, the staff screens, the demo) takes its
counts and rates from, so that no two reports show a library different figures for the same
thing (docs/reports.md: Campaign metrics).

Each count is of mails, each mail counted once per kind of outcome, however often it was
opened or clicked. Columns come from what the mail and tracking apps record; a column whose
source does not exist yet (an older database, a feature still being built) is None —
"not recorded" — never a misleading zero. Erased and purged members' mails are folded in
from journeys.MailTally, for the columns a tally keeps.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, fields, replace

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import Cast, TruncDate, TruncWeek
from django.utils import timezone

from patronflow.journeys.models import DEFAULT_VARIANT, MailTally
from patronflow.mail.models import Bounce, Message
from patronflow.members.models import Library
from patronflow.reports.models import MailDay, Rollup
from patronflow.tracking.models import SHOWS_OPENED, Event, Feedback

COUNTS = (
    "sent",
    "bounced",
    "uncertain",
    "opened",
    "human_opened",
    "clicked",
    "human_clicked",
    "unsubscribed",
    "complaints",
    "thumbs_up",
    "thumbs_down",
    "survey_clicks",
)


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def sent_statuses() -> list[str]:
    """Mails that left the outbox. An uncertain mail (its sender stopped before recording the
    SMTP outcome) may have left: it counts as sent and is shown apart."""
    return [Message.Status.SENT, Message.Status.UNCERTAIN]


def _event(kind: str | tuple[str, ...], **more) -> Q:
    lookup = {"events__kind__in" if isinstance(kind, tuple) else "events__kind": kind}
    return Q(**lookup, **{f"events__{name}": value for name, value in more.items()})


def _bounced(kind: str) -> Q:
    """Mails a bounce of this kind came back for. `mail.Bounce` names its mail by id only (so
    that it outlives an erased member's messages): matched on that id, as one uncorrelated
    subquery rather than a lookup per mail."""
    return Q(pk__in=Bounce.objects.filter(kind=kind, message_id__isnull=False).values("message_id"))


def counted_filters() -> dict[str, Q | None]:
    """The filter over sent messages for each counted column; None where nothing records it
    yet. `opened` and `clicked` are mails opened or clicked by anyone — a click shows its mail
    was opened, also where the pixel was blocked (SHOWS_OPENED); where the tracking app
    classifies events (mail proxies, link scanners: tracking/machines.py), `human_opened` and
    `human_clicked` are the mails a member opened or clicked — the counts rates are made of.
    `bounced` is a hard bounce (a soft one is temporary and the mail may still arrive); an
    uncertain mail that bounced did leave, so it is bounced, not uncertain."""
    classified = _has_field(Event, "machine")
    bounced = _bounced(Bounce.Kind.HARD)
    uncertain = Q(status=Message.Status.UNCERTAIN) & ~bounced
    return {
        "sent": Q(),
        "bounced": bounced,
        "uncertain": uncertain,
        "opened": _event(SHOWS_OPENED),
        "human_opened": _event(SHOWS_OPENED, machine="") if classified else None,
        "clicked": _event(Event.Kind.CLICK),
        "human_clicked": _event(Event.Kind.CLICK, machine="") if classified else None,
        "unsubscribed": _event(Event.Kind.UNSUBSCRIBE),
        "complaints": _bounced(Bounce.Kind.COMPLAINT),
        "thumbs_up": Q(feedback__vote=Feedback.Vote.UP),
        "thumbs_down": Q(feedback__vote=Feedback.Vote.DOWN),
        "survey_clicks": None,  # counted apart: see _survey_clicks
    }


@dataclass(frozen=True)
class CampaignMetrics:
    library: str
    journey: str  # the key, which stays when staff rename the journey
    step: int
    step_name: str
    segment: str
    week: dt.date | None
    tracks_opens: bool
    sent: int
    bounced: int | None
    uncertain: int | None
    opened: int
    human_opened: int | None
    clicked: int
    human_clicked: int | None
    unsubscribed: int
    complaints: int | None
    thumbs_up: int
    thumbs_down: int
    survey_clicks: int
    journey_name: str = ""  # what staff call it

    @staticmethod
    def _rate(part: int | None, whole: int | None) -> float | None:
        return part / whole if part is not None and whole else None

    @property
    def delivered(self) -> int:
        """Sent, less what bounced for good and what may never have left: the denominator of
        every rate of mails, since a mail that never arrived could not be opened or clicked."""
        return self.sent - (self.bounced or 0) - (self.uncertain or 0)

    @property
    def member_opened(self) -> int:
        """Mails a member opened: the human opens where opens are classified, else all."""
        return self.opened if self.human_opened is None else self.human_opened

    @property
    def member_clicked(self) -> int:
        """Mails in which a member clicked: the human clicks where classified, else all."""
        return self.clicked if self.human_clicked is None else self.human_clicked

    @property
    def machine_opened(self) -> int | None:
        """Mails opened only by machines (image proxies, gateways), never by the member:
        shown apart and in no rate. member_opened + machine_opened = opened."""
        return None if self.human_opened is None else self.opened - self.human_opened

    @property
    def machine_clicked(self) -> int | None:
        """Mails clicked only by machines (link scanners, sweeps): shown apart, in no rate."""
        return None if self.human_clicked is None else self.clicked - self.human_clicked

    @property
    def open_rate(self) -> float | None:
        """Of the mails delivered, the share a member opened; only where opens are tracked."""
        return self._rate(self.member_opened, self.delivered) if self.tracks_opens else None

    @property
    def click_rate(self) -> float | None:
        """Click-through rate: of the mails delivered, the share a member clicked in."""
        return self._rate(self.member_clicked, self.delivered)

    @property
    def click_to_open_rate(self) -> float | None:
        """Of the mails a member opened, the share clicked; only where opens are tracked."""
        return self._rate(self.member_clicked, self.member_opened) if self.tracks_opens else None

    @property
    def unsubscribe_rate(self) -> float | None:
        """Of the mails delivered, the share through whose links the member left the mail's
        list or stopped all mail (docs/reports.md)."""
        return self._rate(self.unsubscribed, self.delivered)

    @property
    def net_score(self) -> float | None:
        """👍 minus 👎 as a share of the votes, from -1 (all 👎) to +1 (all 👍)."""
        votes = self.thumbs_up + self.thumbs_down
        return (self.thumbs_up - self.thumbs_down) / votes if votes else None

    def as_row(self) -> dict:
        """Every count and rate, for CSV, JSON and the HTML report."""
        row = {"library": self.library, "journey": self.journey, "journey_name": self.journey_name}
        row |= {field.name: getattr(self, field.name) for field in fields(self)}
        row["week"] = self.week.isoformat() if self.week else None
        for name in (*DERIVED, *RATES):
            row[name] = getattr(self, name)
        return row


DERIVED = ("delivered", "machine_opened", "machine_clicked")
RATES = ("open_rate", "click_rate", "click_to_open_rate", "unsubscribe_rate", "net_score")
# The two counts each rate is made of: reports/published.py shows a rate only where both are.
RATE_COUNTS = {
    "open_rate": ("member_opened", "delivered"),
    "click_rate": ("member_clicked", "delivered"),
    "click_to_open_rate": ("member_clicked", "member_opened"),
    "unsubscribe_rate": ("unsubscribed", "delivered"),
    "net_score": ("thumbs_up", "thumbs_down"),
}
# Counts that are the sum of others in every row (those recorded; see the properties above).
PARTS = {
    "sent": ("delivered", "bounced", "uncertain"),
    "opened": ("human_opened", "machine_opened"),
    "clicked": ("human_clicked", "machine_clicked"),
}
GROUPED_BY = (
    "library__code",
    "library__track_opens",
    "step__version__journey__key",
    "step__version__journey__name",
    "step__position",
    "step__name",
    "variant__segment",
)


def campaign_metrics(
    library: Library | None = None,
    *,
    by_week: bool = False,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[CampaignMetrics]:
    """The counts per library, journey, step and variant, and per week of sending with
    `by_week` (weeks start on Monday, in the libraries' time zone); of the mails sent from
    `since` to `until` (days in the libraries' time zone, both included) where given.
    Read from the daily counts (reports.MailDay, kept by reports/rollup.py), to which erased
    members' mails are added from their weekly tallies: a tally counts when its week starts
    in the period."""
    if Rollup.reads_recompute():
        refresh_mail_days(None)
    days = MailDay.objects.all()
    if library is not None:
        days = days.filter(library=library)
    if since is not None:
        days = days.filter(day__gte=since)
    if until is not None:
        days = days.filter(day__lte=until)
    if by_week:  # a mail without a sending moment has no day, nor week; a day, not a moment
        days = days.annotate(week=Cast(TruncWeek("day", output_field=DateField()), DateField()))
    counted = [name for name, condition in counted_filters().items() if condition is not None]
    counted.append("survey_clicks")
    keys = _keys(by_week)
    groups: dict[tuple, Counter] = {}
    sums = days.values(*keys).annotate(**{name: Sum(name) for name in counted}).order_by()
    for row in sums.values_list(*keys, *counted):  # tuples: a network has many thousand rows
        key = row[: len(keys)]
        groups.setdefault(key, Counter()).update(dict(zip(counted, row[len(keys) :], strict=True)))
    _add_tallies(groups, library, by_week=by_week, since=since, until=until)
    return _metrics(groups, _keys(by_week))


def campaign_metrics_from_mails(
    library: Library | None = None,
    *,
    by_week: bool = False,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[CampaignMetrics]:
    """campaign_metrics counted from the mails themselves: the reference the daily counts
    must equal (tests/reports/test_rollup.py)."""
    messages = Message.objects.filter(status__in=sent_statuses())
    if library is not None:
        messages = messages.filter(library=library)
    if since is not None:
        messages = messages.filter(sent_at__gte=midnight(since))
    if until is not None:
        messages = messages.filter(sent_at__lt=midnight(until + dt.timedelta(days=1)))
    if by_week:
        messages = messages.annotate(
            week=TruncWeek("sent_at", tzinfo=timezone.get_current_timezone())
        )
    groups = mail_counts(messages, _keys(by_week))
    _add_tallies(groups, library, by_week=by_week, since=since, until=until)
    return _metrics(groups, _keys(by_week))


def _keys(by_week: bool) -> list[str]:
    return [*GROUPED_BY, "week"] if by_week else list(GROUPED_BY)


def mail_counts(messages, keys: list[str]) -> dict[tuple, Counter]:
    """The counted columns of these sent messages, grouped by `keys` (a "week" or "day" key
    is a date): each mail once per kind of outcome."""
    counts = {
        name: Count("id", filter=condition, distinct=True)
        for name, condition in counted_filters().items()
        if condition is not None
    }
    groups: dict[tuple, Counter] = {}
    for row in messages.values(*keys).annotate(**counts).order_by():
        key = tuple(_day(row[name]) if name in DATED else row[name] for name in keys)
        groups.setdefault(key, Counter()).update({name: row[name] or 0 for name in counts})
    for key, clicks in _survey_clicks(messages, keys).items():
        groups.setdefault(key, Counter())["survey_clicks"] += clicks
    return groups


DATED = ("week", "day")


def _add_tallies(
    groups: dict[tuple, Counter],
    library: Library | None,
    *,
    by_week: bool,
    since: dt.date | None,
    until: dt.date | None,
) -> None:
    """Erased and purged members' mails, from their weekly tallies (journeys.MailTally)."""
    tallies = MailTally.objects.all()
    if library is not None:
        tallies = tallies.filter(library=library)
    if since is not None:
        tallies = tallies.filter(week__gte=since)
    if until is not None:
        tallies = tallies.filter(week__lte=until)
    keys = _keys(by_week)
    tallied = [name for name in COUNTS if _has_field(MailTally, name)]
    for row in tallies.values(*keys).annotate(**{name: Sum(name) for name in tallied}).order_by():
        key = tuple(row[name] for name in keys)
        groups.setdefault(key, Counter()).update({name: row[name] or 0 for name in tallied})


def _metrics(groups: dict[tuple, Counter], keys: list[str]) -> list[CampaignMetrics]:
    recorded = {name for name, condition in counted_filters().items() if condition is not None}
    recorded.add("survey_clicks")
    result = []
    for key, found in groups.items():
        named = dict(zip(keys, key, strict=True))
        result.append(
            CampaignMetrics(
                library=named["library__code"],
                journey=named["step__version__journey__key"],
                journey_name=named["step__version__journey__name"],
                step=named["step__position"],
                step_name=named["step__name"],
                segment=named["variant__segment"] or DEFAULT_VARIANT,
                week=named.get("week"),
                tracks_opens=named["library__track_opens"],
                **{name: found[name] if name in recorded else None for name in COUNTS},
            )
        )
    return sorted(
        result,
        key=lambda m: (m.library, m.journey, m.step, m.segment, m.week or dt.date.min),
    )


def midnight(day: dt.date) -> dt.datetime:
    """The start of a day in the libraries' time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _day(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _survey_clicks(messages, keys: list[str]) -> Counter:
    """Mails whose link to the library's external survey (Library.survey_url) was clicked: a
    click's link index points into the links the mail was rendered with. The library's own
    survey is linked untracked (mail/rendering.py); its answers from mails are counted by
    channel on the survey's results, never per mail or member."""
    survey = Q(library__survey_url="")
    clicks = (
        messages.exclude(survey)
        .filter(events__kind=Event.Kind.CLICK, events__link_index__isnull=False)
        .values_list("id", "links", "library__survey_url", "events__link_index", *keys)
    )
    counted: set[int] = set()
    found: Counter = Counter()
    for message_id, links, survey_url, index, *key in clicks.iterator(chunk_size=2000):
        if message_id in counted or index >= len(links or []) or links[index] != survey_url:
            continue
        counted.add(message_id)
        found[
            tuple(
                _day(value) if name in DATED else value
                for name, value in zip(keys, key, strict=True)
            )
        ] += 1
    return found


def combined(rows: list[CampaignMetrics], **labels) -> CampaignMetrics:
    """The rows' counts added together (None if any row does not record one), labelled as the
    first row unless `labels` say otherwise: a group of variants, steps or weeks gets its rates
    from the same definitions as each row."""
    counts = {name: _sum(getattr(row, name) for row in rows) for name in COUNTS}
    return replace(rows[0], **labels, **counts)


def funnel(metrics: list[CampaignMetrics]) -> list[CampaignMetrics]:
    """Per library, journey and step, all variants together: sent → delivered → opened →
    clicked, for the funnel chart."""
    steps: dict[tuple, list[CampaignMetrics]] = {}
    for row in metrics:
        steps.setdefault((row.library, row.journey, row.step, row.step_name), []).append(row)
    return [combined(rows, segment="all", week=None) for rows in steps.values()]


def _sum(values) -> int | None:
    values = list(values)
    return None if any(value is None for value in values) else sum(values)


def sent_since(since: dt.date | None):
    """Mails that left (or may have) on a day from `since`, and those without a sending
    moment (a sender stopped while handing them over): reports count those only over every
    day, the way the raw count does, so they are always recomputed."""
    messages = Message.objects.filter(status__in=sent_statuses())
    if since is not None:
        messages = messages.filter(Q(sent_at__gte=midnight(since)) | Q(sent_at=None))
    return messages


def refresh_mail_days(since: dt.date | None) -> None:
    """Recompute the MailDay rows of days from `since` (None: every day)."""
    zone = timezone.get_current_timezone()
    messages = sent_since(since).annotate(day=TruncDate("sent_at", tzinfo=zone))
    counts = mail_counts(messages, ["library_id", "step_id", "variant_id", "day"])
    stale = MailDay.objects.all()
    if since is not None:
        stale = stale.filter(Q(day__gte=since) | Q(day=None))
    stale.delete()
    MailDay.objects.bulk_create(
        [
            MailDay(library_id=library, step_id=step, variant_id=variant, day=day, **counted)
            for (library, step, variant, day), counted in counts.items()
        ],
        batch_size=2000,
    )
