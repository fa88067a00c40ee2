"""How an import's counts look in the terminal, for `import` and `sync` alike."""

from rich.table import Table

from patronflow.members.import_summary import ImportSummary


def import_counts_table(summary: ImportSummary, read: str = "rows read") -> Table:
    """A two-column table of what an upsert did; callers add their own rows below."""
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row(read, f"{summary.rows:,}")
    table.add_row("inserted", f"{summary.inserted:,}")
    table.add_row("updated", f"{summary.updated:,}")
    table.add_row("unchanged", f"{summary.unchanged:,}")
    if summary.repeated:
        table.add_row("repeated id (the last row won)", f"{summary.repeated:,}")
    if summary.members_with_changed_loans:
        table.add_row(
            "members whose loans changed (recounted at the next refresh)",
            f"{len(summary.members_with_changed_loans):,}",
        )
    for reason, count in summary.skipped_because.items():
        table.add_row(f"skipped: {reason}", f"{count:,}")
    table.add_row(
        "rejected", f"{summary.rejected:,}", style="bold red" if summary.rejected else None
    )
    return table
