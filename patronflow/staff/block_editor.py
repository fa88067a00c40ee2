"""The mail designer's blocks as a form: each block a fieldset of its fields, posted as flat
names and read back into blocks (templating/blocks.py), and the buttons that add, remove
and move a block.

The names follow the blocks' paths: `b-3-text` is the text of the fourth block,
`b-2-left-0-url` the link of the first block in the left column of the third; `b-count` and
`b-2-left-count` say how many blocks a list has. A button that reshapes the blocks is a
submit button (`name="action"`): the view shows the form again from what was posted,
changed as asked, and saves nothing, so the designer works without JavaScript (with it,
htmx swaps only the blocks). Problems of blocks.validate come back on the field they are
about, by the same path.
"""

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patronflow.mail.rendering import ALLOWED_TAGS, stripped_from
from patronflow.templating.blocks import (
    BLOCK_TYPES,
    MAX_BLOCKS,
    SHOW_IF,
    SHOW_IF_LABELS,
    Problem,
    blank,
    normalised,
    to_template,
    validate,
)
from patronflow.templating.sandbox import TemplateProblem
from patronflow.templating.staff_text import check_staff_template

TOP = "b"  # the prefix of the mail's own list of blocks
SIDES = ("left", "right")
LEVELS = {2: gettext_lazy("Large"), 3: gettext_lazy("Smaller")}


def _number(value: object) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def blocks_from_post(data: QueryDict, prefix: str = TOP, budget: list[int] | None = None) -> list:
    """The blocks as posted, values as typed; unknown types are left out. At most MAX_BLOCKS
    are read (columns' blocks counted), whatever the counts say."""
    budget = [MAX_BLOCKS] if budget is None else budget
    blocks = []
    for index in range(max(0, min(_number(data.get(f"{prefix}-count")), MAX_BLOCKS))):
        if budget[0] <= 0:
            break
        name = f"{prefix}-{index}"
        kind = data.get(f"{name}-type", "")
        if kind not in BLOCK_TYPES:
            continue
        budget[0] -= 1
        show_if = data.get(f"{name}-show_if", "")
        block = {"type": kind, "show_if": show_if if show_if in SHOW_IF else ""}
        for field_name, spec in BLOCK_TYPES[kind].fields.items():
            value = data.get(f"{name}-{field_name}", "")
            if spec.kind == "blocks":
                block[field_name] = blocks_from_post(data, f"{name}-{field_name}", budget)
            elif spec.kind == "choice":
                block[field_name] = _number(value) or spec.default
            elif spec.kind == "flag":
                block[field_name] = bool(value)
            elif spec.kind == "image":
                block[field_name] = _number(value) or None
            elif spec.kind == "items":
                block[field_name] = [line.strip() for line in value.splitlines() if line.strip()]
            else:
                block[field_name] = value.replace("\r\n", "\n")
        blocks.append(block)
    return normalised(blocks)


def _path(name: str) -> tuple:
    """`b-2-left-0` → (2, "left", 0); () for the mail's own list, None when not a block's."""
    parts = name.split("-")
    if parts[0] != TOP:
        return None
    path = []
    for part in parts[1:]:
        if part.isdigit():
            path.append(int(part))
        elif part in SIDES:
            path.append(part)
        else:
            return None
    return tuple(path)


def _list_at(blocks: list, path: tuple) -> list | None:
    """The list of blocks a list path leads to: () the mail's, (2, "left") a column's."""
    current = blocks
    for step in range(0, len(path), 2):
        index, side = path[step], path[step + 1] if step + 1 < len(path) else None
        if side is None or not 0 <= index < len(current):
            return None
        block = current[index]
        if block.get("type") != "columns":
            return None
        current = block[side]
    return current


def prefix_of(path: tuple) -> str:
    return "-".join([TOP, *map(str, path)])


def apply_action(blocks: list, action: str) -> str:
    """Change the blocks as a button asked; returns the prefix of the block (or list) that
    should have the focus next. add:TYPE:LIST, remove:BLOCK, up:BLOCK, down:BLOCK,
    move:LIST:FROM:TO (dragged), with LIST and BLOCK as prefixes, e.g. b-2-left."""
    name, _sep, rest = action.partition(":")
    if name == "add":
        kind, _sep, where = rest.partition(":")
        path = _path(where)
        if kind not in BLOCK_TYPES or path is None or len(path) % 2:
            return ""
        target = _list_at(blocks, path)
        in_column = bool(path)
        if target is None or (in_column and not BLOCK_TYPES[kind].in_columns):
            return ""
        if block_count(blocks) >= MAX_BLOCKS:
            return ""
        target.append(blank(kind))
        return prefix_of((*path, len(target) - 1))
    if name == "move":
        where, _sep, places = rest.partition(":")
        path = _path(where)
        source, _sep, destination = places.partition(":")
        if path is None or len(path) % 2:
            return ""
        target = _list_at(blocks, path)
        start, end = _number(source), _number(destination)
        if target is None or not (0 <= start < len(target) and 0 <= end < len(target)):
            return ""
        target.insert(end, target.pop(start))
        return prefix_of((*path, end))
    path = _path(rest)
    if not path or len(path) % 2 == 0:
        return ""
    target = _list_at(blocks, path[:-1])
    index = path[-1]
    if target is None or not 0 <= index < len(target):
        return ""
    if name == "remove":
        del target[index]
        return prefix_of(path[:-1]) + "-add"
    if name == "up" and index > 0:
        target[index - 1], target[index] = target[index], target[index - 1]
        return prefix_of((*path[:-1], index - 1))
    if name == "down" and index < len(target) - 1:
        target[index + 1], target[index] = target[index], target[index + 1]
        return prefix_of((*path[:-1], index + 1))
    return prefix_of(path)


def block_count(blocks: list) -> int:
    """How many blocks, those in columns too."""
    return sum(1 for _block in _every_block(blocks))


def _every_block(blocks: list):
    for block in blocks:
        yield block
        if block.get("type") == "columns":
            for side in SIDES:
                yield from _every_block(block.get(side) or [])


def template_problems(blocks: list, where: tuple = ()) -> list[Problem]:
    """Each block's text tried on the sample members, as the save will (a Jinja mistake in
    an HTML block, a text that fails for some members), its problem on the block's own
    text; blocks validate already refuses are left to that refusal."""
    problems = []
    for index, block in enumerate(blocks):
        path = (*where, index)
        if block.get("type") == "columns":
            for side in SIDES:
                problems += template_problems(block.get(side) or [], (*path, side))
            continue
        if validate([block]):
            continue
        try:
            check_staff_template(to_template([block]), html=True, field="body")
        except TemplateProblem as problem:
            text_field = next(iter(BLOCK_TYPES[block["type"]].fields), None)
            problems.append(
                Problem(
                    (*path, text_field) if text_field else path,
                    "%(problem)s",
                    {"problem": str(problem)},
                )
            )
    return problems


def previewable(blocks: list) -> list:
    """The blocks without those validate refuses (a block just added and still empty), so
    the preview shows the rest while the marketer fills it in."""
    kept = []
    for block in blocks:
        if block.get("type") == "columns":
            block = block | {side: previewable(block.get(side) or []) for side in SIDES}
        if not validate([block]):
            kept.append(block)
    return kept


# --- the form as the template shows it ---------------------------------------------------


@dataclass
class FieldRow:
    name: str  # the posted name, also the control's id
    kind: str
    label: str
    value: object
    required: bool
    problems: list[str] = field(default_factory=list)
    note: str = ""  # what the sanitiser leaves out of an HTML block
    choices: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ListRow:
    prefix: str
    label: str  # a column's name; '' for the mail's own list
    add_label: str
    blocks: list["BlockRow"]
    add_types: list[tuple[str, str]]


@dataclass
class BlockRow:
    prefix: str
    kind: str
    label: str
    number: int
    first: bool
    last: bool
    show_if: FieldRow
    fields: list[FieldRow]
    columns: list[ListRow]
    problems: list[str] = field(default_factory=list)
    focus: bool = False

    @property
    def position(self) -> int:
        return self.number - 1


def _add_types(in_column: bool) -> list[tuple[str, str]]:
    return [
        (kind, _(spec.label))
        for kind, spec in BLOCK_TYPES.items()
        if spec.in_columns or not in_column
    ]


def _problems_by_name(problems: list[Problem]) -> dict[str, list[str]]:
    """Each problem under the name of its field (`b-3-alt`), or its block's (`b-3`) when
    it is about the block as a whole; '' for the list as a whole."""
    named: dict[str, list[str]] = {}
    for problem in problems:
        path = list(problem.path)
        parts = []
        while path and (isinstance(path[0], int) or path[0] in SIDES):
            if isinstance(path[0], str) and len(path) == 1:
                break
            parts.append(path.pop(0))
        name = prefix_of(tuple(parts)) if parts else ""
        if path and isinstance(path[0], str):
            name = f"{name}-{path[0]}"
        named.setdefault(name, []).append(problem.text())
    return named


class BlockEditor:
    """The rows the template shows for `blocks`, with `problems` (blocks.validate's) on
    their fields and the focus on the block `focus` names."""

    def __init__(
        self,
        blocks: list,
        *,
        problems: list[Problem] = (),
        focus: str = "",
        images: list = (),
    ) -> None:
        self.blocks = blocks
        self.focus = focus
        self.images = images
        self.problems = _problems_by_name(list(problems))
        self.root = self._list(blocks, TOP, "", _("Add a block"), in_column=False)

    @property
    def top_problems(self) -> list[str]:
        return self.problems.get("", []) + self.problems.get(TOP, [])

    @property
    def has_problems(self) -> bool:
        return bool(self.problems)

    def _list(
        self, blocks: list, prefix: str, label: str, add_label: str, *, in_column: bool
    ) -> ListRow:
        rows = [
            self._row(block, f"{prefix}-{index}", index, len(blocks), in_column=in_column)
            for index, block in enumerate(blocks)
        ]
        return ListRow(prefix, label, add_label, rows, _add_types(in_column))

    def _row(
        self, block: dict, prefix: str, index: int, count: int, *, in_column: bool
    ) -> BlockRow:
        spec = BLOCK_TYPES[block["type"]]
        fields, columns = [], []
        for name, field_spec in spec.fields.items():
            if field_spec.kind == "blocks":
                if name == "left":
                    label, add_label = _("Left column"), _("Add a block to the left column")
                else:
                    label, add_label = _("Right column"), _("Add a block to the right column")
                columns.append(
                    self._list(
                        block.get(name) or [], f"{prefix}-{name}", label, add_label, in_column=True
                    )
                )
                continue
            fields.append(self._field(block, prefix, name, field_spec))
        show_if = FieldRow(
            name=f"{prefix}-show_if",
            kind="choice",
            label=_("Shown to"),
            value=block.get("show_if") or "",
            required=False,
            problems=self.problems.get(f"{prefix}-show_if", []),
            choices=[(value, _(SHOW_IF_LABELS[value])) for value in SHOW_IF],
        )
        return BlockRow(
            prefix=prefix,
            kind=block["type"],
            label=_(spec.label),
            number=index + 1,
            first=index == 0,
            last=index == count - 1,
            show_if=show_if,
            fields=fields,
            columns=columns,
            problems=self.problems.get(prefix, []) + self.problems.get(f"{prefix}-type", []),
            focus=self.focus == prefix,
        )

    def _field(self, block: dict, prefix: str, name: str, spec) -> FieldRow:
        value = block.get(name)
        row = FieldRow(
            name=f"{prefix}-{name}",
            kind=spec.kind,
            label=_(spec.label),
            value=value,
            required=spec.required,
            problems=self.problems.get(f"{prefix}-{name}", []),
        )
        if spec.kind == "items":
            row.value = "\n".join(value or [])
        elif spec.kind == "choice":
            row.choices = [
                (str(choice), str(LEVELS.get(choice, choice))) for choice in spec.choices
            ]
            row.value = str(value)
        elif spec.kind == "image":
            row.choices = [(str(image.pk), image) for image in self.images]
            row.value = str(value or "")
        elif spec.kind == "html" and value:
            row.note = stripped_note(value)
        return row


def stripped_note(body: str) -> str:
    """What the sanitiser will leave out of an HTML block when the mail is sent, in the
    marketer's words; '' when nothing. Saving is not refused for it: the mail is safe
    either way."""
    stripped = stripped_from(body)
    if not stripped:
        return ""
    parts = []
    if stripped.tags:
        tags = ", ".join(f"<{tag}>" for tag in stripped.tags)
        parts.append(_("the tags %(tags)s") % {"tags": tags})
    # A button without its link is no button: the layout leaves the whole of it out.
    if ("pf-button", "href") in stripped.attributes:
        parts.append(
            _("each button whose link is not an https:// or mailto: address, text and all")
        )
    kept = [pair for pair in stripped.attributes if pair != ("pf-button", "href")]
    if kept:
        attributes = ", ".join(f"{name} (<{tag}>)" for tag, name in kept)
        parts.append(_("the attributes %(attributes)s") % {"attributes": attributes})
    if stripped.links:
        links = ", ".join(Truncator(link).chars(60) for link in stripped.links)
        parts.append(_("the links to %(links)s (their text stays)") % {"links": links})
    return _(
        "Left out of the mail when it is sent: %(parts)s. A mail keeps only the tags "
        "%(allowed)s, no attribute but a link's href and title, and only links to https:// "
        "and mailto: addresses."
    ) % {"parts": "; ".join(parts), "allowed": ", ".join(sorted(ALLOWED_TAGS))}


def html_blocks(blocks: list, prefix: str = TOP):
    """(field name, HTML) of every HTML block, those in columns too."""
    for index, block in enumerate(blocks):
        name = f"{prefix}-{index}"
        if block.get("type") == "html":
            yield f"{name}-html", block.get("html") or ""
        elif block.get("type") == "columns":
            for side in SIDES:
                yield from html_blocks(block.get(side) or [], f"{name}-{side}")


@dataclass(frozen=True)
class ImageChoice:
    """One of the library's images as the image block offers it."""

    pk: int
    alt: str
    thumbnail_path: str


def fill_alt(blocks: list, images: list[ImageChoice]) -> None:
    """An image block's description, when still empty, is the image's own (its alt text
    from the upload); the marketer may change it."""
    alts = {image.pk: image.alt for image in images}
    for block in _every_block(blocks):
        if block.get("type") == "image" and not block.get("alt") and block.get("image") in alts:
            block["alt"] = alts[block["image"]]
