"""The survey link in every mail's footer leads straight to the library's own open survey,
with the channel `mail` and without a click link (a click kept per member beside an answer
kept by the day could single a respondent out), and to its external survey
(Library.survey_url), tracked as any link, when none is open."""

import re

import pytest
from django.test import override_settings

from patronflow.mail.rendering import render_mail
from patronflow.members.models import Library
from patronflow.surveys.models import Survey
from patronflow.surveys.queries import public_url
from patronflow.surveys.services import set_status
from tests.factories import LibraryFactory, MemberFactory
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.django_db
BASE = "https://mail.example-network.be"
EXTERNAL = "https://gent.bibliotheek.be/enquete"


def survey_link_of(library: Library) -> tuple[str, list[str]]:
    """Where the footer's survey link points, and the destinations the mail tracks; the
    library loaded anew, as each batch of the sender does."""
    library = Library.objects.get(pk=library.pk)
    rendered = render_mail(
        message_id=1,
        member=MemberFactory.build(library=library),
        library=library,
        subject="Nieuws",
        preheader="",
        body="<p>Dag {{ first_name }}</p>",
        reading_tips=[],
    )
    [href] = re.findall(r'<a href="([^"]+)"[^>]*>Vul onze korte vragenlijst in', rendered.html)
    return href, rendered.links


@override_settings(BASE_URL=BASE)
def test_a_mail_leads_straight_to_the_open_survey_and_after_it_closes_to_the_external_one():
    library = LibraryFactory(survey_url=EXTERNAL)
    survey = make_survey(library)

    href, tracked = survey_link_of(library)
    assert href == public_url(survey=survey, channel="mail")
    assert href not in tracked and EXTERNAL not in tracked

    set_status(survey=survey, status=Survey.Status.CLOSED, actor=None, today=survey.opened_on)
    href, tracked = survey_link_of(library)
    assert href.startswith(f"{BASE}/t/c/")  # the external survey's click link
    assert tracked == [EXTERNAL]


@override_settings(BASE_URL=BASE)
def test_a_draft_survey_is_not_linked_and_without_any_survey_there_is_no_survey_link():
    library = LibraryFactory(survey_url="")
    make_survey(library, status=Survey.Status.DRAFT)

    with pytest.raises(ValueError):  # no survey sentence in the footer to unpack
        survey_link_of(library)
