"""What changed between two definitions of a journey, in words a marketer reads.

Both definitions are in the shape `export_definition` writes (or `normalise` returns). Steps
are compared by position, as the engine and `migrate_enrolments` match them: a member on
their way moves to the new version's step at the same position. The texts are in the active
language (the staff catalogue has them); each change also keeps its values, so a page can
show a long text before and after.
"""

import json
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from django.utils.translation import gettext as _

from patronflow.journeys.definitions import export_definition
from patronflow.journeys.models import DEFAULT_VARIANT, Journey, Step, Version
from patronflow.profiles.models import Segment
from patronflow.templating.blocks import BLOCK_TYPES

ADDED, REMOVED, CHANGED, MOVED = "added", "removed", "changed", "moved"


@dataclass(frozen=True)
class Change:
    """One difference: the part it is in ("Journey", "Mail 2", "Mail 2, Fiction, digital"),
    added, removed, changed or (a block) moved, a sentence saying it, and what it was and
    became; `field` names what changed as the format does ("entry", "holdout_percent",
    "wait_days", "blocks" for a block of a mail, "step" for a mail, "variant" for a
    variant)."""

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
    """A reading segment as staff read it — the one place its words are kept (Segment's
    labels, in the staff catalogue); '' (or "default" in figures and URLs) is the fallback
    variant."""
    if segment in ("", DEFAULT_VARIANT):
        return _("Everyone else")
    return _(Segment(segment).label) if segment in Segment.values else segment


def audience_text(conditions: dict) -> str:
    """Conditions as one line of text, the way they compare."""
    return json.dumps(conditions or {}, ensure_ascii=False, sort_keys=True)


def _journey_changes(before: dict, after: dict) -> list[Change]:
    part = _("Journey")
    settings = [
        ("name", _("Name: %(before)s → %(after)s"), str),
        ("list", _("List: %(before)s → %(after)s"), str),
        ("language", _("Language: %(before)s → %(after)s"), str),
        ("reentry_after_days", _("Re-entry: %(before)s → %(after)s"), _reentry),
        ("holdout_percent", _("Holdout: %(before)s%% → %(after)s%%"), str),
        ("send_at", _("Moment it goes out: %(before)s → %(after)s"), _moment),
        ("on_event", _("Starts on the event: %(before)s → %(after)s"), _event_type),
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


def _event_type(on_event: str | None) -> str:
    return on_event or _("none (entry conditions only)")


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
    moment = {"days": step["wait_days"], "property": step.get("event_property", "")}
    if step["wait_from"] == Step.WaitFrom.BEFORE_EVENT:
        return _("%(days)s days before the event's %(property)s") % moment
    if step["wait_from"] == Step.WaitFrom.AFTER_EVENT:
        return _("%(days)s days after the event's %(property)s") % moment
    if step["wait_from"] == Step.WaitFrom.PREVIOUS:
        return _("%(days)s days after the previous mail") % {"days": step["wait_days"]}
    return _("day %(days)s after entering") % {"days": step["wait_days"]}


def _timing(step: dict) -> tuple:
    """What a step's wait is made of: the days, what they count from and, for a wait before
    or after the event, the event's property holding the moment."""
    if step.get("event_property"):
        return (step["wait_days"], step["wait_from"], step["event_property"])
    return (step["wait_days"], step["wait_from"])


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
    if _timing(before) != _timing(after):
        text = _("%(part)s: wait %(before)s → %(after)s")
        changes.append(
            Change(
                part,
                CHANGED,
                text % {"part": part, "before": _wait(before), "after": _wait(after)},
                _timing(before),
                _timing(after),
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
    for name in ("subject", "preheader"):
        if before.get(name) == after.get(name):
            continue
        text = _("%(where)s: %(field)s %(before)s → %(after)s") % {
            "where": where,
            "field": labels[name],
            "before": before.get(name) or "–",
            "after": after.get(name) or "–",
        }
        changes.append(Change(where, CHANGED, text, before.get(name), after.get(name), name))
    return changes + block_changes(where, before.get("blocks") or [], after.get("blocks") or [])


def block_changes(where: str, before: list[dict], after: list[dict]) -> list[Change]:
    """Which blocks of a mail changed, were added, removed or moved, by their place (counted
    from 1: a removed block's place before, the others' after), in order of place."""
    old, new = [_block_key(block) for block in before], [_block_key(block) for block in after]
    gone, came = [], []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            gone += range(i1, i2)
            came += range(j1, j2)
    moved = []
    for index in gone:
        to = next((place for place in came if new[place] == old[index]), None)
        if to is not None:
            came.remove(to)
            moved.append((index, to))
    # A block gone and one come of the same kind: that block changed (in order of place).
    changed, removed = [], []
    for index in gone:
        if any(index == moved_index for moved_index, _to in moved):
            continue
        to = next((j for j in came if after[j].get("type") == before[index].get("type")), None)
        if to is None:
            removed.append(index)
        else:
            came.remove(to)
            changed.append((index, to))
    added = came
    found = [
        *((j, _block_change(where, CHANGED, before[i], after[j], i, j)) for i, j in changed),
        *((i, _block_change(where, REMOVED, before[i], None, i, None)) for i in removed),
        *((j, _block_change(where, ADDED, None, after[j], None, j)) for j in added),
        *((j, _block_change(where, MOVED, before[i], after[j], i, j)) for i, j in moved),
    ]
    return [change for _place, change in sorted(found, key=lambda pair: pair[0])]


def _block_key(block: dict) -> str:
    return json.dumps(block, sort_keys=True, ensure_ascii=False)


def _block_change(
    where: str, kind: str, before: dict | None, after: dict | None, old: int | None, new: int | None
) -> Change:
    block = after or before or {}
    kind_name = block.get("type", "")
    names = {
        "where": where,
        "type": _(BLOCK_TYPES[kind_name].label) if kind_name in BLOCK_TYPES else kind_name,
        "number": (new if new is not None else old or 0) + 1,
        "before": (old or 0) + 1,
    }
    if kind_name == "reading_tips" and kind in (ADDED, REMOVED):
        text = (
            _("%(where)s: reading tips added")
            if kind == ADDED
            else _("%(where)s: reading tips removed")
        )
    else:
        text = {
            CHANGED: _("%(where)s: block %(number)s (%(type)s) changed"),
            ADDED: _("%(where)s: block %(number)s (%(type)s) added"),
            REMOVED: _("%(where)s: block %(number)s (%(type)s) removed"),
            MOVED: _("%(where)s: block %(type)s moved from place %(before)s to %(number)s"),
        }[kind]
    return Change(where, kind, text % names, before, after, "blocks")
