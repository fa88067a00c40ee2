"""Factories for the library's world; tests build exactly the members they talk about."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from patronflow.members.models import Item, Library, Loan, Member

TODAY = dt.date(2026, 6, 1)


class LibraryFactory(DjangoModelFactory):
    class Meta:
        model = Library
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"lib{n}")
    name = factory.LazyAttribute(lambda o: f"Bibliotheek {o.code.title()}")
    sender_name = factory.LazyAttribute(lambda o: o.name)
    sender_email = factory.LazyAttribute(lambda o: f"nieuws@{o.code}.bibliotheek.be")
    privacy_url = factory.LazyAttribute(lambda o: f"https://{o.code}.bibliotheek.be/privacy")
    profile_url = factory.LazyAttribute(lambda o: f"https://{o.code}.bibliotheek.be/mijn-bibliotheek")
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

    member = factory.SubFactory(MemberFactory)
    library = factory.SelfAttribute("member.library")
    item = factory.SubFactory(ItemFactory, library=factory.SelfAttribute("..library"))
    external_id = factory.Sequence(lambda n: f"L{n:07d}")
    loaned_on = factory.LazyFunction(lambda: TODAY - dt.timedelta(days=30))
