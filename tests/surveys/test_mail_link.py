"""The survey link in every mail's footer leads to the library's own open survey, with the
channel `mail`, and to its external survey (Library.survey_url) when none is open."""

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
EXTERNAL = "https://gent.bibliotheek.be/enquete"


def footer_links(library: Library) -> list[str]:
    """The destinations the mail's links lead to (tracked links record them), loading the
    library anew as each batch of the sender does."""
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
    return rendered.links


@override_settings(BASE_URL="https://mail.example-network.be")
def test_a_mail_links_to_the_open_built_in_survey_and_after_it_closes_to_the_external_one():
    library = LibraryFactory(survey_url=EXTERNAL)
    survey = make_survey(library)

    while_open = footer_links(library)
    set_status(survey=survey, status=Survey.Status.CLOSED, actor=None, today=survey.opened_on)
    after = footer_links(library)

    assert public_url(survey=survey, channel="mail") in while_open
    assert EXTERNAL not in while_open
    assert EXTERNAL in after


@override_settings(BASE_URL="https://mail.example-network.be")
def test_a_draft_survey_is_not_linked_and_without_any_survey_no_link_is():
    library = LibraryFactory(survey_url="")
    make_survey(library, status=Survey.Status.DRAFT)

    assert not any("/t/s/" in link for link in footer_links(library))
