"""Reports as rich tables for the terminal."""

from rich.table import Table

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
