"""The reports' daily aggregates (reports/rollup.py keeps them): what the results page, the
campaign figures and the benchmark read instead of the raw enrolments, loans and mails. No
row names a member or a message, so the rows stay when members are erased or purged; a day
is recomputed until it closes (ROLLUP.live_from) and frozen after (docs/performance.md)."""

from django.conf import settings
from django.db import models

from patronflow.journeys.models import Journey, Step, Variant
from patronflow.members.models import Library


class JourneyMoments(models.Model):
    """One journey's members whose clock started on one day, in one group, as the estimators
    need them (reports/estimators.py Moments): x is the activity before entering, y the
    outcome — `returned` (0/1) or `loans` within `window_days`, or `profile` (window 0)."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="moments")
    start = models.DateField()
    held_out = models.BooleanField()
    outcome = models.CharField(max_length=8)
    window_days = models.PositiveSmallIntegerField()
    n = models.PositiveIntegerField()
    x = models.BigIntegerField()
    y = models.BigIntegerField()
    xx = models.BigIntegerField()
    yy = models.BigIntegerField()
    xy = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "start", "held_out", "outcome", "window_days"],
                name="journey_moments_once_per_day",
            )
        ]

    def __str__(self) -> str:
        group = "held out" if self.held_out else "mailed"
        return f"{self.journey_id} {self.start} {group} {self.outcome} {self.window_days}: {self.n}"


class MailDay(models.Model):
    """The campaign figures' counts (reports/metrics.py COUNTS) of one step's variant's mails
    sent on one day (in the libraries' time zone; None: mails without a sending moment, which
    a sender stopped while handing them over): each mail once per kind of outcome."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, db_index=False)
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="mail_days")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="mail_days")
    day = models.DateField(null=True)
    sent = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    uncertain = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    human_opened = models.PositiveIntegerField(default=0)
    clicked = models.PositiveIntegerField(default=0)
    human_clicked = models.PositiveIntegerField(default=0)
    unsubscribed = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    thumbs_up = models.PositiveIntegerField(default=0)
    thumbs_down = models.PositiveIntegerField(default=0)
    survey_clicks = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["library", "day", "step", "variant"], name="mail_day_once_per_variant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} on {self.day}: {self.sent} sent"


class MembersMonth(models.Model):
    """How many of a library's members had a mail of one kind (reports/benchmark.py: mailed,
    opened, …) sent in `month`, by the month of their previous such mail (`previous`, None:
    none before). Members over several months cannot be added up month by month, but those
    from month A to month B are exactly the rows with A <= month <= B and previous < A: each
    member counted once, in their first month of the range."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, db_index=False)
    measure = models.CharField(max_length=16)
    month = models.DateField()  # the first of the month
    previous = models.DateField(null=True)
    members = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["library", "measure", "month"])]

    def __str__(self) -> str:
        return f"{self.measure} in {self.month} after {self.previous}: {self.members}"


class Rollup(models.Model):
    """When the aggregates were last refreshed, and from which day they still change: days
    before `live_from` are frozen (None: none is). One row."""

    refreshed_at = models.DateTimeField()
    live_from = models.DateField(null=True)

    def __str__(self) -> str:
        return f"refreshed at {self.refreshed_at}, live from {self.live_from}"

    @classmethod
    def reads_recompute(cls) -> bool:
        """Whether a report recomputes its aggregates from every raw row before reading them:
        with the setting ROLLUP_ON_READ (the tests, the demo's small network: exact at once),
        or until the first refresh has run (a new installation, an upgrade)."""
        return settings.ROLLUP_ON_READ or not cls.objects.exists()
