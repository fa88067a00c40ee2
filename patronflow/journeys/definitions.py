"""Journeys as data: read and write a definition (YAML or JSON), checked before anything is saved.

Installing a definition over an existing journey keeps its history honest: when nobody has
entered the current version yet it is replaced in place; otherwise a new version is added and
members already on their way finish on the version they started. docs/journeys.md has the
format.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop as _noop

from patronflow.choices.models import MailingList
from patronflow.choices.services import DEFAULT_LIST, list_for
from patronflow.journeys.audiences import InvalidAudience, check_conditions, saved_segments_named
from patronflow.journeys.models import Journey, MailTally, SavedSegment, Step, Variant, Version
from patronflow.members.models import EVENT_PROPERTY_NAME, Library
from patronflow.privacy.audit import Actor, changed_values, record_change
from patronflow.profiles.models import Segment
from patronflow.templating.blocks import (
    from_html,
    has_reading_tips,
    normalised,
    to_template,
    validate,
)
from patronflow.templating.sandbox import TemplateProblem
from patronflow.templating.staff_text import check_staff_template

STANDARD_JOURNEYS = ("welcome", "dormant")
# Built-in definitions a library installs when it wants them (as drafts), not by default.
EXAMPLE_JOURNEYS = ("activity",)
MAX_HOLDOUT_PERCENT = 50
# A step waits at most ten years: a longer wait means a typo, and one long enough runs past
# the calendar's end, which the scheduler cannot date.
MAX_WAIT_DAYS = 3_650
EVENT_STEPS = (Step.WaitFrom.BEFORE_EVENT.value, Step.WaitFrom.AFTER_EVENT.value)
_EVENT_TYPE = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")
_EVENT_PROPERTY = re.compile(EVENT_PROPERTY_NAME)


Field = tuple[str | int, ...]


class InvalidJourney(ValueError):
    """A definition that would fail at send time; the message names the step and the field.
    `field` is the path to that part of the definition, list indexes counted from 0 in the
    order given, e.g. ("steps", 1, "variants", 0, "subject"); () for the whole definition.
    The staff editor shows `reason` (an entry of the staff catalogue, filled in with `params`)
    on that field; the message stays the command line's."""

    def __init__(self, message: str, field: Field = (), reason: str = "", **params: object) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class Installed:
    journey: Journey
    version: Version
    outcome: str  # "created", "replaced", "new version" or "unchanged"


def parse_definition(text: str, name: str = "definition") -> dict:
    """A definition from YAML or JSON text (JSON is YAML, so one parser reads both)."""
    try:
        definition = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidJourney(f"{name}: not valid YAML or JSON: {error}") from None
    if not isinstance(definition, dict):
        raise InvalidJourney(f"{name}: a journey definition is a mapping with key, name, steps")
    return definition


def read_definition(path: Path) -> dict:
    return parse_definition(path.read_text("utf-8-sig"), name=str(path))


def dump_definition(definition: dict, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(definition, ensure_ascii=False, indent=2, default=str) + "\n"
    return yaml.dump(
        definition, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True, width=100
    )


class _LiteralDumper(yaml.SafeDumper):
    """Writes mail bodies as readable blocks rather than one escaped line."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _represent_text)


def _text(
    value: Any, where: str, field: Field, required: bool = True, longest: int | None = None
) -> str:
    """A text; `longest` is its column's length, which PostgreSQL would refuse past."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidJourney(f"{where}: text is required", field, _noop("Fill this in."))
    if longest is not None and len(value) > longest:
        raise InvalidJourney(
            f"{where}: at most {longest} characters, not {len(value)}",
            field,
            _noop("At most %(longest)s characters; this is %(length)s."),
            longest=longest,
            length=len(value),
        )
    return value


def _longest(model: type, name: str) -> int:
    return model._meta.get_field(name).max_length


def _refuse_unknown(mapping: dict, known: set[str], where: str = "", field: Field = ()) -> None:
    """A misspelt field would otherwise be dropped silently and its default used instead
    (e.g. `wait_day: 14` sending the mail on day 0)."""
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise InvalidJourney(
            f"{where}{': ' if where else ''}unknown field(s) {', '.join(map(str, unknown))}; "
            f"known: {', '.join(sorted(known))}",
            field,
            _noop("Unknown field(s) %(unknown)s."),
            unknown=", ".join(map(str, unknown)),
        )


_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _check_key(key: str) -> str:
    """Keys appear in commands, file names and the List-Id header: kept to what the docs
    promise (slugify alone would also let underscores through)."""
    if not _KEY.fullmatch(key):
        raise InvalidJourney(
            f"key: lowercase letters, digits and hyphens only, not {key!r}",
            ("key",),
            _noop("Lowercase letters, digits and hyphens only."),
        )
    return _text(key, "key", ("key",), longest=_longest(Journey, "key"))


def _flag(value: Any, where: str, field: Field) -> bool:
    """Strictly true or false: a quoted "false" must not read as true."""
    if not isinstance(value, bool):
        raise InvalidJourney(
            f"{where}, with_reading_tips: true or false, not {value!r}",
            field,
            _noop("Yes or no."),
        )
    return value


def _whole(
    value: Any, where: str, field: Field, lowest: int = 0, highest: int | None = None
) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        raise InvalidJourney(
            f"{where}: a whole number of {lowest} or more, not {value!r}",
            field,
            _noop("A whole number of %(lowest)s or more."),
            lowest=lowest,
        )
    if highest is not None and value > highest:
        raise InvalidJourney(
            f"{where}: at most {highest}, not {value}",
            field,
            _noop("At most %(highest)s."),
            highest=highest,
        )
    return value


def normalise(definition: dict) -> dict:
    """The definition with every default filled in and every field checked, in the shape
    `export_definition` writes — so equal journeys compare equal."""
    known = {
        "key", "name", "kind", "status", "list", "language", "entry", "exit_when",
        "reentry_after_days", "holdout_percent", "send_at", "on_event", "steps",
    }  # fmt: skip
    _refuse_unknown(definition, known)
    key = _check_key(_text(definition.get("key"), "key", ("key",)))
    # The list (topic) its mails go out on, by key; whether the library has it is checked
    # when it is installed. No list: the default one.
    mailing_list = definition.get("list") or DEFAULT_LIST
    if not isinstance(mailing_list, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", mailing_list):
        raise InvalidJourney(
            f"list: the key of one of the library's lists, not {mailing_list!r}",
            ("list",),
            _noop("Choose one of the library's lists."),
        )
    # Defaults as plain text, not the choices' enum members: YAML cannot write those, and a
    # journey created from this definition keeps them until it is read back.
    kind = definition.get("kind", Journey.Kind.JOURNEY.value)
    if kind not in Journey.Kind.values:
        raise InvalidJourney(
            f"kind: one of {', '.join(Journey.Kind.values)}, not {kind!r}",
            ("kind",),
            _noop("A journey or a broadcast."),
        )
    status = definition.get("status", Journey.Status.DRAFT.value)
    if status not in (Journey.Status.DRAFT, Journey.Status.ACTIVE, Journey.Status.PAUSED):
        raise InvalidJourney(
            f"status: draft, active or paused, not {status!r}",
            ("status",),
            _noop("Draft, active or paused."),
        )
    language = definition.get("language", settings.LANGUAGE_CODE)
    if not isinstance(language, str) or language not in dict(settings.LANGUAGES):
        languages = ", ".join(code for code, _ in settings.LANGUAGES)
        raise InvalidJourney(
            f"language: one of {languages}, not {language!r}",
            ("language",),
            _noop("One of %(languages)s."),
            languages=languages,
        )
    entry = definition.get("entry") or {}
    try:
        check_conditions(entry)
    except InvalidAudience as problem:
        raise InvalidJourney(
            f"entry: {problem}",
            ("entry",),
            _noop("This audience cannot be used: %(problem)s"),
            problem=problem,
        ) from None
    exit_when = definition.get("exit_when") or []
    if not isinstance(exit_when, list) or any(e not in Version.Exit.values for e in exit_when):
        raise InvalidJourney(
            f"exit_when: a list out of {', '.join(Version.Exit.values)} (unsubscribing, an "
            f"ended membership and no longer being mailable always end a journey)",
            ("exit_when",),
            _noop("Choose out of the reasons to leave listed."),
        )
    reentry = definition.get("reentry_after_days")
    if reentry is not None:
        _whole(reentry, "reentry_after_days", ("reentry_after_days",), lowest=1)
    holdout = _whole(
        definition.get("holdout_percent", 0),
        "holdout_percent",
        ("holdout_percent",),
        highest=MAX_HOLDOUT_PERCENT,
    )
    send_at = definition.get("send_at")
    if isinstance(send_at, str):
        parsed = parse_datetime(send_at)
        if parsed is None:
            raise InvalidJourney(
                f"send_at: an ISO date-time, not {send_at!r}",
                ("send_at",),
                _noop("A date and a time."),
            )
        send_at = parsed
    if send_at is not None and not isinstance(send_at, dt.datetime):
        raise InvalidJourney(
            f"send_at: an ISO date-time with its time zone, not {send_at!r}",
            ("send_at",),
            _noop("A date and a time."),
        )
    if send_at is not None and send_at.tzinfo is None:
        raise InvalidJourney(
            "send_at: give the time zone, e.g. 2026-12-01T10:00:00+01:00",
            ("send_at",),
            _noop("Give the time zone."),
        )
    on_event = _on_event(definition.get("on_event"), kind)
    steps = [
        _normalise_step(step, n, on_event=on_event)
        for n, step in enumerate(definition.get("steps") or [], 1)
    ]
    if not steps:
        raise InvalidJourney(
            "steps: a journey needs at least one step",
            ("steps",),
            _noop("A journey needs at least one mail."),
        )
    if kind == Journey.Kind.BROADCAST:
        if send_at is None:
            raise InvalidJourney(
                "send_at: a broadcast needs the moment it goes out",
                ("send_at",),
                _noop("A broadcast needs the moment it goes out."),
            )
        if len(steps) != 1:
            raise InvalidJourney(
                "steps: a broadcast is one mail, with wait_days 0",
                ("steps",),
                _noop("A broadcast is one mail."),
            )
        if steps[0]["wait_days"] != 0:
            raise InvalidJourney(
                "steps: a broadcast is one mail, with wait_days 0",
                ("steps", 0, "wait_days"),
                _noop("A broadcast's mail goes out at its moment: wait 0 days."),
            )
        if reentry is not None:
            raise InvalidJourney(
                "reentry_after_days: a broadcast is sent once",
                ("reentry_after_days",),
                _noop("A broadcast is sent once: nobody enters it again."),
            )
    elif send_at is not None:
        raise InvalidJourney(
            "send_at: only broadcasts have one; a journey runs every day",
            ("send_at",),
            _noop("Only a broadcast has a moment; a journey runs every day."),
        )
    positions = [step["position"] for step in steps]
    if len(set(positions)) != len(positions):
        raise InvalidJourney(
            "steps: two steps have the same position",
            ("steps",),
            _noop("Two mails have the same position."),
        )
    return {
        "key": key,
        "name": _text(definition.get("name"), "name", ("name",), longest=_longest(Journey, "name")),
        "kind": kind,
        "status": status,
        "list": mailing_list,
        "language": language,
        "entry": entry,
        "exit_when": exit_when,
        "reentry_after_days": reentry,
        "holdout_percent": holdout,
        **({"send_at": timezone.localtime(send_at).isoformat()} if send_at else {}),
        **({"on_event": on_event} if on_event else {}),
        "steps": sorted(steps, key=lambda step: step["position"]),
    }


def _on_event(on_event: Any, kind: str) -> str:
    """The event type members enter on ('' for none). Written only when set, so definitions
    kept from before events existed still compare equal to their journeys' exports."""
    if on_event in (None, ""):
        return ""
    longest = _longest(Version, "on_event")
    if not isinstance(on_event, str) or not _EVENT_TYPE.fullmatch(on_event):
        raise InvalidJourney(
            f"on_event: an event type, lowercase words joined by dots (e.g. "
            f"activity.registered), not {on_event!r}",
            ("on_event",),
            _noop("An event type: lowercase words joined by dots, e.g. activity.registered."),
        )
    if len(on_event) > longest:
        raise InvalidJourney(
            f"on_event: at most {longest} characters, not {len(on_event)}",
            ("on_event",),
            _noop("At most %(longest)s characters; this is %(length)s."),
            longest=longest,
            length=len(on_event),
        )
    if kind == Journey.Kind.BROADCAST:
        raise InvalidJourney(
            "on_event: a broadcast goes out at its moment; only a journey starts on an event",
            ("on_event",),
            _noop("A broadcast goes out at its moment; only a journey can start on an event."),
        )
    return on_event


def _event_property(step: dict, wait_from: str, on_event: str, where: str, field: Field) -> str:
    """The event's property a step's wait counts from (e.g. starts_at), for the waits
    before or after the event; '' for the others."""
    name = step.get("event_property")
    if wait_from not in EVENT_STEPS:
        if name not in (None, ""):
            raise InvalidJourney(
                f"{where}, event_property: only with wait_from before_event or after_event",
                (*field, "event_property"),
                _noop("Only a wait before or after the event's moment counts from a property."),
            )
        return ""
    if not on_event:
        raise InvalidJourney(
            f"{where}, wait_from: {wait_from} needs a journey that starts on an event (on_event)",
            (*field, "wait_from"),
            _noop(
                "Only a journey that starts on an event can wait for a moment in the event: "
                "choose the event it starts on first."
            ),
        )
    longest = _longest(Step, "event_property")
    if not isinstance(name, str) or not _EVENT_PROPERTY.fullmatch(name) or len(name) > longest:
        raise InvalidJourney(
            f"{where}, event_property: the name of the event's property holding the moment "
            f"(letters, digits and underscores, not starting with a digit, e.g. starts_at), "
            f"not {name!r}",
            (*field, "event_property"),
            _noop(
                "The name of the event's property that holds the moment: letters, digits and "
                "underscores, not starting with a digit, e.g. starts_at."
            ),
        )
    return name


def _normalise_step(step: Any, number: int, *, on_event: str = "") -> dict:
    where = f"step {number}"
    field = ("steps", number - 1)
    if not isinstance(step, dict):
        raise InvalidJourney(
            f"{where}: a mapping with name, wait_days, variants",
            field,
            _noop("A mail has a name, a wait and variants."),
        )
    _refuse_unknown(
        step,
        {"position", "name", "wait_days", "wait_from", "event_property", "variants"},
        where,
        field,
    )
    position = _whole(
        step.get("position", number), f"{where}, position", (*field, "position"), lowest=1
    )
    wait_from = step.get("wait_from", Step.WaitFrom.ENTRY.value)
    if wait_from not in Step.WaitFrom.values:
        raise InvalidJourney(
            f"{where}, wait_from: entry, previous, before_event or after_event, not {wait_from!r}",
            (*field, "wait_from"),
            _noop(
                "Counted from entering, from the previous mail, or before or after the "
                "event's moment."
            ),
        )
    event_property = _event_property(step, wait_from, on_event, where, field)
    variants = [
        _normalise_variant(variant, f"{where}, variant", (*field, "variants", index))
        for index, variant in enumerate(step.get("variants") or [])
    ]
    segments = [variant["segment"] for variant in variants]
    if "" not in segments:
        raise InvalidJourney(
            f"{where} has no fallback variant (segment '')",
            (*field, "variants"),
            _noop("Every mail needs a variant for everyone else."),
        )
    if len(set(segments)) != len(segments):
        repeated = next(i for i, segment in enumerate(segments) if segments[:i].count(segment))
        raise InvalidJourney(
            f"{where} has two variants for the same segment",
            (*field, "variants", repeated, "segment"),
            _noop("This mail already has a variant for this reading segment."),
        )
    return {
        "position": position,
        "name": _text(
            step.get("name"), f"{where}, name", (*field, "name"), longest=_longest(Step, "name")
        ),
        "wait_days": _whole(
            step.get("wait_days", 0),
            f"{where}, wait_days",
            (*field, "wait_days"),
            highest=MAX_WAIT_DAYS,
        ),
        "wait_from": wait_from,
        **({"event_property": event_property} if event_property else {}),
        "variants": sorted(variants, key=lambda variant: variant["segment"]),
    }


def _normalise_variant(variant: Any, where: str, field: Field) -> dict:
    if not isinstance(variant, dict):
        raise InvalidJourney(
            f"{where}: a mapping with segment, subject, body",
            field,
            _noop("A variant has a segment, a subject and a body."),
        )
    segment = variant.get("segment") or ""
    if segment and segment not in Segment.values:
        raise InvalidJourney(
            f"{where}: segment one of {', '.join(Segment.values)} or ''",
            (*field, "segment"),
            _noop("One of the reading segments, or everyone else."),
        )
    where = f"{where} '{segment}'"
    _refuse_unknown(
        variant,
        {"segment", "subject", "preheader", "with_reading_tips", "body", "blocks"},
        where,
        field,
    )
    normal = {
        "segment": segment,
        "subject": _text(
            variant.get("subject"),
            f"{where}, subject",
            (*field, "subject"),
            longest=_longest(Variant, "subject"),
        ),
        "preheader": _text(
            variant.get("preheader"),
            f"{where}, preheader",
            (*field, "preheader"),
            required=False,
            longest=_longest(Variant, "preheader"),
        ),
    }
    for name in ("subject", "preheader"):
        _check_template(normal[name], html=False, where=where, field=(*field, name))
    normal["blocks"] = _content_blocks(variant, where, field)
    return normal


def _content_blocks(variant: dict, where: str, field: Field) -> list[dict]:
    """The variant's content as blocks: `blocks` as given, or a `body` of HTML (older
    definitions, the studio's plain field) read as blocks; never both, or one of them would
    be dropped without a word. `with_reading_tips`, when given, adds a reading tips block at
    the end (when there is none) or takes it out."""
    if variant.get("body") is not None and "blocks" in variant:
        raise InvalidJourney(
            f"{where}, body: give body or blocks, not both",
            (*field, "body"),
            _noop("A mail is written as blocks or as a body, not both: leave one out."),
        )
    tips = variant.get("with_reading_tips")
    if tips is not None:
        _flag(tips, where, (*field, "with_reading_tips"))
    if variant.get("body") is not None or "blocks" not in variant:
        body = _text(variant.get("body"), f"{where}, body", (*field, "body")).strip()
        _check_template(body, html=True, where=where, field=(*field, "body"))
        blocks = from_html(body)
    else:
        blocks = _checked_blocks(variant["blocks"], where, (*field, "blocks"))
    if tips and not has_reading_tips(blocks):
        blocks += normalised([{"type": "reading_tips"}])
    if tips is False:
        blocks = [block for block in blocks if block["type"] != "reading_tips"]
    return blocks


def _checked_blocks(blocks: Any, where: str, field: Field) -> list[dict]:
    problems = validate(blocks)
    if problems:
        problem = problems[0]
        path = ", ".join(map(str, problem.path))
        raise InvalidJourney(
            f"{where}, blocks{f' ({path})' if path else ''}: {problem.reason % problem.params}",
            (*field, *problem.path),
            problem.reason,
            **problem.params,
        )
    if not blocks:
        raise InvalidJourney(
            f"{where}, blocks: a mail needs at least one block",
            field,
            _noop("A mail needs at least one block."),
        )
    blocks = normalised(blocks)
    for index, block in enumerate(blocks):
        _check_template(to_template([block]), html=True, where=where, field=(*field, index))
    _check_template(to_template(blocks), html=True, where=where, field=field)
    return blocks


def _check_template(text: str, *, html: bool, where: str, field: Field) -> None:
    """A staff text tried on the sample members, its problem located at `field`."""
    name = "body" if field[-1] != "subject" and field[-1] != "preheader" else field[-1]
    try:
        check_staff_template(text, html=html, field=name)
    except TemplateProblem as problem:
        path = ", ".join(map(str, field[field.index("variants") + 2 :]))
        raise InvalidJourney(
            f"{where}, {path}: {problem}", field, "%(problem)s", problem=problem
        ) from problem


def export_definition(journey: Journey, number: int | None = None) -> dict:
    """A version of a journey (default: the current one) as a definition that installs back
    to the same journey."""
    version = journey.versions.get(number=number) if number else journey.current_version
    definition = {
        "key": journey.key,
        "name": journey.name,
        "kind": journey.kind,
        "status": journey.status if journey.status != Journey.Status.ARCHIVED else "draft",
        "list": journey.mailing_list.key,
        "language": version.language,
        "entry": version.entry,
        "exit_when": version.exit_when,
        "reentry_after_days": version.reentry_after_days,
        "holdout_percent": version.holdout_percent,
        **({"send_at": timezone.localtime(version.send_at).isoformat()} if version.send_at else {}),
        **({"on_event": version.on_event} if version.on_event else {}),
        "steps": [
            {
                "position": step.position,
                "name": step.name,
                "wait_days": step.wait_days,
                "wait_from": step.wait_from,
                **({"event_property": step.event_property} if step.event_property else {}),
                "variants": [
                    {
                        "segment": variant.segment,
                        "subject": variant.subject,
                        "preheader": variant.preheader,
                        "blocks": variant.blocks,
                    }
                    for variant in step.variants.order_by("segment")
                ],
            }
            for step in version.steps.order_by("position")
        ],
    }
    return definition


def _content(definition: dict) -> dict:
    """What makes a version differ: everything but the journey's name, status and list (the
    journey's own: changing it moves every version's mails to the other list)."""
    return {k: v for k, v in definition.items() if k not in ("name", "status", "list")}


def _write_version(version: Version, definition: dict) -> None:
    version.language = definition["language"]
    version.entry = definition["entry"]
    version.exit_when = definition["exit_when"]
    version.reentry_after_days = definition["reentry_after_days"]
    version.holdout_percent = definition["holdout_percent"]
    version.send_at = parse_datetime(definition["send_at"]) if "send_at" in definition else None
    version.on_event = definition.get("on_event", "")
    version.save()
    version.steps.all().delete()
    for step_definition in definition["steps"]:
        step = Step.objects.create(
            version=version,
            position=step_definition["position"],
            name=step_definition["name"],
            wait_days=step_definition["wait_days"],
            wait_from=step_definition["wait_from"],
            event_property=step_definition.get("event_property", ""),
        )
        Variant.objects.bulk_create(
            Variant(step=step, **variant) for variant in step_definition["variants"]
        )


def _in_use(version: Version) -> bool:
    """A version that anyone entered — even members since purged, whose mails live on in
    the report's tallies — is history: it is never rewritten, only followed by a new one."""
    return (
        version.entry_closed_at is not None
        or version.enrolments.exists()
        or MailTally.objects.filter(step__version=version).exists()
    )


@transaction.atomic
def install_journey(library: Library, definition: dict, *, actor: Actor = None) -> Installed:
    """Create a journey, replace its unused current version, or add a version to it; what
    changed is logged as the actor's change."""
    definition = normalise(definition)
    mailing_list = _library_list(library, definition["list"])
    known = set(SavedSegment.objects.filter(library=library).values_list("key", flat=True))
    missing = sorted(saved_segments_named(definition["entry"]) - known)
    if missing:
        saved = missing[0]
        raise InvalidJourney(
            f"entry: {library.code} has no saved segment {saved!r}",
            ("entry", "segment"),
            _noop("The library has no saved segment %(segment)s."),
            segment=saved,
        )
    # The journey's row only: the model's ordering joins its library, whose row FOR UPDATE
    # would lock too, holding up every import and send of the library (journeys/services.py).
    journey = Journey.objects.select_for_update(of=("self",)).filter(
        library=library, key=definition["key"]
    )
    journey = journey.order_by().first()
    if journey is None:
        journey = Journey.objects.create(
            library=library,
            key=definition["key"],
            name=definition["name"],
            kind=definition["kind"],
            status=definition["status"],
            mailing_list=mailing_list,
        )
        version = Version.objects.create(journey=journey, number=1)
        _write_version(version, definition)
        _log(journey, {"journey": (None, journey.name), "status": (None, journey.status)}, actor)
        return Installed(journey, version, "created")
    if journey.status == Journey.Status.ARCHIVED:
        raise InvalidJourney(
            f"{journey} is archived; install it under another key",
            (),
            _noop("This journey is archived; save it under another key."),
        )
    if journey.kind != definition["kind"]:
        raise InvalidJourney(
            f"{journey} is a {journey.kind}, the definition a {definition['kind']}",
            ("kind",),
            _noop("A journey cannot become a broadcast, nor a broadcast a journey."),
        )
    before = export_definition(journey)
    journey.name = definition["name"]
    journey.mailing_list = mailing_list
    journey.save(update_fields=["name", "mailing_list"])
    version = journey.current_version
    changes = changed_values(_described(before), _described(definition))
    if _content(before) == _content(definition):
        _log(journey, changes, actor)
        return Installed(journey, version, "unchanged")
    if not _in_use(version):
        _write_version(version, definition)
        _log(journey, changes, actor)
        return Installed(journey, version, "replaced")
    version = Version.objects.create(journey=journey, number=version.number + 1)
    _write_version(version, definition)
    _log(journey, {"version": (version.number - 1, version.number), **changes}, actor)
    return Installed(journey, version, "new version")


def _library_list(library: Library, key: str) -> MailingList:
    try:
        return list_for(library, key)
    except MailingList.DoesNotExist:
        keys = ", ".join(MailingList.objects.filter(library=library).values_list("key", flat=True))
        raise InvalidJourney(
            f"list: {library.code} has no list {key!r} (lists: {keys})",
            ("list",),
            _noop("The library has no list %(list)s."),
            list=key,
        ) from None


def with_a_list_of(library: Library, definition: dict) -> dict:
    """The definition with its list kept when the library has a list by that key, else the
    default list: a network template written for another library's lists still installs."""
    key = definition.get("list")
    if not key or key == DEFAULT_LIST or not isinstance(key, str):
        return definition
    try:
        list_for(library, key)
    except MailingList.DoesNotExist:
        return {**definition, "list": DEFAULT_LIST}
    return definition


def _described(definition: dict) -> dict[str, object]:
    """A definition as the audit log names its parts: `holdout_percent`, `mail 2: wait_days`,
    `mail 2, fiction-digital: body` (the fallback variant is `default`)."""
    parts = {
        name: _as_text(value)
        for name, value in definition.items()
        if name not in ("key", "status", "steps")
    }
    for step in definition["steps"]:
        where = f"mail {step['position']}"
        parts |= {
            f"{where}: {name}": step[name]
            for name in ("name", "wait_days", "wait_from", "event_property")
            if name in step
        }
        for variant in step["variants"]:
            segment = variant["segment"] or "default"
            parts |= {
                f"{where}, {segment}: {name}": _as_text(value)
                for name, value in variant.items()
                if name != "segment"
            }
    return parts


def _as_text(value: object) -> object:
    """Conditions and lists as the text they compare by."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _log(journey: Journey, changes: dict[str, tuple], actor: Actor) -> None:
    record_change(f"journey {journey.key}", changes, actor=actor, library_code=journey.library.code)


def standard_definition(key: str, language: str = "nl") -> dict:
    """A built-in journey: Dutch in standard/, other languages in standard/<language>/."""
    folder = resources.files("patronflow.journeys") / "standard"
    if language != "nl":
        folder = folder / language
    return read_definition(Path(str(folder / f"{key}.yaml")))


def install_standard_journeys(
    library: Library, language: str = "nl", *, actor: Actor = None
) -> list[Journey]:
    return [
        install_journey(library, standard_definition(key, language), actor=actor).journey
        for key in STANDARD_JOURNEYS
    ]


@transaction.atomic
def save_segment(
    library: Library, key: str, name: str, conditions: dict, *, actor: Actor = None
) -> SavedSegment:
    """Create or change a saved segment, logged as the actor's change; journeys that enter
    by it see the change at once."""
    _check_key(key)
    try:
        check_conditions(conditions, allow_saved_segment=False)
    except InvalidAudience as problem:
        raise InvalidJourney(f"segment {key}: {problem}") from None
    stored = SavedSegment.objects.filter(library=library, key=key).values("name", "conditions")
    was = {field: _as_text(value) for field, value in (stored.first() or {}).items()}
    segment, _ = SavedSegment.objects.update_or_create(
        library=library, key=key, defaults={"name": name, "conditions": conditions}
    )
    record_change(
        f"segment {key}",
        changed_values(was, {"name": name, "conditions": _as_text(conditions)}),
        actor=actor,
        library_code=library.code,
    )
    return segment
