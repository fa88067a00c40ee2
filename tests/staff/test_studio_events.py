"""Journeys that start on an event, built in the journey editor: the start chosen, the event
type typed (with the types the library received as suggestions), a mail timed before a
moment in the event; saved through the same install as a YAML import, and every problem
shown on its field in the marketer's language."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patronflow.journeys.definitions import export_definition
from patronflow.journeys.models import Journey
from patronflow.members.models import MemberEvent
from tests.factories import MemberFactory
from tests.staff.studio_forms import Editor, editor_url
from tests.staff.test_studio import mail

pytestmark = pytest.mark.django_db


def on_event(editor: Editor, event_type: str = "activity.registered") -> Editor:
    """Choose "when an event happens" and apply it, as a marketer does."""
    return editor.set(start="event", on_event=event_type).press("start")


def test_an_event_journey_is_built_with_a_reminder_the_day_before(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new"))
    editor.set(name="Activiteiten", step0_name="Praktische info")
    mail(editor, 0, 0, "Je bent ingeschreven voor {{ event.name }}")
    on_event(editor).press("add_step")
    editor.set(step1_name="Herinnering", step1_wait_days=1, step1_wait_from="before_event")
    editor.set(step1_event_property="starts_at")
    mail(editor, 1, 0, "Morgen: {{ event.name }} in {{ event.place }}")

    editor.press("save")

    journey = Journey.objects.get(library=library, key="activiteiten")
    definition = export_definition(journey)
    assert definition["on_event"] == "activity.registered"
    steps = [
        (s["name"], s["wait_days"], s["wait_from"], s.get("event_property"))
        for s in definition["steps"]
    ]
    assert steps == [
        ("Praktische info", 0, "entry", None),
        ("Herinnering", 1, "before_event", "starts_at"),
    ]
    designer = staff_client.get(reverse("staff:mail", args=[journey.pk, 2, "default"]))
    assert "{{ event.starts_at }}" in designer.content.decode()  # a field to insert


def test_the_waits_on_the_event_are_offered_only_when_the_journey_starts_on_one(
    staff_client, library
):
    editor = Editor(staff_client, editor_url("studio_new"))
    assert 'value="before_event"' not in editor.page
    assert "step-0-event_property" not in editor.fields
    assert "{{ event.name }}" not in editor.page

    on_event(editor)

    assert 'value="before_event"' in editor.page and 'value="after_event"' in editor.page
    assert "step-0-event_property" in editor.fields
    assert "{{ event.name }}" in editor.page  # the placeholders name the event's parts


def test_an_event_journey_opens_again_as_it_was_saved(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new"))
    editor.set(name="Activiteiten", step0_name="Info")
    mail(editor, 0, 0, "Info")
    on_event(editor, "activity.cancelled")
    editor.set(step0_wait_from="after_event", step0_event_property="ends_at").press("save")
    journey = Journey.objects.get(library=library, key="activiteiten")

    again = Editor(staff_client, editor_url("studio_edit", journey.pk))

    assert again.fields["start"] == ["event"]
    assert again.fields["on_event"] == ["activity.cancelled"]
    assert again.fields["step-0-wait_from"] == ["after_event"]
    assert again.fields["step-0-event_property"] == ["ends_at"]
    again.press("save")
    assert journey.versions.count() == 1  # nothing changed


def test_the_library_s_recent_event_types_are_suggested(staff_client, library):
    member = MemberFactory(library=library)
    now = timezone.now()
    for event_type, days_ago in (("activity.registered", 3), ("loan.overdue", 200)):
        MemberEvent.objects.create(
            library=library, member=member, type=event_type, occurred_at=now,
            received_at=now - dt.timedelta(days=days_ago),
        )  # fmt: skip

    editor = Editor(staff_client, editor_url("studio_new"))

    assert editor.response.context["editor"].event_types == ["activity.registered"]
    assert '<option value="activity.registered">' in editor.page


@pytest.mark.parametrize(
    "typed, problem",
    [
        ("", "Geef het soort gebeurtenis"),
        ("Activiteit ingeschreven", "woorden in kleine letters met punten ertussen"),
    ],
)
def test_an_event_type_missing_or_malformed_is_named_on_its_field_in_dutch(
    staff_client, library, typed, problem
):
    editor = Editor(staff_client, editor_url("studio_new"))
    editor.set(name="Activiteiten", start="event", on_event=typed)

    editor.press("save")

    errors = editor.context_editor.settings_form.errors
    assert list(errors) == ["on_event"] and problem in errors["on_event"][0]
    assert not Journey.objects.filter(key="activiteiten").exists()


def test_a_wait_on_the_event_needs_its_property_and_says_so_on_the_field(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new"))
    editor.set(name="Activiteiten", step0_name="Herinnering")
    mail(editor, 0, 0, "Morgen")
    on_event(editor).set(step0_wait_from="before_event", step0_event_property="")

    editor.press("save")

    (row,) = editor.context_editor.steps
    assert list(row.form.errors) == ["event_property"]
    assert "starts_at" in row.form.errors["event_property"][0]
    assert "eigenschap" in row.form.errors["event_property"][0]  # in Dutch


def test_a_wait_on_the_event_in_a_journey_that_no_longer_starts_on_one_is_refused_on_it(
    staff_client, library
):
    editor = Editor(staff_client, editor_url("studio_new"))
    editor.set(name="Activiteiten", step0_name="Herinnering")
    mail(editor, 0, 0, "Morgen")
    on_event(editor).set(step0_wait_from="before_event", step0_event_property="starts_at")
    editor.set(start="entry")

    editor.press("save")

    (row,) = editor.context_editor.steps
    assert list(row.form.errors) == ["wait_from"]
    assert "kies eerst de gebeurtenis" in row.form.errors["wait_from"][0]
    assert not Journey.objects.filter(key="activiteiten").exists()


def test_an_ordinary_journey_s_designer_offers_no_event_fields(staff_client, library):
    welcome = Journey.objects.get(library=library, key="welcome")

    designer = staff_client.get(reverse("staff:mail", args=[welcome.pk, 1, "default"]))

    assert "{{ first_name }}" in designer.content.decode()
    assert "{{ event." not in designer.content.decode()


def test_a_broadcast_has_no_start_choice(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new", query="kind=broadcast"))

    assert "start" not in editor.fields and "on_event" not in editor.fields
