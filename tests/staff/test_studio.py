"""Journeys built in the browser: from scratch, from a preset, as a copy; mails added,
moved and removed; saved through the same install as a YAML import."""

import pytest

from patronflow.journeys.definitions import export_definition
from patronflow.journeys.models import Journey, Version
from patronflow.privacy.models import AuditEntry
from patronflow.templating.blocks import has_reading_tips
from tests.factories import TODAY, at
from tests.staff.studio_forms import Editor, editor_url

pytestmark = pytest.mark.django_db


def welcome(library) -> Journey:
    return Journey.objects.get(library=library, key="welcome")


def mail(editor: Editor, step: int, variant: int, subject: str, body: str = "") -> None:
    editor.set(
        **{
            f"step{step}_variant{variant}_subject": subject,
            f"step{step}_variant{variant}_body": body or f"<p>{subject}</p>",
        }
    )


def test_a_journey_built_from_scratch_with_three_mails_and_two_variants(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new"))
    editor.set(name="Nieuwe lezers", step0_name="Hallo")
    mail(editor, 0, 0, "Hallo {{ first_name }}")
    editor.press("add_step").press("add_step")
    editor.set(step1_name="Tips", step1_wait_days=7, step2_name="Tot ziens", step2_wait_days=21)
    mail(editor, 1, 0, "Tips voor jou")
    mail(editor, 2, 0, "Nog even")
    editor.press("add_variant:1", **{"step-1-new_segment": "fiction_digital"})
    mail(editor, 1, 1, "E-boeken voor jou")
    editor.set(step1_variant1_with_reading_tips="on")

    editor.press("save")

    journey = Journey.objects.get(library=library, key="nieuwe-lezers")
    definition = export_definition(journey)
    assert journey.status == Journey.Status.DRAFT
    assert [(s["name"], s["wait_days"]) for s in definition["steps"]] == [
        ("Hallo", 0),
        ("Tips", 7),
        ("Tot ziens", 21),
    ]
    tips = definition["steps"][1]["variants"]
    assert [(v["segment"], v["subject"], has_reading_tips(v["blocks"])) for v in tips] == [
        ("", "Tips voor jou", False),
        ("fiction_digital", "E-boeken voor jou", True),
    ]
    assert "Nieuwe lezers" in editor.page  # the journey's page, after the redirect
    assert AuditEntry.objects.filter(subject="journey nieuwe-lezers", operator="staff:an").exists()


def test_the_buttons_change_the_form_and_save_nothing(staff_client, library):
    journey = welcome(library)
    before = export_definition(journey)
    names = [step["name"] for step in before["steps"]]
    editor = Editor(staff_client, editor_url("studio_edit", journey.pk))

    editor.press("add_step").press("remove_step:0").press("down:0")

    assert export_definition(journey) == before
    shown = [editor.fields[f"step-{index}-name"] for index in range(3)]
    assert shown == [[names[2]], [names[1]], [""]]
    assert editor.fields["steps"] == ["3"]


def test_mails_reordered_and_removed_are_saved_in_their_new_order(staff_client, library):
    journey = welcome(library)
    names = [step["name"] for step in export_definition(journey)["steps"]]
    editor = Editor(staff_client, editor_url("studio_edit", journey.pk))

    editor.press("up:2").press("remove_step:0").press("save")

    assert [step["name"] for step in export_definition(journey)["steps"]] == [names[2], names[1]]
    assert journey.versions.count() == 1  # nobody is in it: replaced in place


def test_a_variant_is_removed_but_the_fallback_cannot_be(staff_client, library):
    dormant = Journey.objects.get(library=library, key="dormant")
    editor = Editor(staff_client, editor_url("studio_edit", dormant.pk))
    assert 'value="remove_variant:0:0"' not in editor.page  # '' sorts first: the fallback

    editor.press("remove_variant:0:1").press("save")

    segments = [v["segment"] for v in export_definition(dormant)["steps"][0]["variants"]]
    assert segments == ["", "fiction_physical", "nonfiction_digital", "nonfiction_physical"]


def test_a_copy_is_a_new_draft_under_its_own_key(staff_client, library):
    journey = welcome(library)
    editor = Editor(staff_client, editor_url("studio_copy", journey.pk))
    assert editor.fields["key"] == ["welcome-copy"]

    editor.press("save")

    copy = Journey.objects.get(library=library, key="welcome-copy")
    assert copy.status == Journey.Status.DRAFT
    assert copy.name == "Kopie van Welkom voor nieuwe leden"
    assert export_definition(copy)["steps"] == export_definition(journey)["steps"]


def test_a_preset_opens_in_the_library_language_under_a_free_key(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new", query="preset=welcome&language=en"))
    assert editor.fields["key"] == ["welcome-2"]  # the library has a welcome journey

    editor.press("save")

    journey = Journey.objects.get(library=library, key="welcome-2")
    assert journey.status == Journey.Status.DRAFT
    assert journey.current_version.language == "en"
    assert journey.current_version.steps.count() == 3


def test_a_newsletter_broadcast_from_its_preset_needs_its_moment(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new", query="preset=newsletter"))

    editor.press("save")
    assert "send_at" in editor.context_editor.problems
    editor.set(send_at="2026-12-03T10:00").press("save")

    broadcast = Journey.objects.get(library=library, key="nieuwsbrief")
    assert broadcast.kind == Journey.Kind.BROADCAST
    assert broadcast.status == Journey.Status.DRAFT
    assert broadcast.current_version.send_at.isoformat() == "2026-12-03T09:00:00+00:00"


def test_a_blank_broadcast_is_one_mail_without_waits(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new", query="kind=broadcast"))
    assert "step-0-wait_days" not in editor.fields
    assert 'value="add_step"' not in editor.page
    editor.set(name="Zomeractie", step0_name="Zomer", send_at="2026-07-01T09:30")
    mail(editor, 0, 0, "Zomer in de bib")

    editor.press("save")

    broadcast = Journey.objects.get(library=library, key="zomeractie")
    assert broadcast.kind == Journey.Kind.BROADCAST
    assert export_definition(broadcast)["steps"][0]["wait_days"] == 0


def test_a_new_journey_cannot_take_the_key_of_an_existing_one(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new"))
    editor.set(name="Welkom", key="welcome", step0_name="Hallo")
    mail(editor, 0, 0, "Hallo")

    editor.press("save")

    assert "key" in editor.context_editor.problems
    assert welcome(library).versions.count() == 1
    assert welcome(library).current_version.steps.count() == 3


def test_every_setting_of_the_format_is_saved_from_the_form(staff_client, library):
    journey = welcome(library)
    editor = Editor(staff_client, editor_url("studio_edit", journey.pk))
    editor.set(
        name="Welkom!",
        language="en",
        exit_when=["came_back", "online_profile"],
        reentry_after_days=365,
        holdout_percent=20,
        step1_wait_from="previous",
        step1_wait_days=5,
        step0_variant0_preheader="Fijn!",
        **{"entry-r.0-value": "30"},
    )

    editor.press("save")

    definition = export_definition(Journey.objects.get(pk=journey.pk))
    assert definition["name"] == "Welkom!"
    assert definition["language"] == "en"
    assert definition["exit_when"] == ["came_back", "online_profile"]
    assert definition["reentry_after_days"] == 365
    assert definition["holdout_percent"] == 20
    assert definition["entry"] == {"registered_within_days": 30}
    assert (definition["steps"][1]["wait_days"], definition["steps"][1]["wait_from"]) == (
        5,
        "previous",
    )
    assert definition["steps"][0]["variants"][0]["preheader"] == "Fijn!"


def test_show_what_changes_lists_the_changes_and_saves_nothing(staff_client, library):
    journey = welcome(library)
    holdout = journey.current_version.holdout_percent
    editor = Editor(staff_client, editor_url("studio_edit", journey.pk))
    editor.set(holdout_percent=holdout + 20, step1_wait_days=14, **{"entry-r.0-value": "30"})

    editor.press("review")

    assert f"Controlegroep: {holdout}% → {holdout + 20}%" in editor.page
    assert "Mail 2: wachttijd dag 7 na instap → dag 14 na instap" in editor.page
    assert "Doelgroep bij instap gewijzigd" in editor.page
    assert (
        "Lid geworden in de laatste 14 dagen → Lid geworden in de laatste 30 dagen" in editor.page
    )
    assert journey.current_version.holdout_percent == holdout


def test_an_archived_journey_is_not_edited(staff_client, library):
    journey = welcome(library)
    Journey.objects.filter(pk=journey.pk).update(status=Journey.Status.ARCHIVED)

    response = staff_client.get(editor_url("studio_edit", journey.pk), follow=True)

    assert response.redirect_chain[-1][0] == editor_url("journey", journey.pk)


def test_a_broadcast_that_went_out_is_copied_rather_than_changed(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new", query="preset=newsletter"))
    editor.set(send_at="2026-12-03T10:00").press("save")
    broadcast = Journey.objects.get(library=library, key="nieuwsbrief")
    Version.objects.filter(journey=broadcast).update(entry_closed_at=at(TODAY))

    response = staff_client.get(editor_url("studio_edit", broadcast.pk), follow=True)

    assert response.redirect_chain[-1][0] == editor_url("journey", broadcast.pk)
    page = response.content.decode()
    assert "Deze verzending is al vertrokken" in page
    assert editor_url("studio_edit", broadcast.pk) not in page
    assert editor_url("studio_copy", broadcast.pk) in page
