"""What changed between two definitions of a journey, in words a marketer reads.

Both definitions are in the shape `export_definition` writes (or `normalise` returns). Steps
are compared by position, as the engine and `migrate_enrolments` match them: a member on
their way moves to the new version's step at the same position. The texts are in the active
language (the staff catalogue has them); each change also keeps its values, so a page can
show a long text before and after.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from patronflow.journeys.definitions import export_definition
from patronflow.journeys.models import Journey, Step, Version
from patronflow.profiles.models import Segment

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class Change:
    """One difference: the part it is in ("Journey", "Mail 2", "Mail 2, Fiction, digital"),
    added, removed or changed, a sentence saying it, and what it was and became; `field`
    names what changed as the format does ("entry", "holdout_percent", "wait_days", "body",
    "step" for a mail, "variant" for a variant)."""

    part: str
    kind: str
    text: str
    before: Any = None
    after: Any = None
    field: str = ""


def definition_changes(before: dict, after: dict) -> list[Change]:
    """Every difference from `before` to `after`: the journey's settings first, then the
    mails in order of position."""
    return [*_journey_changes(before, after), *_step_changes(before["steps"], after["steps"])]


def version_changes(journey: Journey, number: int) -> list[Change]:
    """What version `number` of a journey changed from the version before it (none for the
    first)."""
    if number <= 1:
        return []
    return definition_changes(
        export_definition(journey, number - 1), export_definition(journey, number)
    )


def segment_name(segment: str) -> str:
    """A reading segment as staff read it; '' is the fallback variant."""
    if not segment:
        return _("Everyone else")
    return _(Segment(segment).label) if segment in Segment.values else segment


def audience_text(conditions: dict) -> str:
    """Conditions as one line of text, the way they compare."""
    return json.dumps(conditions or {}, ensure_ascii=False, sort_keys=True)


def _journey_changes(before: dict, after: dict) -> list[Change]:
    part = _("Journey")
    settings = [
        ("name", _("Name: %(before)s → %(after)s"), str),
        ("language", _("Language: %(before)s → %(after)s"), str),
        ("reentry_after_days", _("Re-entry: %(before)s → %(after)s"), _reentry),
        ("holdout_percent", _("Holdout: %(before)s%% → %(after)s%%"), str),
        ("send_at", _("Moment it goes out: %(before)s → %(after)s"), _moment),
    ]
    changes = []
    for name, text, shown in settings:
        was, becomes = before.get(name), after.get(name)
        if was != becomes:
            words = text % {"before": shown(was), "after": shown(becomes)}
            changes.append(Change(part, CHANGED, words, was, becomes, name))
    was, becomes = audience_text(before.get("entry")), audience_text(after.get("entry"))
    if was != becomes:
        changes.append(Change(part, CHANGED, _("Entry audience changed"), was, becomes, "entry"))
    return changes + _exit_changes(
        part, before.get("exit_when") or [], after.get("exit_when") or []
    )


def _exit_changes(part: str, before: list[str], after: list[str]) -> list[Change]:
    changes = []
    for reason in after:
        if reason not in before:
            text = _("Leaves when: %(reason)s added") % {"reason": _exit_name(reason)}
            changes.append(Change(part, ADDED, text, None, reason, "exit_when"))
    for reason in before:
        if reason not in after:
            text = _("Leaves when: %(reason)s removed") % {"reason": _exit_name(reason)}
            changes.append(Change(part, REMOVED, text, reason, None, "exit_when"))
    return changes


def _exit_name(reason: str) -> str:
    return _(Version.Exit(reason).label) if reason in Version.Exit.values else reason


def _reentry(days: int | None) -> str:
    if days is None:
        return _("never")
    return _("after %(days)s days") % {"days": days}


def _moment(send_at: str | None) -> str:
    return send_at or "–"


def _step_changes(before: list[dict], after: list[dict]) -> list[Change]:
    old = {step["position"]: step for step in before}
    new = {step["position"]: step for step in after}
    changes = []
    for position in sorted(old.keys() | new.keys()):
        part = _("Mail %(position)s") % {"position": position}
        if position not in old:
            text = _("Mail %(position)s added: %(name)s") % {
                "position": position,
                "name": new[position]["name"],
            }
            changes.append(Change(part, ADDED, text, None, new[position]["name"], "step"))
        elif position not in new:
            text = _("Mail %(position)s removed: %(name)s") % {
                "position": position,
                "name": old[position]["name"],
            }
            changes.append(Change(part, REMOVED, text, old[position]["name"], None, "step"))
        else:
            changes += _one_step_changes(part, old[position], new[position])
    return changes


def _wait(step: dict) -> str:
    if step["wait_from"] == Step.WaitFrom.PREVIOUS:
        return _("%(days)s days after the previous mail") % {"days": step["wait_days"]}
    return _("day %(days)s after entering") % {"days": step["wait_days"]}


def _one_step_changes(part: str, before: dict, after: dict) -> list[Change]:
    changes = []
    if before["name"] != after["name"]:
        text = _("%(part)s: name %(before)s → %(after)s")
        changes.append(
            Change(
                part,
                CHANGED,
                text % {"part": part, "before": before["name"], "after": after["name"]},
                before["name"],
                after["name"],
                "name",
            )
        )
    if (before["wait_days"], before["wait_from"]) != (after["wait_days"], after["wait_from"]):
        text = _("%(part)s: wait %(before)s → %(after)s")
        changes.append(
            Change(
                part,
                CHANGED,
                text % {"part": part, "before": _wait(before), "after": _wait(after)},
                (before["wait_days"], before["wait_from"]),
                (after["wait_days"], after["wait_from"]),
                "wait_days",
            )
        )
    old = {variant["segment"]: variant for variant in before["variants"]}
    new = {variant["segment"]: variant for variant in after["variants"]}
    for segment in sorted(old.keys() | new.keys()):
        names = {"part": part, "segment": segment_name(segment)}
        if segment not in old:
            text = _("%(part)s: variant for %(segment)s added") % names
            changes.append(Change(part, ADDED, text, None, new[segment]["subject"], "variant"))
        elif segment not in new:
            text = _("%(part)s: variant for %(segment)s removed") % names
            changes.append(Change(part, REMOVED, text, old[segment]["subject"], None, "variant"))
        else:
            changes += _variant_changes(part, segment, old[segment], new[segment])
    return changes


def _variant_changes(part: str, segment: str, before: dict, after: dict) -> list[Change]:
    where = _("%(part)s, %(segment)s") % {"part": part, "segment": segment_name(segment)}
    labels = {"subject": _("subject"), "preheader": _("preheader")}
    changes = []
    for name in ("subject", "preheader", "body", "with_reading_tips"):
        if before.get(name) == after.get(name):
            continue
        if name == "body":
            text = _("%(where)s: body changed") % {"where": where}
        elif name == "with_reading_tips":
            text = (
                _("%(where)s: reading tips added")
                if after[name]
                else _("%(where)s: reading tips removed")
            ) % {"where": where}
        else:
            text = _("%(where)s: %(field)s %(before)s → %(after)s") % {
                "where": where,
                "field": labels[name],
                "before": before.get(name) or "–",
                "after": after.get(name) or "–",
            }
        changes.append(Change(where, CHANGED, text, before.get(name), after.get(name), name))
    return changes
