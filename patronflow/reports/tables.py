"""Reports as rich tables for the terminal."""

from rich.table import Table

from patronflow.reports.baseline import MonthFigures
from patronflow.reports.benchmark import SMALL_CELL, Suppressed
from patronflow.reports.effect import Comparison, JourneyEffect
from patronflow.reports.metrics import CampaignMetrics
from patronflow.reports.queries import VariantFigures


def _count_and_rate(count: int, rate: float | None) -> str:
    return "–" if rate is None else f"{count} ({rate:.1%})"


def figures_table(figures: list[VariantFigures], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("journey")
    table.add_column("step")
    table.add_column("variant")
    for column in ("sent", "opened", "clicked", "unsubscribed", "👍", "👎"):
        table.add_column(column, justify="right")
    for row in figures:
        table.add_row(
            row.journey,
            f"{row.step}. {row.step_name}",
            row.segment,
            str(row.sent),
            _count_and_rate(row.opened, row.open_rate),
            _count_and_rate(row.clicked, row.click_rate),
            _count_and_rate(row.unsubscribed, row.unsubscribe_rate),
            str(row.thumbs_up),
            str(row.thumbs_down),
        )
    return table


FOOTNOTE = (
    "Opens: unique messages opened (– where the library has open tracking off). Clicks, "
    "unsubscribes and votes count each mail once. Rates are of mails sent."
)


def print_figures(console, figures: list[VariantFigures]) -> None:
    if not figures:
        console.print("No mails sent yet.")
        return
    for code in dict.fromkeys(row.library for row in figures):
        rows = [row for row in figures if row.library == code]
        console.print(figures_table(rows, title=f"Library {code}"))
    console.print(FOOTNOTE)


# --- the new reports: metrics per week, effect against the holdout, baseline, benchmark ------


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


def metrics_table(rows: list[CampaignMetrics], title: str) -> Table:
    """Campaign metrics with delivery, human/machine opens, rates and the net score."""
    table = Table(title=title, caption="opened: all (members/machines)", title_justify="left")
    for column in ("journey", "step", "variant", "week"):
        table.add_column(column)
    columns = ["sent", "delivered", "bounced", "uncertain", "opened", "clicked", "CTR", "CTOR"]
    columns += ["unsub.", "complaints"]
    for column in [*columns, "👍/👎", "net", "survey"]:
        table.add_column(column, justify="right")
    for row in rows:
        opens = "–"
        if row.tracks_opens:
            opens = str(row.opened)
            if row.human_opened is not None:
                opens += f" ({row.human_opened}/{row.machine_opened})"
        table.add_row(
            row.journey,
            f"{row.step}. {row.step_name}",
            row.segment,
            row.week.isoformat() if row.week else "all",
            str(row.sent),
            str(row.delivered),
            _count(row.bounced),
            _count(row.uncertain),
            opens,
            str(row.clicked),
            _share(row.click_rate),
            _share(row.click_to_open_rate),
            str(row.unsubscribed),
            _count(row.complaints),
            f"{row.thumbs_up}/{row.thumbs_down}",
            "–" if row.net_score is None else f"{row.net_score:+.0%}",
            str(row.survey_clicks),
        )
    return table


def _value(comparison: Comparison, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if comparison.kind == "rate" else f"{value:.2f}"


def effect_table(effect: JourneyEffect) -> Table:
    table = Table(
        title=f"Effect of {effect.library}/{effect.journey}: mailed against held out "
        f"({effect.enrolments} enrolments, {effect.held_out} held out)",
        title_justify="left",
    )
    for column in ("measure", "mailed", "held out", "lift", "95% interval", "p", "verdict"):
        table.add_column(column, justify="left" if column in {"measure", "verdict"} else "right")
    for c in effect.comparisons:
        lift = interval = p_value = "–"
        if c.lift is not None:
            scale = 100 if c.kind == "rate" else 1
            unit = " pt" if c.kind == "rate" else ""
            lift = f"{c.lift * scale:+.2f}{unit}"
            interval = f"{c.low * scale:+.2f} to {c.high * scale:+.2f}{unit}"
            p_value = f"{c.p_value:.3f}"
        table.add_row(
            f"{c.measure} (n={c.mailed_n}/{c.held_out_n})",
            _value(c, c.mailed),
            _value(c, c.held_out),
            lift,
            interval,
            p_value,
            c.verdict,
        )
    return table


def baseline_table(months: list[MonthFigures]) -> Table:
    table = Table(
        title=f"Baseline for {months[0].library}: loans per month against the baseline period",
        title_justify="left",
    )
    for column in ("month", "loans", "borrowers", "baseline month", "loans", "borrowers", "change"):
        table.add_column(column, justify="left" if "month" in column else "right")
    for month in months:
        label = f"{month.month:%Y-%m}"
        if month.partial_through:
            label += f" (to day {month.partial_through})"
        table.add_row(
            label,
            str(month.loans),
            str(month.borrowers),
            f"{month.baseline_month:%Y-%m}",
            str(month.baseline_loans),
            str(month.baseline_borrowers),
            "–" if month.loans_change is None else f"{month.loans_change:+.0%}",
        )
    return table


def benchmark_table(benchmark: Suppressed) -> Table:
    table = Table(
        title=f"Benchmark: members per library (cells under {SMALL_CELL} hidden: ·)",
        title_justify="left",
    )
    table.add_column("library")
    labels = {
        "mailed": "mailed",
        "opened": "opened",
        "clicked": "clicked",
        "click_rate": "click rate",
        "unsubscribed": "unsub.",
        "thumbs_up": "👍",
        "thumbs_down": "👎",
        "dormant_mailed_rate": "dormant back (mailed)",
        "dormant_held_out_rate": "dormant back (held out)",
    }
    for label in labels.values():
        table.add_column(label, justify="right")
    for row in benchmark.as_rows():
        cells = []
        for name in labels:
            value = row[name]
            if value is None:
                cells.append("·")
            elif isinstance(value, float):
                cells.append(f"{value:.1%}")
            else:
                cells.append(str(value))
        table.add_row(row["library"], *cells)
    return table
