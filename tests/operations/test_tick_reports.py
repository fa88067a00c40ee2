"""The tick keeps the reports' daily figures: the mails it sends count in the campaign figures
once it has run, at most once per ROLLUP_EVERY_MINUTES, and a refresh that fails stops no
tick."""

import datetime as dt
import logging

import pytest

from patronflow.operations import tick as tick_module
from patronflow.operations.tick import tick
from patronflow.reports.metrics import campaign_metrics
from tests.factories import TODAY, MemberFactory, at


@pytest.fixture(autouse=True)
def _reads_the_aggregates(_reports_exact, settings):
    settings.ROLLUP_ON_READ = False
    settings.ROLLUP_EVERY_MINUTES = 15


def sent(library) -> int:
    return sum(row.sent for row in campaign_metrics(library))


def test_a_tick_counts_the_mails_it_sent_in_the_campaign_figures(library, smtp_server):
    MemberFactory(library=library, registered_on=TODAY)

    summary = tick(at(TODAY, 9))

    assert summary.reports_refreshed
    assert len(smtp_server.messages) == 1
    assert sent(library) == 1


def test_the_tick_refreshes_the_figures_at_most_every_fifteen_minutes(library, smtp_server):
    tick(at(TODAY, 9))
    MemberFactory(library=library, registered_on=TODAY)

    soon = tick(at(TODAY, 9) + dt.timedelta(minutes=14))

    assert not soon.reports_refreshed
    assert soon.sending.sent == 1
    assert sent(library) == 0
    assert tick(at(TODAY, 9) + dt.timedelta(minutes=15)).reports_refreshed
    assert sent(library) == 1


def test_a_refresh_that_fails_is_logged_and_the_tick_goes_on(
    library, smtp_server, monkeypatch, caplog
):
    def broken(now):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tick_module, "refresh_if_due", broken)
    MemberFactory(library=library, registered_on=TODAY)

    with caplog.at_level(logging.ERROR, logger="patronflow.operations.tick"):
        summary = tick(at(TODAY, 9))

    assert not summary.reports_refreshed
    assert summary.sending.sent == 1
    assert "reports' daily figures could not be refreshed" in caplog.text
