"""The report counts what members did, per journey, step and variant — never who did it."""

import pytest
from django.core.management import call_command

from patronflow.journeys.models import Variant
from patronflow.reports.metrics import campaign_metrics
from patronflow.tracking.models import Event, Feedback
from tests.factories import LibraryFactory, MessageFactory


def messages_of(variant: Variant, count: int, **fields) -> list:
    step = variant.step
    return [
        MessageFactory(
            enrolment__journey=step.version.journey, step=step, variant=variant, **fields
        )
        for _ in range(count)
    ]


@pytest.fixture
def dormant_variant(library):
    step = library.journeys.get(key="dormant").current_version.steps.get(position=1)
    return step.variants.get(segment="fiction_digital")


def test_figures_count_each_mail_once_however_often_it_was_clicked(dormant_variant):
    sent = messages_of(dormant_variant, 4)
    for _ in range(3):
        Event.objects.create(message=sent[0], kind=Event.Kind.CLICK, link_index=0)
    Event.objects.create(message=sent[1], kind=Event.Kind.CLICK, link_index=1)
    Event.objects.create(message=sent[2], kind=Event.Kind.UNSUBSCRIBE)
    Feedback.objects.create(message=sent[0], vote=Feedback.Vote.UP)
    Feedback.objects.create(message=sent[3], vote=Feedback.Vote.DOWN)

    [row] = campaign_metrics()

    assert (row.journey, row.step, row.segment) == ("dormant", 1, "fiction_digital")
    assert (row.sent, row.clicked, row.unsubscribed) == (4, 2, 1)
    assert (row.thumbs_up, row.thumbs_down) == (1, 1)
    assert row.click_rate == pytest.approx(0.5)
    assert row.unsubscribe_rate == pytest.approx(0.25)


def test_only_sent_mails_count(dormant_variant):
    messages_of(dormant_variant, 2)
    messages_of(dormant_variant, 3, status="failed")
    messages_of(dormant_variant, 1, status="queued")

    [row] = campaign_metrics()

    assert row.sent == 2


def test_open_rate_is_unknown_where_the_library_does_not_track_opens(dormant_variant, library):
    [message] = messages_of(dormant_variant, 1)
    Event.objects.create(message=message, kind=Event.Kind.OPEN)
    assert campaign_metrics()[0].open_rate is None

    library.track_opens = True
    library.save()
    assert campaign_metrics()[0].open_rate == pytest.approx(1.0)


def test_report_for_one_library_leaves_out_the_others(dormant_variant, capsys):
    from patronflow.journeys.definitions import install_standard_journeys

    other = LibraryFactory(code="brugge")
    install_standard_journeys(other)
    other_variant = (
        other.journeys.get(key="welcome").current_version.steps.get(position=1).variants.get()
    )
    messages_of(dormant_variant, 2)
    messages_of(other_variant, 5)

    call_command("report", "--library", "brugge")

    output = capsys.readouterr().out
    assert "Library brugge" in output
    assert "Library gent" not in output
    assert "Welkom voor nieuwe leden" in output  # the journey's name, not its key
    assert "default" in output  # the variant everyone without a segment variant gets
