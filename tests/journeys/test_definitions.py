"""Journey definitions: YAML/JSON files a marketer exports, edits and imports, checked first."""

import copy

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from patronflow.journeys.definitions import (
    STANDARD_JOURNEYS,
    InvalidJourney,
    dump_definition,
    export_definition,
    install_journey,
    normalise,
    parse_definition,
    standard_definition,
)
from patronflow.operations.lifecycle import change_status
from tests.factories import TODAY
from tests.journeys.helpers import definition, install, step

BROADCAST = {
    "key": "boekenweek",
    "name": "Boekenweek",
    "kind": "broadcast",
    "send_at": "2026-06-03T10:00:00+02:00",
    "entry": {"active_within_days": 365},
    "holdout_percent": 5,
    "steps": [step("Boekenweek", 0, subject="Het is Boekenweek, {{ first_name }}!")],
}


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("key", STANDARD_JOURNEYS)
def test_an_exported_standard_journey_imports_back_unchanged(library, key, fmt):
    journey = library.journeys.get(key=key)
    text = dump_definition(export_definition(journey), fmt)

    installed = install_journey(library, parse_definition(text))

    assert installed.outcome == "unchanged"
    assert journey.versions.count() == 1


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_broadcast_with_its_moment_and_tricky_text_round_trips(library, fmt):
    tricky = definition(
        key="tricky",
        steps=[
            {
                "name": "yes",  # YAML 1.1 would read a bare yes as true
                "wait_days": 0,
                "variants": [
                    {
                        "segment": "",
                        "subject": "2026-06-01",
                        "preheader": "null: 👍 \"quoted\" 'single' # not a comment",
                        "body": "<p>Dag {{ first_name }},</p>\n\t<p>Tab: ja</p>",
                    }
                ],
            }
        ],
    )
    for original in (BROADCAST, tricky):
        install_journey(library, original)
        journey = library.journeys.get(key=original["key"])
        text = dump_definition(export_definition(journey), fmt)

        assert install_journey(library, parse_definition(text)).outcome == "unchanged"
        assert normalise(parse_definition(text)) == normalise(original)


def test_the_standard_journeys_are_definitions_in_this_format(db):
    welcome, dormant = (normalise(standard_definition(key)) for key in ("welcome", "dormant"))

    assert [s["wait_days"] for s in welcome["steps"]] == [0, 7, 21]
    assert welcome["entry"] == {"registered_within_days": 14}
    assert dormant["exit_when"] == ["came_back"]
    assert dormant["reentry_after_days"] == 365
    assert [v["segment"] for v in dormant["steps"][0]["variants"]] == [
        "",
        "fiction_digital",
        "fiction_physical",
        "nonfiction_digital",
        "nonfiction_physical",
    ]


def broken(change) -> dict:
    original = definition(
        key="nieuw", steps=[step("Welkom", 0), step("Tips", 7, fiction_digital="E-boeken")]
    )
    changed = copy.deepcopy(original)
    change(changed)
    return changed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda d: d["steps"][1]["variants"].pop(0),
            "step 2 has no fallback variant (segment '')",
            id="no fallback",
        ),
        pytest.param(
            lambda d: d["steps"][1]["variants"][0].update(body="<p>Dag {{ first_name </p>"),
            "step 2, variant '', body: ",
            id="template error",
        ),
        pytest.param(
            lambda d: d["steps"][0]["variants"][0].update(subject="{% for x in %}"),
            "step 1, variant '', subject: ",
            id="template error in subject",
        ),
        pytest.param(
            lambda d: d.update(holdout=10),
            "unknown field(s) holdout; known: ",
            id="unknown field",
        ),
        pytest.param(
            lambda d: d["steps"][1].update(wait_day=14),
            "step 2: unknown field(s) wait_day; known: ",
            id="unknown step field",
        ),
        pytest.param(
            lambda d: d["steps"][1]["variants"][1].update(subjet="Hallo"),
            "step 2, variant 'fiction_digital': unknown field(s) subjet; known: ",
            id="unknown variant field",
        ),
        pytest.param(
            lambda d: d.update(kind="broadcast", steps=d["steps"][:1]),
            "send_at: a broadcast needs the moment it goes out",
            id="broadcast without send_at",
        ),
        pytest.param(
            lambda d: d.update(send_at="2026-06-03T10:00:00"),
            "send_at: give the time zone",
            id="send_at without a zone",
        ),
        pytest.param(
            lambda d: d.update(holdout_percent=60),
            "holdout_percent: at most 50, not 60",
            id="holdout over 50",
        ),
        pytest.param(
            lambda d: d.update(key="Welkom Nieuw"),
            "key: lowercase letters, digits and hyphens only, not 'Welkom Nieuw'",
            id="bad key",
        ),
        pytest.param(
            lambda d: d.update(key="welkom_nieuw"),
            "key: lowercase letters, digits and hyphens only, not 'welkom_nieuw'",
            id="underscore in key",
        ),
        pytest.param(
            lambda d: d["steps"][1].update(wait_days=-7),
            "step 2, wait_days: a whole number of 0 or more, not -7",
            id="negative wait",
        ),
        pytest.param(
            lambda d: d["steps"][1]["variants"][1].update(segment="romance"),
            "step 2, variant: segment one of ",
            id="unknown reading segment",
        ),
        pytest.param(
            lambda d: d.update(exit_when=["came back"]),
            "exit_when: a list out of came_back, online_profile, bounced",
            id="unknown exit",
        ),
        pytest.param(
            lambda d: d.update(entry={"min_age": "16"}),
            "entry: min_age: a whole number of 0 or more, not '16'",
            id="ill-typed entry",
        ),
        pytest.param(
            lambda d: d.update(steps=[]), "steps: a journey needs at least one step", id="no steps"
        ),
    ],
)
def test_a_broken_definition_is_refused_naming_field_and_step(library, change, message):
    with pytest.raises(InvalidJourney) as refused:
        install_journey(library, broken(change))

    assert message in str(refused.value)
    assert not library.journeys.filter(key="nieuw").exists()


@pytest.mark.parametrize(
    ("body", "sample"),
    [
        pytest.param(
            "{% if first_name != 'An' %}{{ [].pop() }}{% endif %}",
            "een lid dat Zoë heet, met een online profiel",
            id="every name but one",
        ),
        pytest.param(
            "<p>{{ first_name[0] }}.</p>", "een lid zonder voornaam", id="an empty first name"
        ),
        pytest.param(
            "{% if has_reading_tips %}<p>Tips</p>{% else %}{{ 1 / 0 }}{% endif %}",
            "een lid dat Çelik heet, zonder leestips",
            id="no reading tips",
        ),
        pytest.param(
            "<p>{{ (survey_url|list)[8] }}</p>",
            "een bibliotheek zonder vragenlijst",
            id="no survey",
        ),
    ],
)
def test_a_text_that_fails_for_some_members_only_is_refused_naming_one(library, body, sample):
    with translation.override("nl"), pytest.raises(InvalidJourney) as refused:
        install_journey(library, broken(lambda d: d["steps"][1]["variants"][0].update(body=body)))

    assert str(refused.value).startswith("step 2, variant '', body: regel 1: ")
    assert str(refused.value).endswith(f" (bij {sample})")
    assert not library.journeys.filter(key="nieuw").exists()


def test_a_text_over_the_render_budget_is_refused_when_imported(library):
    greedy = "{{ 'x' * 10**8 }}"
    with translation.override("en"), pytest.raises(InvalidJourney) as refused:
        install_journey(
            library, broken(lambda d: d["steps"][0]["variants"][0].update(subject=greedy))
        )

    assert str(refused.value) == (
        "step 1, variant '', subject: line 1: this builds a value of more than 100,000 "
        "characters or items; a mail never needs one: use smaller numbers or shorter texts"
    )


def test_a_broadcast_is_one_mail_sent_once(library):
    with pytest.raises(InvalidJourney, match="steps: a broadcast is one mail, with wait_days 0"):
        install_journey(library, {**BROADCAST, "steps": [step("A"), step("B", 7)]})
    with pytest.raises(InvalidJourney, match="reentry_after_days: a broadcast is sent once"):
        install_journey(library, {**BROADCAST, "reentry_after_days": 30})
    with pytest.raises(InvalidJourney, match="send_at: only broadcasts have one"):
        install_journey(library, {**BROADCAST, "kind": "journey"})


def test_an_archived_journey_or_another_kind_is_not_overwritten(library):
    install(library)
    with pytest.raises(InvalidJourney, match="gent/test is a journey, the definition a broadcast"):
        install_journey(library, {**BROADCAST, "key": "test"})
    change_status(library.journeys.get(key="test"), "archived", TODAY)
    with pytest.raises(InvalidJourney, match="gent/test is archived; install it under another"):
        install(library, steps=[step("Anders")])


def test_the_export_and_import_commands(library, tmp_path, capsys):
    yaml_path, json_path = tmp_path / "welcome.yaml", tmp_path / "welcome.json"

    call_command("journey", "export", "welcome", "--library", "gent", "-o", str(yaml_path))
    call_command("journey", "export", "welcome", "--library", "gent", "--format", "json")
    json_path.write_text(capsys.readouterr().out.split("\n", 1)[1])
    call_command("journey", "import", str(yaml_path), "--library", "gent")
    call_command("journey", "import", str(json_path), "--library", "gent")

    assert json_path.read_text().startswith('{\n  "key": "welcome",')
    assert capsys.readouterr().out.splitlines() == 2 * [
        "gent/welcome already is this definition (version 1)."
    ]
    yaml_path.write_text(yaml_path.read_text().replace("wait_days: 7", "wait_days: seven"))
    with pytest.raises(CommandError, match="step 2, wait_days: a whole number of 0 or more"):
        call_command("journey", "import", str(yaml_path), "--library", "gent")
    with pytest.raises(CommandError, match=r"nowhere\.yaml: no such file"):
        call_command("journey", "import", str(tmp_path / "nowhere.yaml"), "--library", "gent")
    yaml_path.write_text("key: [unclosed\n")
    with pytest.raises(CommandError, match="not valid YAML or JSON"):
        call_command("journey", "import", str(yaml_path), "--library", "gent")


def test_reading_tips_are_switched_on_by_true_or_false_only(library):
    tips = broken(lambda d: d["steps"][0]["variants"][0].update(with_reading_tips="false"))

    with pytest.raises(InvalidJourney, match="step 1, variant '', with_reading_tips: true or"):
        install_journey(library, tips)


@pytest.mark.parametrize("language", ["fr", ["en"], 7])
def test_a_language_the_mails_do_not_speak_is_refused_by_name(library, language):
    definition = broken(lambda d: d.update(language=language))

    with pytest.raises(InvalidJourney, match="language: one of nl, en, not"):
        install_journey(library, definition)


def test_a_moment_written_unquoted_in_yaml_is_read_with_its_zone(library, tmp_path):
    path = tmp_path / "boekenweek.yaml"
    text = dump_definition(BROADCAST).replace(
        "send_at: '2026-06-03T10:00:00+02:00'", "send_at: 2026-06-03T10:00:00+02:00"
    )
    assert "send_at: 2026-06-03T10:00:00+02:00\n" in text
    path.write_text(text)

    call_command("journey", "import", str(path), "--library", "gent")

    version = library.journeys.get(key="boekenweek").current_version
    assert version.send_at.isoformat() == "2026-06-03T08:00:00+00:00"
