"""The staff report in the user's language: the effect section as the `report` command
prints it (group sizes, shares, lift, interval, p and verdict, as published), and the chart
data with its words. Figures in the user's number format (12,5%; +4,0 points)."""

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from patronflow.reports.exports import Report
from patronflow.reports.html import chart_data
from patronflow.reports.published import PublishedEffect, PublishedRow, shown
from patronflow.reports.suppression import Figure, Withheld


def charts(report: Report) -> dict:
    """What the report's charts draw (reports.html.chart_data), measures named in the user's
    language."""
    data = chart_data(report)
    for row in data["lift"]:
        row["label"] = f"{row['journey_name']}: {_measure(row['outcome'], row['window'])}"
    return data


def drawn(charts: dict) -> set[str]:
    """The charts with at least one figure to draw: a chart of withheld figures alone would
    be empty axes."""
    values = {
        "funnel": [row[key] for row in charts["funnel"] for key in ("sent", "delivered")],
        "over-time": [point["y"] for points in charts["over_time"].values() for point in points],
        "lift": [row["lift"] for row in charts["lift"]],
        "baseline": [row[key] for row in charts["baseline"] for key in ("loans", "baseline")],
        "benchmark": [
            row[key]
            for row in charts["benchmark"]
            for key in ("click_rate", "dormant_mailed_rate", "dormant_held_out_rate")
        ],
    }
    return {chart for chart, drawn in values.items() if any(v is not None for v in drawn)}


@dataclass(frozen=True)
class EffectLine:
    """One comparison of the report's effect section, in the user's language: what the
    `report` command prints, as published (a withheld figure as its marker)."""

    measure: str
    mailed_n: Figure
    held_out_n: Figure
    mailed: str
    held_out: str
    lift: str
    interval: str
    p_value: str
    verdict: str


@dataclass(frozen=True)
class EffectSection:
    journey_name: str
    has_control_group: bool
    enrolments: Figure
    held_out: Figure
    lines: list[EffectLine]


def _measure(outcome: str, window: int | None) -> str:
    if outcome == "returned":
        return _("Borrowed or visited within %(days)s days") % {"days": window}
    if outcome == "loans":
        return _("Loans per member in %(days)s days") % {"days": window}
    return _("Has an online profile")


def _number(value: float, decimals: int) -> str:
    """Rounded, in the user's number format (which would cut the decimals off, not round)."""
    return number_format(round(value, decimals), decimal_pos=decimals)


def _signed(value: float, decimals: int) -> str:
    """A number with its sign, in the user's number format: +4,0 or −1,5."""
    rounded = round(value, decimals)
    text = _number(abs(rounded), decimals)
    return f"+{text}" if rounded > 0 else f"−{text}" if rounded < 0 else text


def _effect_figure(value: Figure, kind: str, *, lift: bool = False) -> str:
    """A share as a percentage, a mean per member, or a lift in points or per member."""
    if value is None or isinstance(value, Withheld):
        return shown(value)
    if kind == "rate" and lift:
        return _("%(points)s points") % {"points": _signed(value * 100, 1)}
    if kind == "rate":
        return _percent(value)
    return _signed(value, 2) if lift else _number(value, 2)


def _p_value(value: Figure) -> str:
    if value is None or isinstance(value, Withheld):
        return shown(value)
    if value < 0.001:
        return f"< {_number(0.001, 3)}"
    return _number(value, 3)


def _verdict(line: PublishedRow, has_control_group: bool) -> str:
    """The verdict of `Comparison.verdict`, in the user's language."""
    if not has_control_group:
        return _(
            "No control group: this journey holds no members out, so its effect cannot be measured."
        )
    if not line.enough_data:
        return _("Not enough data yet.")
    words = {
        "lift": _effect_figure(line.lift, line.kind, lift=True),
        "low": _effect_figure(line.low, line.kind, lift=True),
        "high": _effect_figure(line.high, line.kind, lift=True),
        "p": _p_value(line.p_value),
    }
    if line.claimed and line.lift > 0:
        text = _(
            "Mailed members did more: %(lift)s (95%% interval %(low)s to %(high)s); "
            "unlikely to be chance (p = %(p)s)."
        )
    elif line.claimed:
        text = _(
            "Mailed members did less: %(lift)s (95%% interval %(low)s to %(high)s); "
            "unlikely to be chance (p = %(p)s)."
        )
    else:
        text = _(
            "No effect shown: the difference of %(lift)s could be chance (p = %(p)s); "
            "the true effect lies somewhere between %(low)s and %(high)s."
        )
    return text % words


def effect_section(effect: PublishedEffect) -> EffectSection:
    lines = []
    for c in effect.comparisons:
        interval = "–"
        if isinstance(c.low, float) and isinstance(c.high, float):
            low = _effect_figure(c.low, c.kind, lift=True)
            interval = _("%(low)s to %(high)s") % {
                "low": low,
                "high": _effect_figure(c.high, c.kind, lift=True),
            }
        elif isinstance(c.low, Withheld):
            interval = shown(c.low)
        lines.append(
            EffectLine(
                measure=_measure(c.outcome, c.window),
                mailed_n=c.mailed_n,
                held_out_n=c.held_out_n,
                mailed=_effect_figure(c.mailed, c.kind),
                held_out=_effect_figure(c.held_out, c.kind),
                lift=_effect_figure(c.lift, c.kind, lift=True),
                interval=interval,
                p_value=_p_value(c.p_value),
                verdict=_verdict(c, effect.has_control_group),
            )
        )
    return EffectSection(
        journey_name=effect.journey_name,
        has_control_group=effect.has_control_group,
        enrolments=effect.enrolments,
        held_out=effect.held_out,
        lines=lines,
    )


def _percent(value: float) -> str:
    percent = round(value * 100, 1)
    return f"{_number(percent, 0 if percent.is_integer() else 1)}%"
