"""Argument types the management commands share, so that each mistake reads the same."""

import argparse
import datetime as dt


def iso_date(value: str) -> dt.date:
    """A day given on the command line; argparse names the option in its message."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO date (YYYY-MM-DD, e.g. 2026-03-01)"
        ) from None
