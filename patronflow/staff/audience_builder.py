"""The audience builder: conditions, groups of them (all / at least one / none) and saved
segments, edited as rows of a form, turned into the conditions tree of journeys/audiences.py
and back.

Embedding it in another screen (the journey editor's entry, a broadcast's audience)::

    from patronflow.staff.audience_builder import AudienceBuilder

    builder = AudienceBuilder(
        data=request.POST or None, prefix="entry", initial=conditions, library=request.library
    )
    if request.method == "POST" and not builder.action_requested and builder.is_valid():
        save(builder.conditions)        # the tree, e.g. {"any": [{...}, {...}]}
    # builder.errors: {field name: message}, in the user's language, also shown on the rows

    {% include "staff/_audience_builder.html" with builder=builder %}

The include renders the rows, their buttons and the live count box inside the host's own
<form method="post">. Its buttons are submit buttons of that form (``name="entry-action"``,
value ``add-condition:<path>``, ``add-group:<path>``, ``remove:<path>`` or ``refresh``): the
host view simply renders its page again with the builder made from the POST, and does not save
while ``builder.action_requested`` is true. With htmx, every change posts the builder's fields
and ``prefix`` to ``staff:audience_count``, which answers the count partial
(staff/_audience_count.html). ``allow_saved_segment=False`` leaves the saved-segment condition
out (a saved segment cannot use another one).
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from patronflow.choices.models import MailingList
from patronflow.journeys.audience_counts import AudienceCount, audience_count
from patronflow.journeys.audiences import (
    ALL,
    ANY,
    CONDITIONS,
    NOT,
    SAVED_SEGMENT,
    InvalidAudience,
    audience_condition,
    check_conditions,
)
from patronflow.members.models import Library
from patronflow.profiles.models import Segment
from patronflow.staff import queries
from patronflow.staff.templatetags.staff import segment_label

ROOT = "r"
NONE = "none"  # a group none of whose parts may hold: {"not": ...} in the tree
MODES = {
    ALL: _("all of these"),
    ANY: _("at least one of these"),
    NONE: _("none of these"),
}
# The conditions as a marketer reads them, and what their value is called.
LABELS = {
    "inactive_for_days": _("No loan or visit in the last … days"),
    "active_within_days": _("A loan or visit in the last … days"),
    "registered_within_days": _("Became a member in the last … days"),
    "reading_segments": _("Reads mainly …"),
    "has_online_profile": _("Has a “Mijn Bibliotheek” profile"),
    "min_age": _("At least … years old"),
    "max_age": _("At most … years old"),
    SAVED_SEGMENT: _("Belongs to the saved segment …"),
}
VALUE_LABELS = {
    "inactive_for_days": _("Number of days"),
    "active_within_days": _("Number of days"),
    "registered_within_days": _("Number of days"),
    "reading_segments": _("Reading profiles"),
    "has_online_profile": _("Yes or no"),
    "min_age": _("Age in years"),
    "max_age": _("Age in years"),
    SAVED_SEGMENT: _("Saved segment"),
}
YES, NO = "yes", "no"


def _value_kind(condition: str) -> str:
    """How a condition's value is asked: a number, yes/no, reading segments or a saved
    segment (the widget the row shows)."""
    if condition == SAVED_SEGMENT:
        return "saved"
    return {int: "number", bool: "yesno", list: "segments"}[CONDITIONS[condition].kind]


@dataclass
class Node:
    """One row of the builder: a group (mode and parts) or a condition (name and value, as
    the form holds it: text for a number, "yes"/"no", a list of segments, a segment key)."""

    path: str = ROOT
    mode: str = ""
    condition: str = ""
    value: Any = ""
    children: list["Node"] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # "condition"/"value"/"mode" → message
    parsed: Any = None  # the value as the tree stores it, once checked
    focus: bool = False  # the row a button just added or changed: the page puts focus there

    @property
    def is_group(self) -> bool:
        return bool(self.mode)

    @property
    def kind(self) -> str:
        return "group" if self.is_group else "condition"

    @property
    def value_kind(self) -> str:
        return _value_kind(self.condition) if self.condition else ""

    @property
    def value_label(self) -> str:
        return VALUE_LABELS.get(self.condition, "")

    @property
    def depth(self) -> int:
        return self.path.count(".")


def _condition_node(name: str, value: Any) -> Node:
    if name == SAVED_SEGMENT:
        shown = value
    elif CONDITIONS[name].kind is bool:
        shown = YES if value else NO
    elif CONDITIONS[name].kind is list:
        shown = list(value)
    else:
        shown = str(value)
    return Node(condition=name, value=shown)


def _shown_order(item: tuple[str, Any]) -> int:
    """Conditions in the builder's own order, then groups: the same rows whatever order the
    database gives a mapping's keys back in (PostgreSQL's jsonb has its own)."""
    order = [*LABELS, ALL, ANY, NOT]
    return order.index(item[0]) if item[0] in order else len(order)


def _group_from_mapping(mapping: dict, mode: str = ALL) -> Node:
    """A mapping's conditions as the parts of a group (a mapping means: all of them)."""
    children = []
    for name, value in sorted(mapping.items(), key=_shown_order):
        if name in (ALL, ANY):
            children.append(Node(mode=name, children=[_node_from_mapping(m) for m in value]))
        elif name == NOT:
            if list(value) == [ANY]:
                parts = [_node_from_mapping(m) for m in value[ANY]]
            else:
                parts = [_node_from_mapping(value)]
            children.append(Node(mode=NONE, children=parts))
        else:
            children.append(_condition_node(name, value))
    return Node(mode=mode, children=children)


def _node_from_mapping(mapping: dict) -> Node:
    """One part of a group: a single condition or group stays itself, more become a group."""
    group = _group_from_mapping(mapping)
    return group.children[0] if len(group.children) == 1 else group


def tree_from_conditions(conditions: dict) -> Node:
    """The builder's rows for a stored audience (checked conditions)."""
    root = _group_from_mapping(conditions or {})
    if len(root.children) == 1 and root.children[0].is_group:
        root = root.children[0]
    _number(root, ROOT)
    return root


def _number(node: Node, path: str) -> None:
    node.path = path
    for index, child in enumerate(node.children):
        _number(child, f"{path}.{index}")


def _part(node: Node, parent_mode: str) -> dict:
    """A node as one part of its parent group in the tree's format."""
    if not node.is_group:
        return {node.condition: node.parsed}
    if node.mode == ALL and parent_mode == ALL:
        return {ALL: [_part(child, ALL) for child in node.children]}
    return _mapping(node)


def _mapping(group: Node) -> dict:
    parts = [_part(child, group.mode) for child in group.children]
    if group.mode == ANY:
        return {ANY: parts}
    if group.mode == NONE:
        return {NOT: parts[0] if len(parts) == 1 else {ANY: parts}}
    keys = [key for part in parts for key in part]
    if len(set(keys)) != len(keys):
        return {ALL: parts}
    return {key: value for part in parts for key, value in part.items()}


class AudienceBuilder:
    """Form-like: bound to POST data under a prefix, or showing `initial` conditions."""

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        prefix: str,
        initial: dict | None = None,
        library: Library,
        allow_saved_segment: bool = True,
        mailing_list: MailingList | None = None,
    ) -> None:
        self.prefix = prefix
        self.library = library
        # The list the journey goes out on: its count of mailable members leaves out who
        # left it.
        self.mailing_list = mailing_list
        self.allow_saved_segment = allow_saved_segment
        self.is_bound = data is not None
        self.action = data.get(self.name("action"), "") if data is not None else ""
        self.action_requested = bool(self.action)
        if data is None:
            self.root = tree_from_conditions(initial or {})
        else:
            self.root = self._read(data)
            self._apply(self.action)
            _number(self.root, ROOT)
        self._checked: bool | None = None
        self.conditions: dict = {}
        self.errors: dict[str, str] = {}

    def name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    # Reading the POST ------------------------------------------------------------------------

    def _read(self, data: QueryDict) -> Node:
        pattern = re.compile(rf"^{re.escape(self.prefix)}-({ROOT}(?:\.\d+)*)-kind$")
        paths = sorted(
            (match.group(1) for key in data if (match := pattern.match(key))),
            key=lambda path: [int(part) for part in path.split(".")[1:]],
        )
        nodes: dict[str, Node] = {}
        for path in paths:
            node = self._read_node(data, path)
            parent = path.rpartition(".")[0]
            if path == ROOT:
                if not node.is_group:
                    continue
                nodes[path] = node
            elif parent in nodes and nodes[parent].is_group:
                nodes[parent].children.append(node)
                nodes[path] = node
        return nodes.get(ROOT) or Node(mode=ALL)

    def _read_node(self, data: QueryDict, path: str) -> Node:
        field = f"{self.prefix}-{path}-"
        if data.get(field + "kind") == "group":
            mode = data.get(field + "mode", ALL)
            return Node(path=path, mode=mode if mode in MODES else ALL)
        condition = data.get(field + "condition", "")
        if condition not in self.condition_names:
            condition = ""
        if not condition:
            return Node(path=path)
        shown = data.get(field + "shown", "")
        # A value typed for another kind of condition (days, then yes/no) means nothing here.
        if (
            not shown
            or shown not in self.condition_names
            or _value_kind(shown) != _value_kind(condition)
        ):
            value: Any = [] if _value_kind(condition) == "segments" else ""
        elif _value_kind(condition) == "segments":
            value = [s for s in data.getlist(field + "value") if s in Segment.values]
        else:
            value = data.get(field + "value", "").strip()
        return Node(path=path, condition=condition, value=value)

    def _apply(self, action: str) -> None:
        """Carry out a button of the builder: add a condition or group to a group, remove a
        row. An action naming a row that is not there (a double click) changes nothing."""
        verb, _colon, path = action.partition(":")
        target = self._find(self.root, path)
        if target is None:
            return
        if verb == "add-condition" and target.is_group:
            target.children.append(Node(focus=True))
        elif verb == "add-group" and target.is_group:
            target.children.append(Node(mode=ANY, children=[Node()], focus=True))
        elif verb == "remove" and path != ROOT:
            parent = self._find(self.root, path.rpartition(".")[0])
            if parent is not None:
                parent.children.remove(target)
                parent.focus = True
        elif verb == "refresh":
            target.focus = True

    def _find(self, node: Node, path: str) -> Node | None:
        if node.path == path:
            return node
        for child in node.children:
            if path == child.path or path.startswith(child.path + "."):
                return self._find(child, path)
        return None

    # Checking --------------------------------------------------------------------------------

    def is_valid(self) -> bool:
        """Whether the rows make a complete audience; the conditions are in `conditions`,
        the problems in `errors` and on the rows."""
        if self._checked is None:
            self.errors = {}
            self._check(self.root)
            if not self.errors:
                self.conditions = _mapping(self.root) if self.root.children else {}
                try:
                    check_conditions(self.conditions, self.allow_saved_segment)
                    audience_condition(self.library, self.conditions, queries.today())
                except InvalidAudience as problem:
                    self.root.errors["mode"] = str(problem)
                    self.errors[self.name(f"{ROOT}-mode")] = str(problem)
            self._checked = not self.errors
        return self._checked

    def _error(self, node: Node, part: str, message: str) -> None:
        node.errors[part] = message
        self.errors[self.name(f"{node.path}-{part}")] = str(message)

    def _check(self, node: Node) -> None:
        if node.is_group:
            if not node.children and node.path != ROOT:
                self._error(node, "mode", _("Add a condition to this group, or remove it."))
            if not node.children and node.path == ROOT and node.mode != ALL:
                self._error(node, "mode", _("Add a condition, or choose “all of these”."))
            for child in node.children:
                self._check(child)
            return
        if not node.condition:
            self._error(node, "condition", _("Choose a condition."))
            return
        kind = node.value_kind
        if kind == "number":
            if not re.fullmatch(r"[0-9]{1,6}", node.value):
                self._error(node, "value", _("Give a whole number of 0 or more."))
            else:
                node.parsed = int(node.value)
        elif kind == "yesno":
            if node.value not in (YES, NO):
                self._error(node, "value", _("Choose yes or no."))
            node.parsed = node.value == YES
        elif kind == "segments":
            if not node.value:
                self._error(node, "value", _("Tick at least one reading profile."))
            node.parsed = list(node.value)
        else:
            if node.value not in self.saved_segments:
                self._error(node, "value", _("Choose a saved segment."))
            node.parsed = node.value

    # What the template shows -----------------------------------------------------------------

    @cached_property
    def saved_segments(self) -> dict[str, str]:
        """The library's saved segments, key → name."""
        if not self.allow_saved_segment:
            return {}
        return dict(self.library.segments.order_by("name").values_list("key", "name"))

    @cached_property
    def condition_names(self) -> list[str]:
        return [name for name in LABELS if name != SAVED_SEGMENT or self.allow_saved_segment]

    @property
    def condition_choices(self) -> list[tuple[str, str]]:
        return [(name, LABELS[name]) for name in self.condition_names]

    @property
    def mode_choices(self) -> list[tuple[str, str]]:
        return list(MODES.items())

    @property
    def segment_choices(self) -> list[tuple[str, str]]:
        return [(segment, segment_label(segment)) for segment in Segment.values]

    @property
    def value_labels(self) -> dict[str, str]:
        return VALUE_LABELS

    @property
    def show_errors(self) -> bool:
        """Problems are shown once the host tried to save, not while rows are being added."""
        return self.is_bound and not self.action_requested

    @cached_property
    def count(self) -> AudienceCount | None:
        """The audience's size today, when the rows make a complete audience."""
        if not self.is_valid():
            return None
        return audience_count(
            self.library, self.conditions, queries.today(), mailing_list=self.mailing_list
        )
