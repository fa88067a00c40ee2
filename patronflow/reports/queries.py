"""Aggregate figures per journey, step and variant. Counts only: no member is ever listed."""

from dataclasses import dataclass

from django.db.models import Count, Q

from patronflow.journeys.models import DEFAULT_VARIANT
from patronflow.mail.models import Message
from patronflow.members.models import Library
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
    def unsubscribe_rate(self) -> float | None:
        return self._rate(self.unsubscribed, self.sent)


def figures_by_variant(library: Library | None = None) -> list[VariantFigures]:
    """Sent messages and the unique members who opened, clicked, unsubscribed or voted."""
    messages = Message.objects.filter(status=Message.Status.SENT)
    if library is not None:
        messages = messages.filter(library=library)
    rows = (
        messages.values(
            "library__code",
            "library__track_opens",
            "step__version__journey__key",
            "step__position",
            "step__name",
            "variant__segment",
        )
        .annotate(
            sent=Count("id", distinct=True),
            opened=Count("id", filter=Q(events__kind=Event.Kind.OPEN), distinct=True),
            clicked=Count("id", filter=Q(events__kind=Event.Kind.CLICK), distinct=True),
            unsubscribed=Count("id", filter=Q(events__kind=Event.Kind.UNSUBSCRIBE), distinct=True),
            thumbs_up=Count("id", filter=Q(feedback__vote=Feedback.Vote.UP), distinct=True),
            thumbs_down=Count("id", filter=Q(feedback__vote=Feedback.Vote.DOWN), distinct=True),
        )
        .order_by(
            "library__code", "step__version__journey__key", "step__position", "variant__segment"
        )
    )
    return [
        VariantFigures(
            library=row["library__code"],
            journey=row["step__version__journey__key"],
            step=row["step__position"],
            step_name=row["step__name"],
            segment=row["variant__segment"] or DEFAULT_VARIANT,
            tracks_opens=row["library__track_opens"],
            sent=row["sent"],
            opened=row["opened"],
            clicked=row["clicked"],
            unsubscribed=row["unsubscribed"],
            thumbs_up=row["thumbs_up"],
            thumbs_down=row["thumbs_down"],
        )
        for row in rows
    ]
