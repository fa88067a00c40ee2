"""The dry run in the browser: what a journey or broadcast will send over the next days.

The figures are `operations.dry_run.simulate`'s, the engine `patronflow simulate` runs, so
the calendar cannot disagree with what `tick` will do. A dry run ticks the library's every
journey once a day, which takes a while at a large library: the page only asks for it
(operations/calendar_runs.py runs it away from the web request and keeps it), shows day k of
N while it runs (htmx polls; without script, a reload does), and then the calendar, kept for
the journey's version, the period and the day.
"""

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patronflow.journeys.models import DEFAULT_VARIANT, Enrolment
from patronflow.operations.calendar_runs import (
    days_done,
    is_lost,
    latest_run,
    simulated_days,
    start_run,
)
from patronflow.operations.dry_run import SimulatedDay
from patronflow.operations.models import CalendarRun
from patronflow.staff import queries
from patronflow.staff.access import staff_view
from patronflow.staff.templatetags.staff import segment_label
from patronflow.staff.views.journeys import scoped_journey

PERIODS = (7, 14, 30, 60)  # days
DEFAULT_PERIOD = 30

EXIT_LABELS = {
    Enrolment.ExitReason.CAME_BACK: gettext_lazy("came back"),
    Enrolment.ExitReason.ONLINE_PROFILE: gettext_lazy("made an online profile"),
    Enrolment.ExitReason.BOUNCED: gettext_lazy("address bounced"),
    Enrolment.ExitReason.UNSUBSCRIBED: gettext_lazy("unsubscribed"),
    Enrolment.ExitReason.LEFT_LIST: gettext_lazy("left the list"),
    Enrolment.ExitReason.MEMBERSHIP_ENDED: gettext_lazy("membership ended"),
    Enrolment.ExitReason.INELIGIBLE: gettext_lazy("no longer mailable"),
    Enrolment.ExitReason.ARCHIVED: gettext_lazy("journey archived"),
}


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Days ahead"),
        coerce=int,
        choices=[(n, n) for n in PERIODS],
        initial=DEFAULT_PERIOD,
    )


@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass
class CalendarDay:
    """One day of the dry run, labelled in words."""

    day: dt.date
    sent: list[Count]
    entered: int
    held_out: int
    not_mailable: int
    waiting: int
    left: list[Count]
    completed: int

    @property
    def quiet(self) -> bool:
        """Nothing happens and nothing waits: the calendar greys it."""
        return not (
            self.sent
            or self.entered
            or self.not_mailable
            or self.waiting
            or self.left
            or self.completed
        )


@dataclass
class Calendar:
    days: list[CalendarDay]
    padding: range  # empty cells before the first day, so that a week row starts on Monday
    totals: dict[str, int] = field(default_factory=dict)
    sent_totals: list[Count] = field(default_factory=list)
    left_totals: list[Count] = field(default_factory=list)

    @property
    def weekdays(self) -> list[str]:
        return [str(WEEKDAYS_ABBR[number]) for number in range(7)]


def mail_label(key: str) -> str:
    """ "Mail 2 · Fiction, digital" for dry_run's "2/fiction_digital"."""
    position, _slash, segment = key.partition("/")
    shown = segment_label("" if segment == DEFAULT_VARIANT else segment)
    return _("Mail %(position)s · %(segment)s") % {"position": position, "segment": shown}


def _mail_order(key: str) -> tuple[int, bool, str]:
    position, _slash, segment = key.partition("/")
    return int(position), segment == DEFAULT_VARIANT, segment


def _exit_label(reason: str) -> str:
    return str(EXIT_LABELS.get(reason, reason))


def calendar_of(simulated: list[SimulatedDay]) -> Calendar:
    """The dry run's days as the page shows them, with the period's totals."""
    keys = sorted({key for day in simulated for key in day.mails}, key=_mail_order)
    days = [
        CalendarDay(
            day=day.day,
            sent=[Count(mail_label(key), day.mails[key]) for key in keys if day.mails[key]],
            entered=day.entered,
            held_out=day.held_out,
            not_mailable=day.not_mailable,
            waiting=day.waiting,
            left=[Count(_exit_label(r), n) for r, n in sorted(day.exited.items()) if n],
            completed=day.completed,
        )
        for day in simulated
    ]
    reasons = sorted({reason for day in simulated for reason in day.exited})
    return Calendar(
        days=days,
        padding=range(simulated[0].day.weekday() if simulated else 0),
        totals={
            "entered": sum(day.entered for day in simulated),
            "held_out": sum(day.held_out for day in simulated),
            "sent": sum(sum(day.mails.values()) for day in simulated),
            "not_mailable": sum(day.not_mailable for day in simulated),
            "waiting": simulated[-1].waiting if simulated else 0,
            "left": sum(sum(day.exited.values()) for day in simulated),
            "completed": sum(day.completed for day in simulated),
        },
        sent_totals=[
            Count(mail_label(key), sum(day.mails[key] for day in simulated)) for key in keys
        ],
        left_totals=[
            Count(_exit_label(reason), sum(day.exited[reason] for day in simulated))
            for reason in reasons
        ],
    )


@dataclass
class RunState:
    """A requested calendar as the page shows it: not asked for yet, being calculated (day k
    of N), failed (why, in words), or done."""

    run: CalendarRun | None
    done: int = 0
    problem: str = ""
    calendar: Calendar | None = None

    @property
    def running(self) -> bool:
        return self.run is not None and not self.problem and self.calendar is None


def run_state(run: CalendarRun | None) -> RunState:
    if run is None:
        return RunState(run=None)
    if run.status == CalendarRun.Status.DONE:
        return RunState(run=run, done=run.days, calendar=calendar_of(simulated_days(run)))
    if run.status == CalendarRun.Status.FAILED:
        # The exception is for the operator, who finds it with its traceback in the log.
        problem = _("The calculation failed; the operator finds the details in the log.")
        return RunState(run=run, problem=problem)
    if is_lost(run, timezone.now()):
        return RunState(run=run, problem=_("The calculation stopped without finishing."))
    return RunState(run=run, done=days_done(run))


@staff_view
def journey_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the page with the calendar kept for today's version (of the period in ?days=,
    else the latest asked for), or how far its calculation is; htmx's polling gets that
    part alone. POST: ask for the calendar to be calculated, away from this request
    (operations/calendar_runs.py)."""
    journey = scoped_journey(request, pk)
    today = queries.today()
    form = PeriodForm(request.POST if request.method == "POST" else request.GET or None)
    valid = form.is_valid()
    days = form.cleaned_data["days"] if valid else None
    if request.method == "POST" and valid:
        run = start_run(journey=journey, days=days, today=today)
        if not request.headers.get("HX-Request"):
            url = reverse("staff:journey_calendar", args=[journey.pk])
            return redirect(f"{url}?days={days}")
    elif form.errors:
        run = None
    else:
        run = latest_run(journey=journey, today=today, days=days)
    if not form.errors:
        form = PeriodForm(initial={"days": run.days if run else DEFAULT_PERIOD})
    context = {"journey": journey, "form": form, "state": run_state(run)}
    if request.headers.get("HX-Request"):
        return render(request, "staff/_calendar_run.html", context)
    return render(request, "staff/calendar.html", context)
