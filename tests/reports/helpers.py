"""Sent mails of one variant, and a small library's campaign, as the reports tests build them."""

import datetime as dt

from hypothesis import strategies as st

from patronflow.mail.models import Message
from patronflow.reports.metrics import CampaignMetrics
from patronflow.tracking.models import Event, Feedback
from tests.factories import EnrolmentFactory, LoanFactory, MessageFactory, at

MONDAY = dt.date(2026, 5, 25)


def mails(variant, count: int, day: dt.date = MONDAY, **fields) -> list[Message]:
    """`count` mails of `variant`'s step, sent on `day` to members of the variant's segment."""
    step = variant.step
    return [
        MessageFactory(
            enrolment__journey=step.version.journey,
            enrolment__segment=variant.segment,
            step=step,
            variant=variant,
            sent_at=at(day),
            **fields,
        )
        for _ in range(count)
    ]


AFTER_THE_WINDOWS = MONDAY + dt.timedelta(days=100)  # every member's 90-day window has passed


def small_campaign(library) -> None:
    """A small library's first dormant mailing, as issue 19 found Brugge's: 37 members mailed
    and their mails delivered, one of them unsubscribed and one voted 👎; three members held
    out, one of whom came back and borrowed."""
    journey = library.journeys.get(key="dormant")
    step = journey.current_version.steps.get(position=1)
    sent = mails(step.variants.get(segment=""), 37)
    Event.objects.create(message=sent[0], kind=Event.Kind.UNSUBSCRIBE)
    Feedback.objects.create(message=sent[1], vote=Feedback.Vote.DOWN)
    held_out = [
        EnrolmentFactory(journey=journey, held_out=True, entered_on=MONDAY) for _ in range(3)
    ]
    LoanFactory(member=held_out[0].member, loaned_on=MONDAY + dt.timedelta(days=5))


ENTERED = dt.date(2026, 3, 2)
WINDOWS_PASSED = dt.date(2026, 6, 30)  # every member's 90-day window has passed
# Members mailed and held out, and how many of each came back and borrowed: an effect that is
# clear (50% against 17%), unclear (30% against 25%: could be chance) and absent (25% each).
EFFECTS = {
    "clear": ((80, 40), (60, 10)),
    "unclear": ((60, 18), (60, 15)),
    "absent": ((60, 15), (60, 15)),
}


def effect_campaign(library, effect: str, entered: dt.date = ENTERED) -> None:
    """The library's dormant journey with a control group, its members mailed or held out and
    some of them back to borrow 10 days after the mail, as `EFFECTS[effect]` says."""
    journey = library.journeys.get(key="dormant")
    journey.versions.update(holdout_percent=10)
    variant = journey.current_version.steps.get(position=1).variants.get(segment="")
    for held_out, (members, came_back) in zip((False, True), EFFECTS[effect], strict=True):
        for number in range(members):
            enrolment = EnrolmentFactory(
                journey=journey,
                entered_on=entered,
                held_out=held_out,
                member__last_activity_on=entered - dt.timedelta(days=400),
            )
            if not held_out:
                MessageFactory(
                    enrolment=enrolment,
                    step=variant.step,
                    variant=variant,
                    sent_at=at(entered + dt.timedelta(days=2)),
                )
            if number < came_back:
                LoanFactory(member=enrolment.member, loaned_on=entered + dt.timedelta(days=12))


# Generated tallies: every count of a week's mails from 0, 1–9 or more, over a journey of one
# or two steps, one or two variants each and one to three weeks.
count = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 40))
leaf = st.fixed_dictionaries(
    {
        "delivered": count,
        "bounced": count,
        "uncertain": count,
        "human_clicked": count,
        "machine_clicked": count,
        "unsubscribed": count,
        "complaints": count,
        "thumbs_down": count,
    }
)
shape = st.lists(
    st.lists(st.lists(leaf, min_size=1, max_size=3), min_size=1, max_size=2), min_size=1, max_size=2
)


def tallies(steps: list) -> list[CampaignMetrics]:
    rows = []
    for position, variants in enumerate(steps, start=1):
        for segment, weeks in zip(
            ("fiction_digital", "nonfiction_physical"), variants, strict=False
        ):
            for offset, week in enumerate(weeks):
                rows.append(
                    CampaignMetrics(
                        library="gent",
                        journey="dormant",
                        journey_name="We missen je",
                        step=position,
                        step_name=f"Mail {position}",
                        segment=segment,
                        week=MONDAY + dt.timedelta(weeks=offset),
                        tracks_opens=False,
                        sent=week["delivered"] + week["bounced"] + week["uncertain"],
                        bounced=week["bounced"],
                        uncertain=week["uncertain"],
                        opened=0,
                        human_opened=0,
                        clicked=week["human_clicked"] + week["machine_clicked"],
                        human_clicked=week["human_clicked"],
                        unsubscribed=week["unsubscribed"],
                        complaints=week["complaints"],
                        thumbs_up=0,
                        thumbs_down=week["thumbs_down"],
                        survey_clicks=0,
                    )
                )
    return rows
