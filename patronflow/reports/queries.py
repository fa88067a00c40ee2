"""Aggregate figures per journey, step and variant. Counts only: no member is ever listed."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from patronflow.journeys.models import DEFAULT_VARIANT
from patronflow.mail.models import Message
from patronflow.members.models import Library
from patronflow.privacy.models import MailTally
from patronflow.tracking.models import Event, Feedback


@dataclass(frozen=True)
class VariantFigures:
    library: str
    journey: str
    step: int
    step_name: str
    segment: str
    tracks_opens: bool
    sent: int
    opened: int
    clicked: int
    unsubscribed: int
    thumbs_up: int
    thumbs_down: int
    # Opens and clicks apart by who made them (tracking/machines.py): mails opened or clicked
    # only by machines (image proxies, link scanners), and the rest — by the member. Erased
    # members' tallies are not split and count with the members'.
    opened_by_members: int = 0
    opened_by_machines: int = 0
    clicked_by_members: int = 0
    clicked_by_machines: int = 0

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def open_rate(self) -> float | None:
        return self._rate(self.opened, self.sent) if self.tracks_opens else None

    @property
    def click_rate(self) -> float | None:
        return self._rate(self.clicked, self.sent)

    @property
    def member_click_rate(self) -> float | None:
        """The headline figure: mails in which the member (not a scanner) clicked a link."""
        return self._rate(self.clicked_by_members, self.sent)

    @property
    def member_open_rate(self) -> float | None:
        return self._rate(self.opened_by_members, self.sent) if self.tracks_opens else None

    @property
    def unsubscribe_rate(self) -> float | None:
        return self._rate(self.unsubscribed, self.sent)


GROUPED_BY = (
    "library__code",
    "library__track_opens",
    "step__version__journey__key",
    "step__position",
    "step__name",
    "variant__segment",
)
COUNTED = ("sent", "opened", "clicked", "unsubscribed", "thumbs_up", "thumbs_down")
BY_MACHINES = ("opened_by_machines", "clicked_by_machines")


def _by_machines_only() -> dict:
    """Per message group: mails opened, or clicked, by machines and never by the member."""
    counts = {}
    for verb, kind in (("opened", Event.Kind.OPEN), ("clicked", Event.Kind.CLICK)):
        any_event = Count("id", filter=Q(events__kind=kind), distinct=True)
        by_member = Count("id", filter=Q(events__kind=kind, events__machine=""), distinct=True)
        counts[f"{verb}_by_machines"] = any_event - by_member
    return counts


def figures_by_variant(library: Library | None = None) -> list[VariantFigures]:
    """Sent messages and the unique members who opened, clicked, unsubscribed or voted,
    plus the tallies of erased members' mails (privacy.MailTally), so that erasing or
    purging members never changes a report."""
    messages = Message.objects.filter(status=Message.Status.SENT)
    tallies = MailTally.objects.all()
    if library is not None:
        messages = messages.filter(library=library)
        tallies = tallies.filter(library=library)
    rows = messages.values(*GROUPED_BY).annotate(
        sent=Count("id", distinct=True),
        opened=Count("id", filter=Q(events__kind=Event.Kind.OPEN), distinct=True),
        clicked=Count("id", filter=Q(events__kind=Event.Kind.CLICK), distinct=True),
        unsubscribed=Count("id", filter=Q(events__kind=Event.Kind.UNSUBSCRIBE), distinct=True),
        thumbs_up=Count("id", filter=Q(feedback__vote=Feedback.Vote.UP), distinct=True),
        thumbs_down=Count("id", filter=Q(feedback__vote=Feedback.Vote.DOWN), distinct=True),
        **_by_machines_only(),
    )
    tallied = tallies.values(*GROUPED_BY).annotate(**{name: Sum(name) for name in COUNTED})
    figures: dict[tuple, Counter] = {}
    for row in [*rows, *tallied]:
        counts = figures.setdefault(tuple(row[key] for key in GROUPED_BY), Counter())
        counts.update({name: row[name] for name in COUNTED})
        counts.update({name: row[name] for name in BY_MACHINES if name in row})
    return [
        VariantFigures(
            library=code,
            journey=journey,
            step=position,
            step_name=step_name,
            segment=segment or DEFAULT_VARIANT,
            tracks_opens=tracks_opens,
            **{name: counts[name] for name in (*COUNTED, *BY_MACHINES)},
            opened_by_members=counts["opened"] - counts["opened_by_machines"],
            clicked_by_members=counts["clicked"] - counts["clicked_by_machines"],
        )
        for (code, tracks_opens, journey, position, step_name, segment), counts in sorted(
            figures.items(), key=lambda item: (item[0][0], item[0][2], item[0][3], item[0][5])
        )
    ]


def uncertain_count(library: Library | None = None) -> int:
    """Mails whose sender stopped before recording the SMTP outcome: they may or may not have
    arrived and are not resent automatically, so an operator has to know how many there are."""
    messages = Message.objects.filter(status=Message.Status.UNCERTAIN)
    if library is not None:
        messages = messages.filter(library=library)
    return messages.count()
