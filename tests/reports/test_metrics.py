"""Campaign metrics count mails, each once per outcome, and derive the rates a marketer reads."""

import datetime as dt
from collections import Counter

import pytest

from patronflow.journeys.models import MailTally
from patronflow.mail.bounces import BounceSummary, Report
from patronflow.mail.models import Bounce, Message
from patronflow.operations.bounces import record_report
from patronflow.reports.metrics import CampaignMetrics, campaign_metrics, counted_filters, funnel
from patronflow.tracking.models import Event, Feedback
from tests.factories import StepFactory, VariantFactory, at
from tests.reports.helpers import MONDAY, mails


@pytest.fixture
def variant(db):
    variant = VariantFactory(step__journey__library__track_opens=True)
    variant.step.version.journey.library.survey_url = "https://gent.bibliotheek.be/enquete"
    variant.step.version.journey.library.save()
    return variant


def metrics(**counts) -> CampaignMetrics:
    defaults = dict.fromkeys(
        ("sent", "opened", "clicked", "unsubscribed", "thumbs_up", "thumbs_down"), 0
    ) | dict.fromkeys(("bounced", "uncertain", "human_opened", "human_clicked", "complaints"))
    return CampaignMetrics(
        library="gent",
        journey="dormant",
        step=1,
        step_name="We missen je",
        segment="default",
        week=None,
        tracks_opens=True,
        survey_clicks=0,
        **(defaults | counts),
    )


def test_rates_are_of_mails_delivered_and_click_to_open_of_mails_opened():
    row = metrics(sent=200, bounced=10, uncertain=10, opened=90, clicked=36)

    assert row.delivered == 180
    assert row.open_rate == pytest.approx(0.5)
    assert row.click_rate == pytest.approx(0.2)
    assert row.click_to_open_rate == pytest.approx(0.4)


def test_net_score_is_thumbs_up_minus_down_of_all_votes():
    assert metrics(thumbs_up=30, thumbs_down=10).net_score == pytest.approx(0.5)
    assert metrics(thumbs_up=0, thumbs_down=4).net_score == pytest.approx(-1.0)
    assert metrics().net_score is None


def test_without_open_tracking_open_rates_are_unknown_not_zero():
    row = metrics(sent=10, opened=0, clicked=2)
    row = CampaignMetrics(**{**row.__dict__, "tracks_opens": False})
    assert row.open_rate is None
    assert row.click_to_open_rate is None
    assert row.click_rate == pytest.approx(0.2)


def test_members_opens_and_clicks_and_machines_only_ones_are_counted_apart(variant):
    sent = mails(variant, 5)
    Event.objects.create(message=sent[0], kind=Event.Kind.OPEN)
    Event.objects.create(message=sent[0], kind=Event.Kind.OPEN, machine="mail_proxy")
    Event.objects.create(message=sent[1], kind=Event.Kind.OPEN, machine="mail_proxy")
    Event.objects.create(message=sent[2], kind=Event.Kind.OPEN)
    Event.objects.create(message=sent[2], kind=Event.Kind.CLICK, link_index=0)
    Event.objects.create(message=sent[3], kind=Event.Kind.CLICK, link_index=0, machine="scanner")

    [row] = campaign_metrics()

    # sent[0] was opened by a member and a proxy: a member's open, not a machine's only; a
    # click shows its mail was opened, so the scanner's alone made sent[3] a machine's open.
    assert (row.sent, row.opened, row.human_opened, row.machine_opened) == (5, 4, 2, 2)
    assert (row.clicked, row.human_clicked, row.machine_clicked) == (2, 1, 1)
    assert row.click_rate == pytest.approx(1 / 5)  # the scanner's click is not a member's
    assert row.click_to_open_rate == pytest.approx(0.5)


def test_an_uncertain_mail_counts_as_sent_but_not_as_delivered(variant):
    if counted_filters()["uncertain"] is None:
        pytest.skip("the outbox does not record uncertain mails yet")
    mails(variant, 3)
    mails(variant, 1, status=Message.Status.UNCERTAIN)
    mails(variant, 2, status=Message.Status.FAILED)

    [row] = campaign_metrics()

    assert (row.sent, row.uncertain, row.delivered) == (4, 1, 3)


def test_survey_click_outs_are_clicks_on_the_survey_link_of_the_mail(variant):
    sent = mails(
        variant,
        3,
        links=["https://catalogus.example.be/1", variant.step.version.journey.library.survey_url],
    )
    Event.objects.create(message=sent[0], kind=Event.Kind.CLICK, link_index=1)
    Event.objects.create(message=sent[0], kind=Event.Kind.CLICK, link_index=1)
    Event.objects.create(message=sent[1], kind=Event.Kind.CLICK, link_index=0)

    [row] = campaign_metrics()

    assert (row.clicked, row.survey_clicks) == (2, 1)


def test_votes_count_the_latest_vote_of_each_mail(variant):
    sent = mails(variant, 3)
    Feedback.objects.create(message=sent[0], vote=Feedback.Vote.UP)
    Feedback.objects.create(message=sent[1], vote=Feedback.Vote.UP)
    Feedback.objects.create(message=sent[2], vote=Feedback.Vote.DOWN)

    [row] = campaign_metrics()

    assert (row.thumbs_up, row.thumbs_down) == (2, 1)
    assert row.net_score == pytest.approx(1 / 3)


def test_per_week_the_mails_fall_in_the_week_they_were_sent(variant):
    mails(variant, 2, day=MONDAY)
    mails(variant, 3, day=MONDAY + dt.timedelta(days=6))  # Sunday: the same week
    mails(variant, 4, day=MONDAY + dt.timedelta(days=7))

    weeks = {row.week: row.sent for row in campaign_metrics(by_week=True)}

    assert weeks == {MONDAY: 5, MONDAY + dt.timedelta(days=7): 4}


def test_erased_members_mails_still_count_through_their_tally(variant):
    mails(variant, 2)
    MailTally.objects.create(
        library=variant.step.version.journey.library,
        step=variant.step,
        variant=variant,
        week=MONDAY,
        sent=8,
        opened=4,
        clicked=2,
    )

    [row] = campaign_metrics()
    [weekly] = campaign_metrics(by_week=True)

    assert (row.sent, row.opened, row.clicked) == (10, 4, 2)
    assert (weekly.week, weekly.sent) == (MONDAY, 10)


def test_the_funnel_adds_the_variants_of_a_step_together(variant):
    other = VariantFactory(step=variant.step, segment="fiction_digital")
    mails(variant, 2)
    mails(other, 3)

    [step] = funnel(campaign_metrics())

    assert (step.segment, step.sent) == ("all", 5)


def came_back(message: Message, kind: str) -> None:
    """A delivery report or complaint for the mail, as `patronflow bounces` records it."""
    record_report(Report(kind, message.pk, "5.1.1"), at(MONDAY), BounceSummary(Counter()))


def test_bounces_and_complaints_count_per_step_and_variant(variant):
    other = VariantFactory(step=variant.step, segment="fiction_digital")
    second = VariantFactory(
        step=StepFactory(journey=variant.step.version.journey, name="Herinnering")
    )
    sent, sent_other, sent_second = mails(variant, 6), mails(other, 4), mails(second, 3)
    uncertain = mails(variant, 2, status=Message.Status.UNCERTAIN)
    for message in (sent[0], sent[1], uncertain[0], sent_other[0], sent_second[0]):
        came_back(message, Bounce.Kind.HARD)
    came_back(sent[2], Bounce.Kind.SOFT)  # temporary: the mail may still arrive
    for message in (sent[3], sent_other[1], sent_other[2]):
        came_back(message, Bounce.Kind.COMPLAINT)

    rows = {(row.step_name, row.segment): row for row in campaign_metrics()}

    first = rows[variant.step.name, "default"]
    # An uncertain mail that bounced did leave: bounced, not uncertain.
    assert (first.sent, first.bounced, first.uncertain, first.delivered) == (8, 3, 1, 4)
    assert first.complaints == 1
    digital, reminder = rows[variant.step.name, "fiction_digital"], rows["Herinnering", "default"]
    assert (digital.bounced, digital.complaints) == (1, 2)
    assert (reminder.bounced, reminder.complaints) == (1, 0)
