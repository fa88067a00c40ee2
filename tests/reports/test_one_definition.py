"""Every report takes its rates from reports.metrics: the terminal table, the CSV, the HTML
report's charts and the staff screens show a library the same figure for the same thing — a
rate of mails delivered, of what members (not machines) did."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command

from patronflow.mail.models import Message
from patronflow.reports.exports import build_report
from patronflow.reports.metrics import campaign_metrics
from patronflow.reports.period import period_of
from patronflow.staff.queries import dashboard
from patronflow.staff.queries import report as staff_report
from patronflow.tracking.models import Event
from tests.reports.helpers import mails


@pytest.fixture
def campaign(library) -> list[Message]:
    """120 mails of one variant: 100 sent and 20 uncertain (the sender stopped before the
    SMTP outcome). Members opened 50 and clicked in 30; proxies alone opened 20 more and a
    link scanner alone clicked in 10; 10 members unsubscribed. No count under 10, so every
    report shows them all."""
    library.track_opens = True
    library.save()
    step = library.journeys.get(key="dormant").current_version.steps.get(position=1)
    sent = mails(step.variants.get(segment="fiction_digital"), 100)
    mails(step.variants.get(segment="fiction_digital"), 20, status=Message.Status.UNCERTAIN)
    for message in sent[:50]:
        Event.objects.create(message=message, kind=Event.Kind.OPEN)
    Event.objects.create(message=sent[0], kind=Event.Kind.OPEN, machine="mail_proxy")
    for message in sent[50:70]:
        Event.objects.create(message=message, kind=Event.Kind.OPEN, machine="mail_proxy")
    for message in sent[:30]:
        Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=0)
    Event.objects.create(message=sent[0], kind=Event.Kind.CLICK, link_index=0, machine="scanner")
    for message in sent[30:40]:
        Event.objects.create(
            message=message, kind=Event.Kind.CLICK, link_index=0, machine="scanner"
        )
    for message in sent[90:]:
        Event.objects.create(message=message, kind=Event.Kind.UNSUBSCRIBE)
    return sent


def test_rates_are_members_opens_and_clicks_of_the_mails_delivered(campaign):
    [row] = campaign_metrics()

    assert (row.sent, row.uncertain, row.delivered) == (120, 20, 100)
    assert (row.opened, row.member_opened, row.machine_opened) == (70, 50, 20)
    assert (row.clicked, row.member_clicked, row.machine_clicked) == (40, 30, 10)
    assert row.open_rate == pytest.approx(50 / 100)
    assert row.click_rate == pytest.approx(30 / 100)
    assert row.click_to_open_rate == pytest.approx(30 / 50)
    assert row.unsubscribe_rate == pytest.approx(10 / 100)


SINCE_LAUNCH = period_of("launch", today=dt.date(2026, 12, 31))


def test_the_terminal_table_csv_charts_and_staff_screens_agree(library, campaign, capsys):
    call_command("report")
    table = capsys.readouterr().out
    call_command("report", "--format", "csv")
    [exported] = csv.DictReader(io.StringIO(capsys.readouterr().out))
    [on_screen] = staff_report(library, network=False, period=SINCE_LAUNCH).metrics
    [card] = [card for card in dashboard(library) if card.row.key == "dormant"]
    [step] = build_report(library).funnel

    # The default table: members' opens, clicks and unsubscribes, each with its rate.
    assert "50 (50.0%)" in table
    assert "30 (30.0%)" in table
    assert "10 (10.0%)" in table
    assert (exported["delivered"], exported["open_rate"]) == ("100", "0.5")
    assert (exported["click_rate"], exported["unsubscribe_rate"]) == ("0.3", "0.1")
    assert (on_screen.delivered, on_screen.member_clicked) == (100, 30)
    assert (on_screen.open_rate, on_screen.click_rate) == (0.5, 0.3)
    assert (card.sent, card.opened, card.clicked, card.unsubscribed) == (120, 50, 30, 10)
    assert (step.delivered, step.member_opened, step.member_clicked) == (100, 50, 30)
    assert (on_screen.member_clicked, on_screen.machine_clicked) == (30, 10)


def test_erasing_members_changes_no_count_and_no_rate(library, campaign, capsys):
    before = campaign_metrics()

    # Opened and clicked by their members and by machines; opened by the member and clicked
    # only by a scanner; opened only by an image proxy; and an uncertain mail.
    uncertain = Message.objects.filter(status=Message.Status.UNCERTAIN).first()
    erased = [*campaign[:4], campaign[5], uncertain]
    for message in erased:
        external_id = message.enrolment.member.external_id
        call_command("member", "erase", external_id, "--library", "gent", "--by", "an")

    assert Message.objects.count() == 120 - len(erased)
    assert campaign_metrics() == before


def test_a_click_shows_the_mail_was_opened_even_when_only_a_proxy_loaded_the_pixel(library):
    library.track_opens = True
    library.save()
    variant = library.journeys.get(key="dormant").current_version.steps.get(position=1).variants
    read_in_gmail, read_with_images, _unread = mails(variant.get(segment="fiction_digital"), 3)
    Event.objects.create(message=read_in_gmail, kind=Event.Kind.OPEN, machine="mail_proxy")
    Event.objects.create(message=read_in_gmail, kind=Event.Kind.CLICK, link_index=0)
    Event.objects.create(message=read_with_images, kind=Event.Kind.OPEN)
    [row] = campaign_metrics()

    assert (row.opened, row.member_opened, row.machine_opened) == (2, 2, 0)
    assert row.click_to_open_rate == pytest.approx(1 / 2)

    call_command("member", "erase", read_in_gmail.enrolment.member.external_id, "--library", "gent")
    assert campaign_metrics() == [row]
