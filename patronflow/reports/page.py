"""The results page as one source: what the staff page (staff/report.html) and the
self-contained HTML file of `patronflow report --html` both render through
reports/_results.html, in the reader's language (12,5%; +4,0 points).

Every figure is a `Datum`: its text, and the value and place it has in the report's JSON
(`data-json="results.0.lift"`), so that a test — or a reader — can hold each figure on the
page against `patronflow report --json` for the same period.
"""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from patronflow.journeys.diffs import segment_name
from patronflow.reports.benchmark import Suppressed
from patronflow.reports.comparison import (
    NO_COMPARISON_LIBRARIES,
    NO_COMPLETE_MONTH,
    NOT_COUNTED_YET,
    LibraryComparison,
)
from patronflow.reports.estimators import MIN_COMPARISON_LIBRARIES
from patronflow.reports.exports import Report, comparison_rows, verdict_of
from patronflow.reports.published import (
    MONTH_CHANGES,
    MONTH_COUNTS,
    PublishedEffect,
    PublishedRow,
    number,
)
from patronflow.reports.suppression import Figure, Withheld

# The design system's card per verdict (staff.css).
VERDICT_CLASSES = {
    "worked": "verdict-good",
    "backfired": "verdict-bad",
    "no_effect_shown": "verdict-unclear",
    "not_enough_data": "verdict-none",
    "no_control_group": "verdict-none",
}


def _number(value: float, decimals: int) -> str:
    """Rounded, in the user's number format (which would cut the decimals off, not round)."""
    return number_format(round(value, decimals), decimal_pos=decimals)


def _signed(value: float, decimals: int) -> str:
    """A number with its sign, in the user's number format: +4,0 or −1,5."""
    rounded = round(value, decimals)
    text = _number(abs(rounded), decimals)
    return f"+{text}" if rounded > 0 else f"−{text}" if rounded < 0 else text


def percent(value: float) -> str:
    shown = round(float(value) * 100, 1)
    return f"{_number(shown, 0 if shown.is_integer() else 1)}%"


def text_of(value: Figure, kind: str) -> str:
    """A figure as the page writes it: – where not recorded, the marker where withheld; a
    `count`, a `rate` (a share), `points` (a difference of shares), a `mean` or its `lift`
    (per member), a `p` value, a `net` score."""
    if value is None:
        return "–"
    if isinstance(value, Withheld):
        return value.value
    if kind == "rate":
        return percent(value)
    if kind == "points":
        return _("%(points)s points") % {"points": _signed(value * 100, 1)}
    if kind == "signed_points":  # a card's big figure, its unit in the label below
        return _signed(value * 100, 1)
    if kind == "mean":
        return _number(value, 2)
    if kind == "mean_lift":
        return _signed(value, 2)
    if kind == "p":
        return f"< {_number(0.001, 3)}" if value < 0.001 else _number(value, 3)
    if kind == "net":
        return _signed(value * 100, 0) + "%"
    if kind == "change":  # a relative change: +12,6%
        return _signed(value * 100, 1) + "%"
    return number_format(value, force_grouping=True)


@dataclass(frozen=True)
class Datum:
    """One figure on the page: its text, and its value at `path` in the report's JSON."""

    value: Figure
    path: str
    kind: str = "count"

    @property
    def text(self) -> str:
        return text_of(self.value, self.kind)

    def __str__(self) -> SafeString:
        """Django's templates write a value as its str(): the <data> element."""
        return self.__html__()

    def __html__(self) -> SafeString:
        if not self.path:  # a figure the report does not record here (opens not tracked)
            return format_html("{}", self.text)
        raw = None if isinstance(self.value, Withheld) else self.value
        return format_html(
            '<data value="{}" data-json="{}">{}</data>', json.dumps(raw), self.path, self.text
        )


def measure_label(outcome: str, window: int | None) -> str:
    if outcome == "returned":
        return _("Borrowed or visited within %(days)s days") % {"days": window}
    if outcome == "loans":
        return _("Loans per member in %(days)s days") % {"days": window}
    return _("Has an online profile")


@dataclass(frozen=True)
class Line:
    """One comparison of a card's details: mailed against held out, as published."""

    measure: str
    figures: dict[str, Datum]
    verdict: str


@dataclass(frozen=True)
class Card:
    """ "Did it work?" for one journey or broadcast."""

    journey_name: str
    kind: str
    verdict: str
    css: str
    answer: str  # the verdict in words, one sentence
    explanation: str
    measure: str
    figures: dict[str, Datum]
    wait: str
    enrolments: Datum
    held_out: Datum
    lines: list[Line] = field(default_factory=list)
    adjusted: bool = False  # the verdict rests on the difference adjusted for activity before
    # The library's loans against its comparison libraries': a short answer (the same for
    # every card: the mails of all journeys together) and the section that explains it.
    against: str = ""


def _lift_kind(kind: str) -> str:
    return "points" if kind == "rate" else "mean_lift"


def _comparison_figures(row: PublishedRow, path: str) -> dict[str, Datum]:
    kind = "rate" if row.kind == "rate" else "mean"
    lift = _lift_kind(row.kind)
    return {
        "mailed_n": Datum(row.mailed_n, f"{path}.mailed_n"),
        "held_out_n": Datum(row.held_out_n, f"{path}.held_out_n"),
        "mailed": Datum(row.mailed, f"{path}.mailed", kind),
        "held_out": Datum(row.held_out, f"{path}.held_out", kind),
        "lift": Datum(row.lift, f"{path}.lift", lift),
        "low": Datum(row.low, f"{path}.low", lift),
        "high": Datum(row.high, f"{path}.high", lift),
        "p_value": Datum(row.p_value, f"{path}.p_value", "p"),
        "adjusted_lift": Datum(row.adjusted_lift, f"{path}.adjusted_lift", lift),
        "adjusted_low": Datum(row.adjusted_low, f"{path}.adjusted_low", lift),
        "adjusted_high": Datum(row.adjusted_high, f"{path}.adjusted_high", lift),
        "narrower": Datum(row.narrower, f"{path}.narrower", "rate"),
    }


def _basis(row: PublishedRow) -> tuple[str, str, str]:
    """The figures a verdict rests on: the adjusted difference where there is one (the
    better estimate), else the plain one."""
    if row.adjusted_lift is None:
        return "lift", "low", "high"
    return "adjusted_lift", "adjusted_low", "adjusted_high"


def _line_verdict(row: PublishedRow, figures: dict[str, Datum], has_control: bool) -> str:
    if not has_control:
        return _(
            "No control group: this journey holds no members out, so its effect cannot be measured."
        )
    if not row.enough_data:
        return _("Not enough data yet.")
    words = dict(zip(("lift", "low", "high"), (figures[n].text for n in _basis(row)), strict=True))
    words["p"] = figures["p_value"].text
    if row.claimed and getattr(row, _basis(row)[0]) > 0:
        text = _(
            "Mailed members did more: %(lift)s (95%% interval %(low)s to %(high)s); "
            "unlikely to be chance (p = %(p)s)."
        )
    elif row.claimed:
        text = _(
            "Mailed members did less: %(lift)s (95%% interval %(low)s to %(high)s); "
            "unlikely to be chance (p = %(p)s)."
        )
    else:
        text = _(
            "No effect shown: the difference of %(lift)s could be chance (p = %(p)s); "
            "the true effect lies somewhere between %(low)s and %(high)s."
        )
    # Both languages write "p = %(p)s"; a p below 0.001 reads "p < 0,001", not "p = < 0,001".
    return (text % words).replace("p = < ", "p < ")


def wait_text(effect: PublishedEffect, verdict: str) -> str:
    """About how many more weeks, or why not (reports/waiting.py); empty where there is no
    wait. After "no effect shown": when an effect of the size looked for would have shown."""
    wait = effect.wait
    if wait is None or verdict not in {"not_enough_data", "no_effect_shown"}:
        return ""
    if verdict == "no_effect_shown":
        if wait.ready:
            return _(
                "The groups are large enough to have shown 5 points more: the effect, if "
                "any, is likely smaller."
            )
        if wait.kind != "weeks":  # a year or more, cannot tell, over: nothing to wait for
            return ""
        return _("An effect of 5 points would show in about %(weeks)s more weeks.") % {
            "weeks": wait.weeks
        }
    if wait.ready:
        return ""
    if wait.kind == "period_over":
        return _(
            "The period is over: it holds too few members followed long enough for a "
            "verdict. Choose a longer period."
        )
    if wait.kind == "more_than_a_year":
        return _("At the pace members come in now, more than a year.")
    if wait.kind == "cannot_tell":
        return _("How long cannot be told: no member has come in lately.")
    if wait.weeks == 1:
        return _("About one more week.")
    return _("About %(weeks)s more weeks.") % {"weeks": wait.weeks}


ANSWERS = {
    "worked": gettext_lazy("Yes: mailed members did more."),
    "backfired": gettext_lazy("No: mailed members did less."),
    "no_effect_shown": gettext_lazy("No effect shown."),
    "not_enough_data": gettext_lazy("Not enough data yet."),
    "no_control_group": gettext_lazy("Cannot tell: no control group."),
}


def _explanation(
    verdict: str, figures: dict[str, Datum], measure: str, basis: tuple[str, str, str]
) -> str:
    words = {name: figures[name].text for name in ("mailed", "held_out")}
    words |= dict(zip(("lift", "low", "high"), (figures[n].text for n in basis), strict=True))
    words["measure"] = measure
    if verdict in {"worked", "backfired"}:
        return (
            _(
                "%(measure)s: %(mailed)s of the mailed members against %(held_out)s of the "
                "control group, a difference of %(lift)s (95%% interval %(low)s to %(high)s): "
                "unlikely to be chance."
            )
            % words
        )
    if verdict == "no_effect_shown":
        return (
            _(
                "%(measure)s: %(mailed)s of the mailed members against %(held_out)s of the "
                "control group. The difference of %(lift)s could be chance: the true effect "
                "lies somewhere between %(low)s and %(high)s."
            )
            % words
        )
    if verdict == "no_control_group":
        return _(
            "This journey holds no members out, so nothing shows what members would have "
            "done without the mails. Give it a control group to measure its effect."
        )
    return _(
        "Too few members in the mailed group or the control group have been followed long "
        "enough to tell an effect from chance."
    )


def cards(report: Report) -> list[Card]:
    """One card per journey and broadcast, in the order of the JSON's `results` table."""
    against = against_answer(report.comparison) if report.library else ""
    result = []
    line_index = 0
    for index, effect in enumerate(report.effects):
        verdict = verdict_of(effect)
        headline = effect.headline
        path = f"results.{index}"
        figures = _comparison_figures(headline, path) if headline else {}
        if headline and headline.kind == "rate":  # the unit, points, in the label below
            for name in ("lift", "low", "high", "adjusted_lift", "adjusted_low", "adjusted_high"):
                figures[f"{name}_short"] = replace(figures[name], kind="signed_points")
        basis = _basis(headline) if headline else ("lift", "low", "high")
        lines = []
        for row in effect.comparisons:
            line_figures = _comparison_figures(row, f"effect.{line_index}")
            line_index += 1
            lines.append(
                Line(
                    measure=measure_label(row.outcome, row.window),
                    figures=line_figures,
                    verdict=_line_verdict(row, line_figures, effect.has_control_group),
                )
            )
        measure = measure_label(headline.outcome, headline.window) if headline else ""
        result.append(
            Card(
                journey_name=effect.journey_name,
                kind=_("Broadcast") if effect.kind == "broadcast" else _("Journey"),
                verdict=verdict,
                css=VERDICT_CLASSES[verdict],
                answer=str(ANSWERS[verdict]),
                explanation=_explanation(verdict, figures, measure, basis) if figures else "",
                measure=measure,
                figures=figures,
                wait=wait_text(effect, verdict),
                enrolments=Datum(effect.enrolments, f"{path}.enrolments"),
                held_out=Datum(effect.held_out, f"{path}.held_out_enrolments"),
                lines=lines,
                adjusted=basis[0] == "adjusted_lift" and not isinstance(headline.lift, Withheld),
                against=against,
            )
        )
    return result


@dataclass(frozen=True)
class StepRow:
    """A mail (step and variant) with its counts and rates; `small`: too few mails for a
    rate (greyed)."""

    journey: str
    step: int
    step_name: str
    variant: str
    week: dt.date | None
    figures: dict[str, Datum]
    small: bool
    comments_url: str = ""
    comments: str = ""  # how many members left a comment, "< 10" from 1 to 9


STEP_COUNTS = ("sent", "delivered", "bounced", "unsubscribed", "complaints", "thumbs_up")
STEP_COUNTS += ("thumbs_down",)
STEP_RATES = ("open_rate", "click_rate", "unsubscribe_rate")


# A mail row → its comments page and how many comments it has (the staff page's links).
CommentLinks = Callable[[PublishedRow], tuple[str, str]]


def _step_row(row: PublishedRow, path: str, comments: CommentLinks | None) -> StepRow:
    figures = {name: Datum(getattr(row, name), f"{path}.{name}") for name in STEP_COUNTS}
    opened = f"{path}.{row.aliases['member_opened']}" if row.tracks_opens else ""
    figures["opened"] = Datum(row.member_opened if row.tracks_opens else None, opened)
    figures["clicked"] = Datum(row.member_clicked, f"{path}.{row.aliases['member_clicked']}")
    figures |= {name: Datum(getattr(row, name), f"{path}.{name}", "rate") for name in STEP_RATES}
    figures["net_score"] = Datum(row.net_score, f"{path}.net_score", "net")
    small = isinstance(row.click_rate, Withheld) or row.click_rate is None
    return StepRow(
        journey=row.journey_name,
        step=row.step,
        step_name=row.step_name,
        variant=segment_name(row.segment),
        week=row.week,
        figures=figures,
        small=small,
        **(dict(zip(("comments_url", "comments"), comments(row), strict=True)) if comments else {}),
    )


@dataclass(frozen=True)
class BenchmarkRow:
    name: str
    figures: dict[str, Datum]


BENCHMARK_COUNTS = ("mailed", "clicked", "unsubscribed", "dormant_mailed", "dormant_held_out")
BENCHMARK_RATES = ("click_rate", "unsubscribe_rate", "dormant_mailed_rate", "dormant_held_out_rate")


def benchmark_rows(table: Suppressed | None, key: str, own: str | None = None) -> list:
    """A benchmark's rows as the page names them: the library, the rest of the network, or
    every library and the network total. A hidden cell is · (None in the JSON)."""
    if table is None:
        return []
    rows = []
    for index, row in enumerate(table.as_rows()):
        code = row["library"]
        if code == "total":
            name = pgettext("all libraries", "Network")
        elif code == "rest":
            name = _("The rest of the network")
        elif code == own:
            name = _("Your library")
        else:
            name = code
        path = f"{key}.{index}"
        figures = {n: Datum(_hidden(row[n]), f"{path}.{n}") for n in BENCHMARK_COUNTS}
        figures |= {n: Datum(_hidden(row[n]), f"{path}.{n}", "rate") for n in BENCHMARK_RATES}
        rows.append(BenchmarkRow(name, figures))
    return rows


def _hidden(value):
    """A benchmark cell: None where hidden, shown as ·."""
    return Withheld.HIDDEN if value is None else value


def chart_data(report: Report) -> dict:
    """What the two charts draw — the click rate per week of each mail and variant, loans per
    month against the baseline — each the figures of the table below it; a withheld figure is
    not drawn, nor a rate of fewer than 10 mails (published.py withholds it). Labels name
    journeys by their name, and the library too where the report is the network's."""

    def named(library: str, name: str) -> str:
        return name if report.library else f"{library} {name}"

    over_time: dict[str, list] = defaultdict(list)
    for row in sorted(report.weekly, key=lambda row: row.week or dt.date.min):
        if row.week is None:
            continue
        variant = segment_name(row.segment)
        series = named(row.library, f"{row.journey_name} {row.step}. {row.step_name} · {variant}")
        over_time[series].append({"x": row.week.isoformat(), "y": number(row.click_rate)})
    return {
        "over_time": over_time,
        "baseline": baseline_points(report.baselines, named),
        "comparison": comparison_points(report.comparison),
    }


def comparison_points(comparison: LibraryComparison | None) -> list[dict]:
    """The changes the comparison chart draws side by side: only measures with a verdict
    (enough comparison libraries, this library's figures shown)."""
    return [
        {
            "label": did_measure_label(row["measure"]),
            "own": row["own_change"],
            "others": row["others_change"],
        }
        for row in comparison_rows(comparison)
        if _against_verdict(row) in {"more", "less", "no_difference"}
    ]


def baseline_points(months: list, named: Callable[[str, str], str]) -> list[dict]:
    """The baseline chart's points, library after library, with an empty point between two
    libraries: a line is not drawn from one library's last month to another's first, which
    would read as a rise or a fall."""
    points: list[dict] = []
    for row in months:
        if points and points[-1]["library"] != row.library:
            points.append(dict.fromkeys(points[-1]) | {"label": ""})
        points.append(
            {
                "label": named(row.library, f"{row.month:%Y-%m}"),
                "library": row.library,
                "loans": number(row.loans),
                "baseline": number(row.baseline_loans),
                "partial_through": row.partial_through,
                "no_loans_after": row.no_loans_after.isoformat() if row.no_loans_after else None,
            }
        )
    return points


def chart_labels() -> dict[str, str]:
    """The charts' words in the reader's language, for report-charts.js."""
    return {
        "loans": _("Loans"),
        "baseline": _("Loans in the baseline period"),
        "partial": _("to day %(day)s: partial"),
        "own": _("This library"),
        "others": _("Its comparison libraries"),
    }


def drawn(charts: dict) -> set[str]:
    """The charts worth drawing: a line needs at least two points (one point, or only
    withheld figures, would be empty axes or a dot that says nothing the table does not);
    the comparison's bars a measure with a verdict."""
    weeks = [p["y"] for points in charts["over_time"].values() for p in points]
    months = [row["loans"] for row in charts["baseline"]]
    charted = {"over-time": weeks, "baseline": months}
    found = {chart for chart, values in charted.items() if sum(v is not None for v in values) >= 2}
    return found | ({"comparison"} if charts["comparison"] else set())


def results_context(report: Report, *, comments: CommentLinks | None = None) -> dict:
    """What reports/_results.html renders: the same for the staff page and the HTML file."""
    charts = chart_data(report)
    return {
        "report": report,
        "cards": cards(report),
        "steps": [
            _step_row(row, f"metrics.{index}", comments) for index, row in enumerate(report.metrics)
        ],
        "weeks": [
            _step_row(row, f"weekly.{index}", None) for index, row in enumerate(report.weekly)
        ],
        "months": month_rows(report),
        "with_visits": any(row.visits is not None for row in report.baselines),
        "against": benchmark_rows(report.benchmark, "benchmark", report.library),
        "network_rows": benchmark_rows(report.network, "network"),
        "against_rows": against_rows(report.comparison),
        "against_reason": against_reason(report.comparison),
        "charts": charts,
        "drawn": drawn(charts),
        "chart_labels": chart_labels(),
    }


@dataclass(frozen=True)
class MonthRow:
    """A month of the baseline; `partial`: counted up to this day of the month."""

    library: str
    month: dt.date
    baseline_month: dt.date
    partial: int | None
    no_loans_after: dt.date | None
    figures: dict[str, Datum]


def month_rows(report: Report) -> list[MonthRow]:
    rows = []
    for index, month in enumerate(report.baselines):
        path = f"baseline.{index}"
        figures = {name: Datum(getattr(month, name), f"{path}.{name}") for name in MONTH_COUNTS}
        for change in MONTH_CHANGES:
            figures[change] = Datum(getattr(month, change), f"{path}.{change}", "net")
        rows.append(
            MonthRow(
                library=month.library,
                month=month.month,
                baseline_month=month.baseline_month,
                partial=month.partial_through,
                no_loans_after=month.no_loans_after,
                figures=figures,
            )
        )
    return rows


# The measures of the comparison with other libraries, as the page names them.
def did_measure_label(measure: str) -> str:
    if measure == "loans":
        return _("Loans")
    if measure == "borrowers":
        return _("Borrowers (each month's, added up)")
    return _("Visits")


def _did_measure_words(measure: str) -> str:
    if measure == "loans":
        return _("loans")
    if measure == "borrowers":
        return _("borrowers")
    return _("visits")


@dataclass(frozen=True)
class AgainstRow:
    """One measure of the library against its comparison libraries."""

    key: str  # loans, borrowers, visits
    measure: str
    figures: dict[str, Datum]
    answer: str
    verdict: str  # "more", "less", "no_difference", "not_enough_data", "withheld"
    left_out: int
    not_counted: int = 0  # comparison libraries whose counts do not reach back far enough


def _against_verdict(row: dict) -> str:
    if isinstance(row["own_change"], Withheld):
        return "withheld"
    if not row["enough_data"]:
        return "not_enough_data"
    if row["claimed"]:
        return "more" if row["difference"] > 0 else "less"
    return "no_difference"


def _against_answer(row: dict, figures: dict[str, Datum], verdict: str) -> str:
    measure = _did_measure_words(row["measure"])
    if verdict == "withheld" and row.get("withheld_because") == NOT_COUNTED_YET:
        return _(
            "Withheld: this library's %(measure)s are counted completely only from %(month)s, "
            "after the baseline period begins; a period counted in part is not compared."
        ) % {"measure": measure, "month": row["counted_from"][:7]}
    if verdict == "withheld":
        return _(
            "Withheld: in a month of the baseline or the measured period fewer than 10 of "
            "this library's members stand behind its %(measure)s."
        ) % {"measure": measure}
    if verdict == "not_enough_data":
        if row["own_change"] is None:
            return _(
                "Not enough data: this library has no %(measure)s recorded in the baseline "
                "period or in the measured period."
            ) % {"measure": measure}
        return _(
            "Not enough data: at least %(needed)s comparison libraries with %(measure)s in "
            "both periods are needed, and %(count)s have them."
        ) % {"needed": MIN_COMPARISON_LIBRARIES, "measure": measure, "count": row["libraries"]}
    words = {name: figures[name].text for name in ("own_change", "others_change", "difference")}
    words |= {"low": figures["low"].text, "high": figures["high"].text, "measure": measure}
    if verdict == "more":
        text = _(
            "Yes: this library's %(measure)s changed by %(own_change)s, its comparison "
            "libraries' by %(others_change)s: %(difference)s more (95%% interval %(low)s to "
            "%(high)s)."
        )
    elif verdict == "less":
        text = _(
            "No, less: this library's %(measure)s changed by %(own_change)s, its comparison "
            "libraries' by %(others_change)s: %(difference)s (95%% interval %(low)s to "
            "%(high)s)."
        )
    else:
        text = _(
            "No difference shown: this library's %(measure)s changed by %(own_change)s, its "
            "comparison libraries' by %(others_change)s; the difference of %(difference)s "
            "could be chance (95%% interval %(low)s to %(high)s)."
        )
    return text % words


def against_rows(comparison: LibraryComparison | None) -> list[AgainstRow]:
    """Per measure, the library against its comparison libraries, each figure at its place
    in the JSON's `comparison` table."""
    rows = []
    for index, row in enumerate(comparison_rows(comparison)):
        path = f"comparison.{index}"
        figures = {
            "own_before": Datum(row["own_before"], f"{path}.own_before"),
            "own_after": Datum(row["own_after"], f"{path}.own_after"),
        }
        figures |= {
            name: Datum(row[name], f"{path}.{name}", "change")
            for name in ("own_change", "others_change", "difference", "low", "high")
        }
        verdict = _against_verdict(row)
        rows.append(
            AgainstRow(
                key=row["measure"],
                measure=did_measure_label(row["measure"]),
                figures=figures,
                answer=_against_answer(row, figures, verdict),
                verdict=verdict,
                left_out=row["left_out"],
                not_counted=row["not_counted"],
            )
        )
    return rows


def against_reason(comparison: LibraryComparison | None) -> str:
    """Why nothing is compared with other libraries, or ""."""
    if comparison is None:
        return _("Nothing to compare yet: no mail has left.")
    if comparison.reason == NO_COMPARISON_LIBRARIES:
        return _(
            "The network admin has chosen no comparison libraries, so this library's loans "
            "cannot be held against other libraries' yet."
        )
    if comparison.reason == NO_COMPLETE_MONTH:
        return _(
            "No complete month measured yet: the comparison starts once the first whole "
            "month of the period is over."
        )
    return ""


ANSWERS_AGAINST = {
    "more": gettext_lazy("Yes: more than the comparison libraries."),
    "less": gettext_lazy("No: less than the comparison libraries."),
    "no_difference": gettext_lazy("No difference shown."),
    "not_enough_data": gettext_lazy("Not enough data yet."),
    "withheld": gettext_lazy("Withheld: too few members."),
}


def against_answer(comparison: LibraryComparison | None) -> str:
    """A card's short answer on loans against the comparison libraries."""
    reason = against_reason(comparison)
    if reason:
        return reason
    loans = next((row for row in against_rows(comparison) if row.key == "loans"), None)
    return str(ANSWERS_AGAINST[loans.verdict]) if loans else ""
