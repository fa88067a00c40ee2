"""Reports as rich tables for the terminal."""

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from patronflow.reports.benchmark import RATES, Suppressed
from patronflow.reports.comparison import (
    NO_COMPARISON_LIBRARIES,
    NO_COMPLETE_MONTH,
    NOT_COUNTED_YET,
    LibraryComparison,
)
from patronflow.reports.effect import no_control_group
from patronflow.reports.exports import comparison_rows
from patronflow.reports.published import PublishedEffect, PublishedRow, shown
from patronflow.reports.suppression import SMALL_CELL, Figure, Withheld


def _count_and_rate(count: Figure, rate: Figure) -> str | Text:
    """A count with its rate; where the rate is withheld (fewer than 10 mails, or a count that
    would give one away) the count alone, greyed."""
    if rate is None:
        return "–"
    if isinstance(rate, Withheld):
        return Text(shown(count), style="dim")
    return f"{count} ({shown(rate, '.1%')})"


def _machines(row: PublishedRow) -> str:
    opened = row.machine_opened if row.tracks_opens else None
    if opened is None and row.machine_clicked is None:
        return "–"
    return f"{shown(opened)}/{shown(row.machine_clicked)}"


def figures_table(figures: list[PublishedRow], title: str) -> Table:
    """The short table `report` and the demo start with: campaign_metrics' counts and rates
    as published, members' opens and clicks, machines' apart."""
    table = Table(title=title, title_justify="left")
    for column in ("journey", "step", "variant"):
        table.add_column(column, overflow="fold")  # wrapped, never cut: variants differ at the end
    columns = ("sent", "bounced", "delivered", "opened", "clicked", "unsub.", "compl.")
    for column in (*columns, "👍/👎", "machines"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in figures:
        table.add_row(
            row.journey_name,
            f"{row.step}. {row.step_name}",
            row.segment,
            shown(row.sent),
            shown(row.bounced),
            shown(row.delivered),
            _count_and_rate(row.member_opened, row.open_rate),
            _count_and_rate(row.member_clicked, row.click_rate),
            _count_and_rate(row.unsubscribed, row.unsubscribe_rate),
            shown(row.complaints),
            f"{shown(row.thumbs_up)}/{shown(row.thumbs_down)}",
            _machines(row),
        )
    return table


FOOTNOTE = (
    "Rates are of mails delivered (sent less hard bounces and uncertain mails). Opened and "
    "clicked: mails a member opened or clicked in, each once (– where the library has open "
    "tracking off). Mails opened or clicked only by machines (image proxies, link scanners) "
    "are shown apart (machines: opened/clicked) and count in no rate. Compl.: mails marked as "
    "spam. "
    f"{Withheld.SMALL}: a count from 1 to {SMALL_CELL - 1}, withheld; {Withheld.HIDDEN}: withheld "
    f"so that such a count cannot be worked out from the others (docs/reports.md). A count "
    f"shown greyed, without its rate: too few mails for a rate."
)


def print_figures(console, figures: list[PublishedRow]) -> None:
    if not figures:
        console.print("No mails sent yet.")
        return
    for code in dict.fromkeys(row.library for row in figures):
        rows = [row for row in figures if row.library == code]
        console.print(figures_table(rows, title=f"Library {code}"))
    console.print(FOOTNOTE)


VERDICT_WORDS = {
    "worked": "yes: mailed members did more",
    "backfired": "no: mailed members did less",
    "no_effect_shown": "no effect shown",
    "not_enough_data": "not enough data yet",
    "no_control_group": "cannot tell: no control group",
}
WAIT_WORDS = {
    "ready": "groups large enough for 5 points",
    "more_than_a_year": "more than a year",
    "cannot_tell": "cannot tell (nobody came in lately)",
}


def results_table(results: list[dict]) -> Table:
    """Did it work? One line per journey and broadcast: the results page's cards
    (exports.result_rows), their headline figures and how long to wait."""
    table = Table(title="Did it work? (members back within 30 days; welcome: online profile)",
                  title_justify="left")  # fmt: skip
    for column in ("journey", "verdict", "mailed", "held out", "lift", "95% interval", "wait"):
        table.add_column(column, justify="right" if column in {"mailed", "held out"} else "left")
    for row in results:
        lift = interval = "–"
        if isinstance(row["lift"], float):
            lift = f"{row['lift'] * 100:+.1f} pt"
            interval = f"{row['low'] * 100:+.1f} to {row['high'] * 100:+.1f} pt"
        wait = WAIT_WORDS.get(row["wait"], "")
        if row["wait"] == "weeks":
            wait = f"about {row['weeks_more']} more weeks"
        table.add_row(
            f"{row['journey_name']} ({row['kind']})",
            VERDICT_WORDS[row["verdict"]],
            f"{shown(row['mailed'], '.1%')} of {shown(row['mailed_n'])}",
            f"{shown(row['held_out'], '.1%')} of {shown(row['held_out_n'])}",
            lift,
            interval,
            wait,
        )
    return table


def _value(comparison: PublishedRow, value: Figure) -> str:
    return shown(value, ".1%" if comparison.kind == "rate" else ".2f")


def effect_table(effect: PublishedEffect) -> RenderableType:
    """The journey's comparisons; a journey without a control group says so in one line."""
    title = f"Effect of {effect.journey_name} ({effect.library})"
    if not effect.has_control_group:
        return Text(f"{title}: {no_control_group()}")
    table = Table(
        title=f"{title}: mailed against held out "
        f"({shown(effect.enrolments)} enrolments, {shown(effect.held_out)} held out)",
        title_justify="left",
    )
    for column in ("measure", "mailed", "held out", "lift", "95% interval", "p", "verdict"):
        table.add_column(column, justify="left" if column in {"measure", "verdict"} else "right")
    for c in effect.comparisons:
        lift = interval = p_value = shown(c.lift)
        if isinstance(c.lift, float):
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


def baseline_table(months: list[PublishedRow]) -> Table:
    """Loans and borrowers per month against the baseline month; visits beside them once a
    visit is imported."""
    with_visits = any(month.visits is not None for month in months)
    table = Table(
        title=f"Baseline for {months[0].library}: loans per month against the baseline period",
        title_justify="left",
    )
    columns = ["month", "loans", "borrowers", "baseline month", "loans", "borrowers", "change"]
    if with_visits:
        columns[3:3] = ["visits", "visitors"]
        columns += ["baseline visits", "visits change"]
    for column in columns:
        table.add_column(column, justify="left" if "month" in column else "right")
    for month in months:
        label = f"{month.month:%Y-%m}"
        if month.partial_through:
            label += f" (to day {month.partial_through}: partial)"
        cells = [
            label,
            shown(month.loans),
            shown(month.borrowers),
            f"{month.baseline_month:%Y-%m}",
            shown(month.baseline_loans),
            shown(month.baseline_borrowers),
            shown(month.loans_change, "+.0%") if month.loans is not None else no_loans(month),
        ]
        if with_visits:
            cells[3:3] = [shown(month.visits), shown(month.visitors)]
            cells += [shown(month.baseline_visits), shown(month.visits_change, "+.0%")]
        table.add_row(*cells)
    return table


def comparison_table(comparison: LibraryComparison) -> RenderableType:
    """The library against its comparison libraries, per measure (reports/comparison.py), or
    why there is nothing to compare."""
    if comparison.reason == NO_COMPARISON_LIBRARIES:
        return Text(
            "Against other libraries: the network admin has chosen no comparison libraries."
        )
    if comparison.reason == NO_COMPLETE_MONTH:
        return Text("Against other libraries: no complete month measured yet.")
    table = Table(
        title=(
            f"{comparison.library} against {', '.join(comparison.compared_with)}: "
            f"{comparison.first_month:%Y-%m} to {comparison.last_month:%Y-%m} against "
            f"{comparison.baseline_first:%Y-%m} to {comparison.baseline_last:%Y-%m}"
        ),
        title_justify="left",
    )
    for column in ("measure", "baseline", "measured", "change", "theirs", "difference"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_column("95% interval", justify="right", no_wrap=True)
    table.add_column("verdict", overflow="fold")
    for row in comparison_rows(comparison):
        left_out = ""
        if row["left_out"]:
            left_out = f" Left out: {row['left_out']} (under {SMALL_CELL} members)."
        if row["not_counted"]:
            left_out += f" Left out too: {row['not_counted']} (counted only from later)."
        table.add_row(
            row["measure"],
            shown(row["own_before"]),
            shown(row["own_after"]),
            shown(row["own_change"], "+.1%"),
            shown(row["others_change"], "+.1%"),
            shown(row["difference"], "+.1%"),
            f"{shown(row['low'], '+.1%')} to {shown(row['high'], '+.1%')}",
            (row["verdict"] or withheld_words(row)) + left_out,
        )
    return table


def withheld_words(row: dict) -> str:
    """Why this library's own figures of a measure are withheld."""
    if row["withheld_because"] == NOT_COUNTED_YET:
        return f"withheld: counted completely only from {row['counted_from'][:7]}"
    return "withheld: too few members"


def no_loans(month: PublishedRow) -> str:
    """What a month without imported loans says instead of a change."""
    if month.no_loans_after is None:
        return "no loans imported"
    return f"no loans imported after {month.no_loans_after:%Y-%m-%d}"


def benchmark_table(benchmark: Suppressed) -> Table:
    unmailed = ", ".join(benchmark.unmailed)
    table = Table(
        title=f"Benchmark: members per library (cells under {SMALL_CELL} hidden: ·; none: –)",
        title_justify="left",
        caption=f"Not in the table, nothing mailed yet: {unmailed}" if unmailed else None,
        caption_justify="left",
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
            if name in RATES and row[RATES[name][1]] == 0:
                cells.append("–")  # a rate of nobody: the library does not run that journey
            elif value is None:
                cells.append("·")
            elif isinstance(value, float):
                cells.append(f"{value:.1%}")
            else:
                cells.append(str(value))
        table.add_row(row["library"], *cells)
    return table
