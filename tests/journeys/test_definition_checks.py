"""One suite of bad definitions, run both ways: imported (install_journey, as `patronflow
journey import` does) and saved from the journey editor in the browser. Each is refused by
the same check, on the same part: the import names it in `InvalidJourney.field`, the editor
shows the same reason on the form field of that part, and nothing is saved either way."""

import copy
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from patronflow.journeys.definitions import (
    InvalidJourney,
    dump_definition,
    export_definition,
    install_journey,
    parse_definition,
)
from patronflow.journeys.models import Journey
from patronflow.staff.journey_forms import field_name, problem_text
from tests.journeys.helpers import definition, step
from tests.staff.conftest import make_marketer
from tests.staff.studio_forms import Editor, editor_url

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[dict], None]  # the definition, as a YAML file would be edited
    typed: dict | None  # the same, typed into the editor; None: the editor cannot say it
    field: tuple
    editor: str = "studio_edit"  # studio_copy for what only a new journey has (its key)
    broadcast: bool = False


def _set(path: tuple, value: object) -> Callable[[dict], None]:
    def change(definition: dict) -> None:
        *parents, last = path
        target = definition
        for part in parents:
            target = target[part]
        target[last] = value

    return change


def _body(value: str) -> Callable[[dict], None]:
    """The first mail written as a body of HTML instead of its exported blocks."""

    def change(definition: dict) -> None:
        variant = definition["steps"][0]["variants"][0]
        del variant["blocks"]
        variant["body"] = value

    return change


def _drop_fallback(definition: dict) -> None:
    del definition["steps"][1]["variants"][0]


def _drop_moment(definition: dict) -> None:
    definition.pop("send_at")


CASES = [
    Case("no name", _set(("name",), ""), {"name": ""}, ("name",)),
    Case(
        "no name for a mail",
        _set(("steps", 0, "name"), ""),
        {"step0_name": ""},
        ("steps", 0, "name"),
    ),
    Case(
        "no subject",
        _set(("steps", 1, "variants", 1, "subject"), " "),
        {"step1_variant1_subject": " "},
        ("steps", 1, "variants", 1, "subject"),
    ),
    # The editor shows a mail as its blocks (the mail designer edits them), not a body to
    # empty: an empty body is the import's alone.
    Case(
        "no body",
        _body(""),
        None,
        ("steps", 0, "variants", 0, "body"),
    ),
    Case(
        "a body beside the blocks",
        _set(("steps", 0, "variants", 0, "body"), "<p>Dag</p>"),
        None,
        ("steps", 0, "variants", 0, "body"),
    ),
    Case(
        "a button that links over http",
        _set(
            ("steps", 0, "variants", 0, "blocks"),
            [{"type": "button", "text": "Lees meer", "url": "http://gent.bibliotheek.be"}],
        ),
        None,
        ("steps", 0, "variants", 0, "blocks", 0, "url"),
    ),
    Case(
        "a body that does not render",
        _body("<p>{% if first_name %}Dag</p>"),
        {"step0_variant0_body": "<p>{% if first_name %}Dag</p>"},
        ("steps", 0, "variants", 0, "body"),
    ),
    Case(
        "a subject that does not render",
        _set(("steps", 1, "variants", 0, "subject"), "Dag {{ first_name"),
        {"step1_variant0_subject": "Dag {{ first_name"},
        ("steps", 1, "variants", 0, "subject"),
    ),
    Case(
        "a preheader with an unknown placeholder's filter",
        _set(("steps", 1, "variants", 0, "preheader"), "{{ first_name|nosuchfilter }}"),
        {"step1_variant0_preheader": "{{ first_name|nosuchfilter }}"},
        ("steps", 1, "variants", 0, "preheader"),
    ),
    Case(
        "a subject longer than its column",
        _set(("steps", 0, "variants", 0, "subject"), "Dag!" * 100),
        {"step0_variant0_subject": "Dag!" * 100},
        ("steps", 0, "variants", 0, "subject"),
    ),
    Case(
        "a key longer than a key may be",
        _set(("key",), "een-" * 20 + "reeks"),
        {"key": "een-" * 20 + "reeks"},
        ("key",),
        editor="studio_copy",
    ),
    Case(
        "a negative wait",
        _set(("steps", 1, "wait_days"), -3),
        {"step1_wait_days": -3},
        ("steps", 1, "wait_days"),
    ),
    Case(
        "a holdout over 50%",
        _set(("holdout_percent",), 60),
        {"holdout_percent": 60},
        ("holdout_percent",),
    ),
    Case(
        "a negative holdout",
        _set(("holdout_percent",), -1),
        {"holdout_percent": -1},
        ("holdout_percent",),
    ),
    Case(
        "re-entry after 0 days",
        _set(("reentry_after_days",), 0),
        {"reentry_after_days": 0},
        ("reentry_after_days",),
    ),
    Case("no mails", _set(("steps",), []), {"steps": 0}, ("steps",)),
    Case(
        "no variant for everyone else",
        _drop_fallback,
        {
            "step-1-variants": 1,
            "step1_variant0_segment": "fiction_digital",
            "step1_variant0_subject": "E-boeken",
            "step1_variant0_body": "<p>E-boeken</p>",
        },
        ("steps", 1, "variants"),
    ),
    Case(
        "two variants for one segment",
        _set(("steps", 1, "variants", 1, "segment"), ""),
        {"step1_variant1_segment": ""},
        ("steps", 1, "variants", 1, "segment"),
    ),
    Case(
        "a segment that does not exist",
        _set(("steps", 1, "variants", 1, "segment"), "poetry"),
        {"step1_variant1_segment": "poetry"},
        ("steps", 1, "variants", 1, "segment"),
    ),
    Case(
        "a key with capitals and underscores",
        _set(("key",), "Nieuwe_Reeks"),
        {"key": "Nieuwe_Reeks"},
        ("key",),
        editor="studio_copy",
    ),
    Case(
        "a broadcast without its moment",
        _drop_moment,
        {"send_at": ""},
        ("send_at",),
        broadcast=True,
    ),
    # What the editor cannot even say: it offers only the choices there are.
    Case("an unknown field", _set(("wait_day",), 14), None, ()),
    Case("an unknown exit", _set(("exit_when",), ["moved_away"]), None, ("exit_when",)),
    Case("an unknown language", _set(("language",), "fr"), None, ("language",)),
    Case(
        "an unknown wait", _set(("steps", 1, "wait_from"), "loan"), None, ("steps", 1, "wait_from")
    ),
    Case(
        "reading tips as a word",
        _set(("steps", 0, "variants", 0, "with_reading_tips"), "yes"),
        None,
        ("steps", 0, "variants", 0, "with_reading_tips"),
    ),
    Case(
        "a saved segment the library lacks",
        _set(("entry",), {"segment": "nope"}),
        None,
        ("entry", "segment"),
    ),
    Case(
        "a broadcast of two mails",
        _set(("steps",), [step("A"), step("B")]),
        None,
        ("steps",),
        broadcast=True,
    ),
]


@pytest.fixture
def staff_client(client, library):
    client.force_login(make_marketer(library, "an"))
    return client


@pytest.fixture
def installed(library) -> dict[bool, Journey]:
    """A journey (two mails, the second with a variant for digital fiction readers) and a
    broadcast, both drafts, as the bad definitions start from."""
    journey = install_journey(
        library,
        definition(
            "checks",
            steps=[step("Welkom", 0), step("Tips", 7, fiction_digital="E-boeken")],
            status="draft",
        ),
    ).journey
    broadcast = install_journey(
        library,
        definition("news", kind="broadcast", status="draft", send_at="2026-12-03T10:00:00+01:00"),
    ).journey
    return {False: journey, True: broadcast}


def bad_yaml(case: Case, journey: Journey) -> str:
    """The journey's definition as `patronflow journey export` writes it, edited badly."""
    bad = copy.deepcopy(export_definition(journey))
    if case.editor == "studio_copy":
        bad["status"] = "draft"
    case.change(bad)
    return dump_definition(bad)


def imported(library, case: Case, journey: Journey) -> InvalidJourney:
    with pytest.raises(InvalidJourney) as refused:
        install_journey(library, parse_definition(bad_yaml(case, journey)))
    return refused.value


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_definition_is_refused_on_its_field_when_imported(library, installed, case, tmp_path):
    journey = installed[case.broadcast]
    before = export_definition(journey)
    path = tmp_path / "bad.yaml"
    path.write_text(bad_yaml(case, journey), "utf-8")

    problem = imported(library, case, journey)
    with pytest.raises(CommandError) as command:
        call_command("journey", "import", str(path), "--library", library.code)

    assert problem.field == case.field
    assert str(command.value) == str(problem)  # the command line says what it always said
    assert export_definition(journey) == before


BROWSABLE = [case for case in CASES if case.typed is not None]


@pytest.mark.parametrize("case", BROWSABLE, ids=[case.name for case in BROWSABLE])
def test_the_editor_refuses_it_with_the_same_reason_on_the_same_field(
    staff_client, library, installed, case
):
    journey = installed[case.broadcast]
    before = export_definition(journey)
    with translation.override("nl"):
        expected = problem_text(imported(library, case, journey))
    editor = Editor(staff_client, editor_url(case.editor, journey.pk))

    editor.set(**case.typed).press("save")

    assert editor.context_editor.problems == {field_name(case.field): [expected]}
    assert export_definition(journey) == before
    assert Journey.objects.filter(library=library).count() == 4  # two standard, two here
