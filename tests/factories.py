"""Factories for the library's world; tests build exactly the members they talk about."""

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from patronflow.members.activity import recount
from patronflow.members.latest_loans import note_latest_loans
from patronflow.members.models import Item, Library, Loan, Member, Visit

TODAY = dt.date(2026, 6, 1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A moment on a day, in the libraries' time zone: what `tick --now` would be given."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


class LibraryFactory(DjangoModelFactory):
    class Meta:
        model = Library
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"lib{n}")
    name = factory.LazyAttribute(lambda o: f"Bibliotheek {o.code.title()}")
    sender_name = factory.LazyAttribute(lambda o: o.name)
    sender_email = factory.LazyAttribute(lambda o: f"nieuws@{o.code}.bibliotheek.be")
    privacy_url = factory.LazyAttribute(lambda o: f"https://{o.code}.bibliotheek.be/privacy")
    profile_url = factory.LazyAttribute(
        lambda o: f"https://{o.code}.bibliotheek.be/mijn-bibliotheek"
    )
    survey_url = ""


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    library = factory.SubFactory(LibraryFactory)
    external_id = factory.Sequence(lambda n: f"M{n:06d}")
    first_name = factory.Faker("first_name", locale="nl_BE")
    last_name = factory.Faker("last_name", locale="nl_BE")
    email = factory.LazyAttribute(lambda o: f"{o.external_id.lower()}@example.org")
    birth_date = dt.date(1980, 5, 17)
    registered_on = dt.date(2020, 1, 15)
    last_activity_on = factory.LazyFunction(lambda: TODAY - dt.timedelta(days=10))
    has_online_profile = False
    membership_ends_on = None


class ItemFactory(DjangoModelFactory):
    class Meta:
        model = Item

    library = factory.SubFactory(LibraryFactory)
    external_id = factory.Sequence(lambda n: f"I{n:06d}")
    title = factory.Faker("sentence", nb_words=3, locale="nl_NL")
    author = factory.Faker("name", locale="nl_BE")
    material = Item.Material.BOOK
    is_fiction = True


class LoanFactory(DjangoModelFactory):
    class Meta:
        model = Loan
        skip_postgeneration_save = True

    member = factory.SubFactory(MemberFactory)
    library = factory.SelfAttribute("member.library")
    item = factory.SubFactory(ItemFactory, library=factory.SelfAttribute("..library"))
    external_id = factory.Sequence(lambda n: f"L{n:07d}")
    loaned_on = factory.LazyFunction(lambda: TODAY - dt.timedelta(days=30))

    @factory.post_generation
    def latest(loan, create, extracted, **kwargs):
        """The member's latest loan day, as the loans import keeps it."""
        if create:
            note_latest_loans([loan.member_id])
            loan.member.refresh_from_db(fields=["last_loan_on"])
            recount(library=loan.library_id, first=loan.loaned_on, last=loan.loaned_on)


class VisitFactory(DjangoModelFactory):
    """A member's visit, counted in the library's activity as the visits import counts it."""

    class Meta:
        model = Visit
        skip_postgeneration_save = True

    member = factory.SubFactory(MemberFactory)
    library = factory.SelfAttribute("member.library")
    visited_on = factory.LazyFunction(lambda: TODAY - dt.timedelta(days=30))
    channel = Visit.Channel.GATE

    @factory.post_generation
    def counted(visit, create, extracted, **kwargs):
        if create:
            recount(library=visit.library_id, first=visit.visited_on, last=visit.visited_on)


class JourneyFactory(DjangoModelFactory):
    """An active journey for new members, with its first version."""

    class Meta:
        model = "journeys.Journey"
        # The version is created after the journey and points at it: nothing to save again.
        skip_postgeneration_save = True

    library = factory.SubFactory(LibraryFactory)
    key = factory.Sequence(lambda n: f"journey-{n}")
    name = "Welkom"
    status = "active"
    version = factory.RelatedFactory(
        "tests.factories.VersionFactory", factory_related_name="journey"
    )


class VersionFactory(DjangoModelFactory):
    class Meta:
        model = "journeys.Version"
        django_get_or_create = ("journey", "number")

    journey = factory.SubFactory(JourneyFactory, version=None)
    number = 1
    entry = factory.LazyFunction(lambda: {"registered_within_days": 14})


class StepFactory(DjangoModelFactory):
    class Meta:
        model = "journeys.Step"

    version = factory.LazyAttribute(lambda o: o.journey.current_version)
    position = factory.Sequence(lambda n: n + 1)
    name = "Welkomstmail"
    wait_days = 0

    class Params:
        journey = factory.SubFactory(JourneyFactory)


class VariantFactory(DjangoModelFactory):
    class Meta:
        model = "journeys.Variant"

    step = factory.SubFactory(StepFactory)
    segment = ""
    subject = "Welkom, {{ first_name }}!"
    blocks = factory.LazyFunction(
        lambda: [
            {"type": "paragraph", "html": "Dag {{ first_name }}, welkom in de bibliotheek.",
             "show_if": ""}
        ]
    )  # fmt: skip


class EnrolmentFactory(DjangoModelFactory):
    class Meta:
        model = "journeys.Enrolment"

    journey = factory.SubFactory(JourneyFactory)
    version = factory.LazyAttribute(lambda o: o.journey.current_version)
    member = factory.SubFactory(MemberFactory, library=factory.SelfAttribute("..journey.library"))
    entered_on = TODAY


class MessageFactory(DjangoModelFactory):
    """A message as the outbox leaves it after sending: links recorded, status sent."""

    class Meta:
        model = "mail.Message"

    enrolment = factory.SubFactory(EnrolmentFactory)
    library = factory.SelfAttribute("enrolment.journey.library")
    step = factory.SubFactory(StepFactory, journey=factory.SelfAttribute("..enrolment.journey"))
    variant = factory.SubFactory(VariantFactory, step=factory.SelfAttribute("..step"))
    status = "sent"
    due_on = TODAY
    to_email = factory.SelfAttribute("enrolment.member.email")
    subject = "Welkom!"
    links = factory.LazyAttribute(
        lambda o: [
            "https://catalogus.example.be/boek/123",
            o.enrolment.journey.library.privacy_url,
        ]
    )
