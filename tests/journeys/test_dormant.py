import datetime as dt

from patronflow.journeys.definitions import install_journey, standard_definition
from patronflow.journeys.models import Enrolment
from patronflow.mail.models import Message
from patronflow.members.models import Item
from patronflow.operations.tick import tick
from patronflow.profiles.models import Segment, TipChoice
from patronflow.profiles.tips import choose
from tests.factories import TODAY, ItemFactory, LoanFactory, MemberFactory, at

LONG_AGO = TODAY - dt.timedelta(days=400)


def dormant_member(library, **fields):
    return MemberFactory(library=library, last_activity_on=LONG_AGO, **fields)


def test_member_without_activity_for_over_a_year_gets_one_win_back_mail(library, smtp_server):
    dormant = dormant_member(library, first_name="Jef")
    MemberFactory(library=library, last_activity_on=TODAY - dt.timedelta(days=300))

    for offset in range(0, 10):
        tick(at(TODAY + dt.timedelta(days=offset)))

    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == [dormant.email]
    assert "Jef" in smtp_server.messages[0]["Subject"]


def test_a_recent_loan_keeps_a_member_out_even_without_a_recorded_visit(library, smtp_server):
    member = dormant_member(library)
    LoanFactory(member=member, loaned_on=TODAY - dt.timedelta(days=30))

    tick(at(TODAY))

    assert smtp_server.messages == []


def test_each_reading_segment_gets_its_own_mail_with_fitting_tips(library, smtp_server):
    ebook_thriller = ItemFactory(
        library=library, title="Het Smelt", material=Item.Material.EBOOK, is_fiction=True
    )
    history_book = ItemFactory(library=library, title="Congo", is_fiction=None, nur="680")
    digital_fiction_reader = dormant_member(library)
    history_reader = dormant_member(library)
    for _ in range(3):
        LoanFactory(member=digital_fiction_reader, item=ebook_thriller, loaned_on=LONG_AGO)
        LoanFactory(member=history_reader, item=history_book, loaned_on=LONG_AGO)
    for item in (ebook_thriller, history_book):  # active members keep these titles popular
        for _ in range(3):
            LoanFactory(member=MemberFactory(library=library), item=item, library=library)
    newcomer_like = dormant_member(library)

    tick(at(TODAY))

    enrolments = {e.member_id: e.segment for e in Enrolment.objects.filter(journey__key="dormant")}
    assert enrolments[digital_fiction_reader.pk] == Segment.FICTION_DIGITAL
    assert enrolments[history_reader.pk] == Segment.NONFICTION_PHYSICAL
    assert enrolments[newcomer_like.pk] == Segment.UNKNOWN
    [fiction_mail] = smtp_server.to(digital_fiction_reader.email)
    [history_mail] = smtp_server.to(history_reader.email)
    [fallback_mail] = smtp_server.to(newcomer_like.email)
    assert "scherm" in fiction_mail["Subject"]
    assert "ontdekken" in history_mail["Subject"]
    assert "we missen je" in fallback_mail["Subject"]
    assert "Leestips voor jou" in fallback_mail.get_body(("html",)).get_content()


def test_tips_leave_out_titles_the_member_already_borrowed_in_any_copy(library, smtp_server):
    popular = ItemFactory(library=library, title="Al gelezen", author="A. Schrijver")
    other = ItemFactory(library=library, title="Nog niet gelezen")
    member = dormant_member(library)
    another_copy = ItemFactory(library=library, title="Al gelezen", author="A. Schrijver")
    LoanFactory(member=member, item=another_copy, loaned_on=LONG_AGO)
    for item, times in ((popular, 5), (other, 2)):
        for _ in range(times):
            LoanFactory(item=item, member=MemberFactory(library=library), library=library)

    tick(at(TODAY))

    [mail] = smtp_server.to(member.email)
    html = mail.get_body(("html",)).get_content()
    assert "Nog niet gelezen" in html
    assert "Al gelezen" not in html


def test_staff_pins_reach_the_member_and_exclusions_never_do(library, smtp_server):
    library.catalogue_url = "https://gent.bibliotheek.be/zoeken?q={isbn}"
    library.save()
    favourite = ItemFactory(library=library, title="Iedereen leest dit", author="A")
    pinned = ItemFactory(library=library, title="Verborgen parel", author="B", isbn="9789000000017")
    for _ in range(5):
        LoanFactory(item=favourite, member=MemberFactory(library=library), library=library)
    choose(library, "Iedereen leest dit", "A", TipChoice.Action.EXCLUDE)
    choose(library, "Verborgen parel", "B", TipChoice.Action.PIN)
    member = dormant_member(library)

    tick(at(TODAY))

    [mail] = smtp_server.to(member.email)
    html = mail.get_body(("html",)).get_content()
    assert "Verborgen parel" in html and pinned.title in html
    assert "Iedereen leest dit" not in html
    [message] = Message.objects.filter(enrolment__member=member)
    assert "https://gent.bibliotheek.be/zoeken?q=9789000000017" in message.links


def test_a_journey_in_english_gets_the_layout_in_english(library, smtp_server):
    install_journey(library, standard_definition("dormant", "en") | {"holdout_percent": 0})
    member = dormant_member(library, first_name="Sam")

    tick(at(TODAY))

    [mail] = smtp_server.to(member.email)
    text = mail.get_body(("plain",)).get_content()
    assert "Hello Sam," in text
    assert "Fewer mails, or none?" in text and "schrijf je uit" not in text


def test_member_who_comes_back_before_the_mail_leaves_the_journey(library, smtp_server):
    install_journey(
        library,
        {
            "key": "dormant-later",
            "name": "We missen je (na drie dagen)",
            "status": "active",
            "entry": {"inactive_for_days": 365},
            "exit_when": ["came_back"],
            "steps": [
                {
                    "position": 1,
                    "name": "We missen je",
                    "wait_days": 3,
                    "variants": [{"segment": "", "subject": "Kom terug", "body": "<p>Hoi</p>"}],
                }
            ],
        },
    )
    library.journeys.filter(key="dormant").update(status="paused")
    returning = dormant_member(library)
    staying_away = dormant_member(library)
    tick(at(TODAY))
    LoanFactory(member=returning, loaned_on=TODAY + dt.timedelta(days=1))

    for offset in range(1, 5):
        tick(at(TODAY + dt.timedelta(days=offset)))

    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == [staying_away.email]
    enrolment = Enrolment.objects.get(member=returning)
    assert enrolment.status == Enrolment.Status.EXITED
    assert enrolment.exit_reason == Enrolment.ExitReason.CAME_BACK
