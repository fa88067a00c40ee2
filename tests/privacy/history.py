"""A member with something in every table that holds member data, the way a year of
journeys leaves them."""

import datetime as dt

from patronflow.choices import texts
from patronflow.choices.models import ConsentRecord
from patronflow.choices.services import record_all_mail_choice, record_list_choice, standard_lists
from patronflow.members.models import Library, Member, MemberEvent, Visit
from patronflow.profiles.models import ReadingProfile, Segment
from patronflow.tracking.models import Event, Feedback
from tests.factories import TODAY, EnrolmentFactory, LoanFactory, MemberFactory, MessageFactory


def dormant_variant(library: Library, segment: str = "fiction_physical"):
    step = library.journeys.get(key="dormant").current_version.steps.get(position=1)
    return step.variants.get(segment=segment)


def member_with_history(library: Library, **fields) -> Member:
    """Loans, a visit, a reading profile, an enrolment, a sent mail that was opened, clicked and
    voted on, a second mail that was never sent, and choices made on the preference page:
    the newsletter left, a moment of no mail at all and mail again."""
    member = MemberFactory(library=library, **fields)
    LoanFactory.create_batch(2, member=member, loaned_on=TODAY - dt.timedelta(days=800))
    Visit.objects.create(library=library, member=member, visited_on=TODAY - dt.timedelta(days=800))
    ReadingProfile.objects.create(
        member=member, segment=Segment.FICTION_PHYSICAL, fiction_loans=2, physical_loans=2
    )
    variant = dormant_variant(library)
    enrolment = EnrolmentFactory(
        journey=variant.step.version.journey, member=member, segment=variant.segment
    )
    sent = MessageFactory(
        enrolment=enrolment,
        step=variant.step,
        variant=variant,
        sent_at=dt.datetime(2024, 3, 6, 9, tzinfo=dt.UTC),
        subject=f"We missen je, {member.first_name}!",
    )
    Event.objects.create(message=sent, kind=Event.Kind.OPEN)
    Event.objects.create(message=sent, kind=Event.Kind.CLICK, link_index=0)
    Event.objects.create(message=sent, kind=Event.Kind.CLICK, link_index=0)
    Feedback.objects.create(message=sent, vote=Feedback.Vote.UP, comment="Leuke tips!")
    welcome = library.journeys.get(key="welcome").current_version.steps.get(position=1)
    MessageFactory(
        enrolment=EnrolmentFactory(journey=welcome.version.journey, member=member),
        step=welcome,
        variant=welcome.variants.get(),
        status="suppressed",
    )
    source, wording = ConsentRecord.Source.PREFERENCES, texts.PREFERENCES
    newsletter = standard_lists(library)["newsletter"]
    record_list_choice(
        member, newsletter, receives=False, source=source, text_version=wording, at=sent.sent_at
    )
    for stopped in (True, False):
        record_all_mail_choice(
            member, stopped=stopped, source=source, text_version=wording, at=sent.sent_at
        )
    registered = dt.datetime.combine(TODAY - dt.timedelta(days=10), dt.time(9), dt.UTC)
    MemberEvent.objects.create(
        library=library,
        member=member,
        type="activity.registered",
        occurred_at=registered,
        received_at=registered,
        properties={"name": "Voorleesuurtje", "starts_at": "2026-06-06T14:00:00+02:00"},
    )
    return member
