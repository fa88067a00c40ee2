"""A mail's content as blocks: the one stored form, from which its HTML and text are rendered.

A mail's content is a list of blocks, each a dict with a "type", its fields and "show_if"
(shown to everyone, or only to members with or without an online profile or reading tips:
what the mails' `{% if %}` did around whole paragraphs). `to_template` writes the blocks as
the staff template text mail/rendering.py renders: the staff's texts as they wrote them, and
the structure (buttons, images, columns, dividers, reading tips, footer text) as `<pf-…>`
elements that the sanitiser lets through and the layout turns into its own HTML.
`from_html` turns a body of staff HTML into blocks without changing what it renders to:
whatever it does not recognise becomes an HTML block, so nothing is lost. docs/journeys.md
has the format, docs/mail-templates.md the layout.

Problems carry a path into the blocks, e.g. (3, "alt") or (2, "left", 0, "url"), and a reason
from the staff catalogue (English msgid, Dutch in the catalogue) with its params.
"""

import html
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _noop

from patronflow.templating.sandbox import MAX_SOURCE
from patronflow.templating.staff_text import STAFF_VARIABLES

# The conditions a block can be shown under (docs/journeys.md).
CONDITIONS = ("has_online_profile", "has_reading_tips")
SHOW_IF = ("", *CONDITIONS, *(f"not {condition}" for condition in CONDITIONS))
SHOW_IF_LABELS = {
    "": _noop("Everyone"),
    "has_online_profile": _noop("Members with an online profile"),
    "has_reading_tips": _noop("Members who get reading tips"),
    "not has_online_profile": _noop("Members without an online profile"),
    "not has_reading_tips": _noop("Members who get no reading tips"),
}
# What `{{ … }}` may name in a block's text, and in a link.
PLACEHOLDERS = tuple(name for name in STAFF_VARIABLES if name not in (*CONDITIONS, "event"))
# …and a part of the event an event journey started on: `{{ event.name }}`, `{{ event.link }}`.
EVENT_PLACEHOLDER = "event.<property>"
URL_PLACEHOLDERS = (
    "profile_url", "privacy_url", "survey_url", "unsubscribe_url", "preferences_url",
)  # fmt: skip
INLINE_TAGS = ("strong", "em", "b", "i", "u", "a", "br", "span")

MAX_BLOCKS = 200  # in a mail, columns' blocks included
MAX_ITEMS = 50  # in one list
MAX_TEXT = 300  # a heading, a button's text, an image's description
MAX_INLINE = 5_000  # a paragraph, a list item, footer text
MAX_URL = 2_000
MAX_HTML = MAX_SOURCE  # an HTML block: as long as a whole body may be


@dataclass(frozen=True)
class FieldSpec:
    """One field of a block type, as a form builds it: `kind` is one of text (plain text with
    placeholders), inline (a little HTML with placeholders), items (a list of inline texts),
    url, image (a library image's id), choice (one of `choices`), flag (yes or no), blocks (a
    column's blocks) or html (raw HTML for experts). `label` is a staff catalogue msgid."""

    kind: str
    label: str
    required: bool = False
    longest: int | None = None
    choices: tuple = ()
    default: Any = ""


@dataclass(frozen=True)
class BlockType:
    label: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    in_columns: bool = True  # may stand in a column


BLOCK_TYPES: dict[str, BlockType] = {
    "heading": BlockType(
        _noop("Heading"),
        {
            "text": FieldSpec("text", _noop("Text"), required=True, longest=MAX_TEXT),
            "level": FieldSpec("choice", _noop("Level"), choices=(2, 3), default=2),
        },
    ),
    "paragraph": BlockType(
        _noop("Paragraph"),
        {"html": FieldSpec("inline", _noop("Text"), required=True, longest=MAX_INLINE)},
    ),
    "list": BlockType(
        _noop("List"),
        {
            "items": FieldSpec("items", _noop("Items"), required=True, longest=MAX_INLINE),
            "ordered": FieldSpec("flag", _noop("Numbered"), default=False),
        },
    ),
    "button": BlockType(
        _noop("Button"),
        {
            "text": FieldSpec("text", _noop("Text"), required=True, longest=MAX_TEXT),
            "url": FieldSpec("url", _noop("Link"), required=True, longest=MAX_URL),
        },
    ),
    "image": BlockType(
        _noop("Image"),
        {
            "image": FieldSpec("image", _noop("Image"), required=True, default=None),
            "alt": FieldSpec("text", _noop("Description"), required=True, longest=MAX_TEXT),
            "link": FieldSpec("url", _noop("Link"), longest=MAX_URL),
        },
    ),
    "reading_tips": BlockType(_noop("Reading tips"), in_columns=False),
    "divider": BlockType(_noop("Divider")),
    "columns": BlockType(
        _noop("Two columns"),
        {
            "left": FieldSpec("blocks", _noop("Left"), default=()),
            "right": FieldSpec("blocks", _noop("Right"), default=()),
        },
        in_columns=False,
    ),
    "footer": BlockType(
        _noop("Footer text"),
        {"html": FieldSpec("inline", _noop("Text"), required=True, longest=MAX_INLINE)},
        in_columns=False,
    ),
    "html": BlockType(
        _noop("HTML"),
        {"html": FieldSpec("html", _noop("HTML"), required=True, longest=MAX_HTML)},
    ),
}

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """Something wrong with one field of one block: `path` leads to it from the list of
    blocks; `reason` is a staff catalogue msgid filled in with `params`."""

    path: Path
    reason: str
    params: dict = field(default_factory=dict)

    def text(self) -> str:
        """The reason in the active language."""
        return gettext(self.reason) % self.params if self.params else gettext(self.reason)


def blank(block_type: str) -> dict:
    """A new block of a type with every field at its default, as a form starts it."""
    fields = BLOCK_TYPES[block_type].fields
    defaults = {name: _default(spec) for name, spec in fields.items()}
    return {"type": block_type, **defaults, "show_if": ""}


def _default(spec: FieldSpec) -> Any:
    return list(spec.default) if isinstance(spec.default, tuple) else spec.default


def normalised(blocks: list[dict]) -> list[dict]:
    """Valid blocks with every field present (defaults filled in), so that equal contents
    compare equal; unknown types are left as they are."""
    result = []
    for block in blocks:
        if block.get("type") not in BLOCK_TYPES:
            result.append(block)
            continue
        whole = blank(block["type"]) | block
        whole["show_if"] = whole["show_if"] or ""
        for side in ("left", "right"):
            if side in whole and block["type"] == "columns":
                whole[side] = normalised(whole[side] or [])
        result.append(whole)
    return result


def has_reading_tips(blocks: list[dict]) -> bool:
    """Whether the mail places reading tips (it gets them only then)."""
    return any(block.get("type") == "reading_tips" for block in blocks)


# --- validation -------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+(?:\.[a-z_][a-z0-9_]*)?)\s*\}\}")


def _placeholder(name: str, names: tuple[str, ...] = PLACEHOLDERS) -> bool:
    """One of `names`, or a part of the event (`event.starts_at`)."""
    return name in names or name.startswith("event.")


_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
_STATEMENT = re.compile(r"\{%|\{#")


def validate(blocks: Any) -> list[Problem]:
    """Every problem of a mail's blocks, each with its path; [] when they can be saved."""
    if not isinstance(blocks, list):
        return [Problem((), _noop("The content is a list of blocks."))]
    problems = _check_blocks(blocks, (), in_column=False)
    count = _count(blocks)
    if count > MAX_BLOCKS:
        problems.append(Problem((), _noop("At most %(most)s blocks."), {"most": MAX_BLOCKS}))
    tips = [n for n, block in enumerate(blocks) if _type(block) == "reading_tips"]
    problems += [Problem((n, "type"), _noop("A mail has reading tips once.")) for n in tips[1:]]
    return problems


def _type(block: Any) -> Any:
    return block.get("type") if isinstance(block, dict) else None


def _count(blocks: list) -> int:
    total = 0
    for block in blocks:
        total += 1
        if _type(block) == "columns":
            total += sum(
                _count(block.get(side)) for side in ("left", "right")
                if isinstance(block.get(side), list)
            )  # fmt: skip
    return total


def _check_blocks(blocks: list, where: Path, *, in_column: bool) -> list[Problem]:
    problems = []
    for index, block in enumerate(blocks):
        problems += _check_block(block, (*where, index), in_column=in_column)
    return problems


def _check_block(block: Any, where: Path, *, in_column: bool) -> list[Problem]:
    if not isinstance(block, dict) or "type" not in block:
        return [Problem(where, _noop("A block has a type."))]
    kind = block["type"]
    if kind not in BLOCK_TYPES:
        return [Problem((*where, "type"), _noop("Unknown block type %(type)s."), {"type": kind})]
    spec = BLOCK_TYPES[kind]
    if in_column and not spec.in_columns:
        reason = {
            "columns": _noop("Columns cannot hold columns."),
            "reading_tips": _noop("Reading tips cannot go in a column."),
            "footer": _noop("Footer text cannot go in a column."),
        }[kind]
        return [Problem((*where, "type"), reason)]
    problems = []
    unknown = sorted(set(block) - set(spec.fields) - {"type", "show_if"})
    if unknown:
        problems.append(
            Problem(
                (*where, unknown[0]),
                _noop("Unknown field(s) %(unknown)s."),
                {"unknown": ", ".join(map(str, unknown))},
            )
        )
    if block.get("show_if", "") not in SHOW_IF and block.get("show_if") is not None:
        problems.append(
            Problem(
                (*where, "show_if"),
                _noop("Shown to everyone, or under one of the conditions listed."),
            )
        )
    for name, field_spec in spec.fields.items():
        problems += _check_field(block.get(name), field_spec, (*where, name))
    return problems


def _check_field(value: Any, spec: FieldSpec, where: Path) -> list[Problem]:
    if spec.kind == "blocks":
        if value is None:
            return []
        if not isinstance(value, list):
            return [Problem(where, _noop("A list of blocks."))]
        return _check_blocks(value, where, in_column=True)
    if spec.kind == "choice":
        if value is not None and value not in spec.choices:
            return [Problem(where, _noop("Heading level 2 or 3."))]
        return []
    if spec.kind == "flag":
        if value is not None and not isinstance(value, bool):
            return [Problem(where, _noop("Yes or no."))]
        return []
    if spec.kind == "image":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return [Problem(where, _noop("Choose an image from the library's images."))]
        return []
    if spec.kind == "items":
        if not isinstance(value, list) or not value:
            return [Problem(where, _noop("A list needs at least one item."))]
        if len(value) > MAX_ITEMS:
            return [Problem(where, _noop("At most %(most)s items."), {"most": MAX_ITEMS})]
        problems = []
        for index, item in enumerate(value):
            problems += _check_text(item, spec, (*where, index), _inline_problems)
        return problems
    checker = {
        "text": _plain_problems,
        "inline": _inline_problems,
        "url": _url_problems,
        "html": lambda text: [],
    }[spec.kind]
    return _check_text(value, spec, where, checker)


def _check_text(value: Any, spec: FieldSpec, where: Path, checker) -> list[Problem]:
    if value is None or value == "":
        if spec.required:
            reason = (
                _noop("Describe the image for readers who cannot see it.")
                if where[-1] == "alt"
                else _noop("Fill this in.")
            )
            return [Problem(where, reason)]
        return []
    if not isinstance(value, str) or (spec.required and not value.strip()):
        return [Problem(where, _noop("Fill this in."))]
    if spec.longest is not None and len(value) > spec.longest:
        return [
            Problem(
                where,
                _noop("At most %(longest)s characters; this is %(length)s."),
                {"longest": spec.longest, "length": len(value)},
            )
        ]
    return [Problem(where, reason, params) for reason, params in checker(value)]


def _placeholder_problems(text: str) -> list[tuple[str, dict]]:
    if _STATEMENT.search(text):
        return [
            (
                _noop(
                    "A condition belongs on the block (who it is shown to), not in its text; "
                    "or use an HTML block."
                ),
                {},
            )
        ]
    for expression in _EXPRESSION.findall(text):
        found = _PLACEHOLDER.fullmatch(expression)
        if not found or not _placeholder(found[1]):
            return [
                (
                    _noop("Only {{ name }} with one of %(names)s; or use an HTML block."),
                    {"names": ", ".join((*PLACEHOLDERS, EVENT_PLACEHOLDER))},
                )
            ]
    return []


def _plain_problems(text: str) -> list[tuple[str, dict]]:
    return _placeholder_problems(text)


def _url_problems(url: str) -> list[tuple[str, dict]]:
    if not _good_url(url):
        return [
            (
                _noop("An https:// address, or one of %(names)s."),
                {
                    "names": ", ".join(
                        f"{{{{ {name} }}}}" for name in (*URL_PLACEHOLDERS, EVENT_PLACEHOLDER)
                    )
                },
            )
        ]
    return []


def _good_url(url: str) -> bool:
    placeholder = _PLACEHOLDER.fullmatch(url.strip())
    if placeholder:
        return _placeholder(placeholder[1], URL_PLACEHOLDERS)
    if any(character.isspace() or character in '"<>{}' for character in url):
        return False
    parts = urlsplit(url)
    return (parts.scheme == "https" and bool(parts.netloc)) or (
        parts.scheme == "mailto" and bool(parts.path)
    )


class _InlineCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in INLINE_TAGS:
            self.problems.append(
                (
                    _noop(
                        "<%(tag)s> cannot be used here (only %(allowed)s); or use an HTML block."
                    ),
                    {"tag": tag, "allowed": ", ".join(INLINE_TAGS)},
                )
            )
            return
        for name, value in attrs:
            if tag == "a" and name == "href":
                if not _good_url(value or ""):
                    self.problems += _url_problems(value or "")
            elif not (tag == "a" and name == "title"):
                self.problems.append(
                    (
                        _noop("The attribute %(attribute)s cannot be used here."),
                        {"attribute": f"{tag} {name}"},
                    )
                )

    handle_startendtag = handle_starttag


def _inline_problems(text: str) -> list[tuple[str, dict]]:
    problems = _placeholder_problems(text)
    if problems:
        return problems
    check = _InlineCheck()
    check.feed(text)
    check.close()
    return check.problems[:1]


# --- blocks → template --------------------------------------------------------------------


def to_template(blocks: list[dict]) -> str:
    """The blocks as the body's staff template text (what mail/rendering.py renders)."""
    return _cached_template(json.dumps(blocks, sort_keys=True))


@lru_cache(maxsize=512)
def _cached_template(blocks: str) -> str:
    """A batch renders the same few contents many times: each written once."""
    return _template(json.loads(blocks))


def _template(blocks: list[dict]) -> str:
    return "\n".join(_block_template(block) for block in blocks)


def _block_template(block: dict) -> str:
    text = _BUILDERS[block["type"]](block)
    condition = block.get("show_if") or ""
    if condition and block["type"] == "html":
        # On lines of its own, so that it reads back as this block (from_html).
        return f"{{% if {condition} %}}\n{text}\n{{% endif %}}"
    return f"{{% if {condition} %}}{text}{{% endif %}}" if condition else text


def _text_html(text: str, *, attribute: bool = False) -> str:
    """Plain text as HTML: escaped, with its placeholders kept as placeholders, and no other
    `{` that Jinja could read as the start of a tag."""
    parts = []
    start = 0
    for found in _PLACEHOLDER.finditer(text):
        if _placeholder(found[1]):
            parts += [_escaped(text[start : found.start()], attribute), found[0]]
            start = found.end()
    return "".join([*parts, _escaped(text[start:], attribute)])


def _escaped(text: str, attribute: bool) -> str:
    return html.escape(text, quote=attribute).replace("{", "&#123;")


def _heading(block: dict) -> str:
    level = block.get("level") or 2
    return f"<h{level}>{_text_html(block['text'])}</h{level}>"


def _list(block: dict) -> str:
    tag = "ol" if block.get("ordered") else "ul"
    items = "".join(f"\n<li>{item}</li>" for item in block["items"])
    return f"<{tag}>{items}\n</{tag}>"


def _button(block: dict) -> str:
    url = _text_html(block["url"], attribute=True)
    return f'<pf-button href="{url}">{_text_html(block["text"])}</pf-button>'


def _image(block: dict) -> str:
    link = block.get("link") or ""
    href = f' href="{_text_html(link, attribute=True)}"' if link else ""
    alt = _text_html(block["alt"], attribute=True)
    return f'<pf-image image="{int(block["image"])}" alt="{alt}"{href}></pf-image>'


def _columns(block: dict) -> str:
    left, right = _template(block.get("left") or []), _template(block.get("right") or [])
    return (
        f"<pf-columns><pf-column>\n{left}\n</pf-column>"
        f"<pf-column>\n{right}\n</pf-column></pf-columns>"
    )


_BUILDERS = {
    "heading": _heading,
    "paragraph": lambda block: f"<p>{block['html']}</p>",
    "list": _list,
    "button": _button,
    "image": _image,
    "reading_tips": lambda block: "<pf-tips></pf-tips>",
    "divider": lambda block: "<pf-divider></pf-divider>",
    "columns": _columns,
    "footer": lambda block: f"<pf-footer>{block['html']}</pf-footer>",
    "html": lambda block: block["html"],
}


# --- HTML → blocks ------------------------------------------------------------------------

_IF = re.compile(r"\{% if (not )?(has_online_profile|has_reading_tips) %\}")
_JINJA_TAG = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.S)
_OPENING = {"if", "for", "macro", "call", "filter", "with", "block", "raw", "autoescape"}
# Where a block may begin or end without changing how the HTML reads.
_BLOCK_TAG = re.compile(
    r"\{% if |</?(?:p|h[1-6]|ul|ol|li|div|table|blockquote|hr|pf-[a-z]+)\b[^>]*>", re.I
)
_BLOCK_START = re.compile(
    r"<(?:p|h2|h3|ul|ol|pf-button|pf-image|pf-tips|pf-divider|pf-columns|pf-footer)[\s>]"
    r"|\{% if (?:not )?(?:has_online_profile|has_reading_tips) %\}"
)
_SIMPLE = {
    "p": re.compile(r"<p>(.*?)</p>", re.S),
    "h": re.compile(r"<h([23])>([^<]*?)</h\1>", re.S),
    "list": re.compile(r"<(ul|ol)>((?:\s*<li>.*?</li>)*)\s*</\1>", re.S),
    "button": re.compile(r'<pf-button href="([^"]*)">([^<]*)</pf-button>'),
    "image": re.compile(
        r'<pf-image image="([1-9][0-9]*)" alt="([^"]*)"(?: href="([^"]*)")?></pf-image>'
    ),
    "tips": re.compile(r"<pf-tips></pf-tips>"),
    "divider": re.compile(r"<pf-divider></pf-divider>"),
    "footer": re.compile(r"<pf-footer>(.*?)</pf-footer>", re.S),
    "columns": re.compile(
        r"<pf-columns><pf-column>(.*?)</pf-column><pf-column>(.*?)</pf-column></pf-columns>",
        re.S,
    ),
}
_ITEM = re.compile(r"<li>(.*?)</li>", re.S)


class _NotConvertible(Exception):
    """A part that must stay as it is: an HTML block."""


def from_html(body: str) -> list[dict]:
    """A body of staff HTML as blocks that render to the same mail: paragraphs, headings and
    lists it can read as such, `{% if %}` around whole blocks as their show_if, the forms
    to_template writes as their blocks; everything else as HTML blocks (nothing is lost).
    Blocks are only split where whitespace or a block element already separates them."""
    blocks = normalised(_convert(body))
    if _count(blocks) > MAX_BLOCKS:
        return normalised([{"type": "html", "html": body.strip()}] if body.strip() else [])
    return blocks


def _convert(body: str) -> list[dict]:
    blocks: list[dict] = []
    pending = ""
    depth = 0  # elements left open in the pending HTML: no block starts inside one
    position = 0

    def keep(text: str) -> None:
        nonlocal pending, depth
        pending += text
        depth += _opened(text)

    def flush() -> None:
        nonlocal pending
        if pending.strip():
            blocks.append({"type": "html", "html": pending.strip()})
        pending = ""

    while position < len(body):
        found = _BLOCK_START.search(body, position)
        if found is None:
            keep(body[position:])
            break
        start = found.start()
        keep(body[position:start])
        converted = None
        if depth == 0 and _separated_before(pending):
            converted = _construct(body, start)
        if converted is None:
            skip = _skip_jinja(body, start) if body.startswith("{%", start) else start + 1
            keep(body[start:skip])
            position = skip
            continue
        made, end = converted
        if not _separated_after(body, end):
            keep(body[start:end])
            position = end
            continue
        flush()
        blocks += made
        position = end
    flush()
    return blocks


_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*?(/?)>")
_VOID = {"br", "hr", "img", "wbr", "input", "meta", "link", "source", "col", "area", "base"}


def _opened(text: str) -> int:
    """How many more elements the text opens than it closes."""
    count = 0
    for tag in _TAG.finditer(text):
        if tag[2].lower() in _VOID or tag[3]:
            continue
        count += -1 if tag[1] else 1
    return count


def _separated_before(pending: str) -> bool:
    """Whether a block may start after this text without changing how it reads: after
    whitespace (which the joining newline stands in for) or a block element's tag."""
    if not pending.strip() or pending[-1].isspace():
        return True
    tail = pending.rstrip()
    return bool(_BLOCK_TAG.fullmatch(tail, max(tail.rfind("<"), 0)))


def _separated_after(body: str, end: int) -> bool:
    rest = body[end:]
    return not rest.strip() or rest[0].isspace() or bool(_BLOCK_TAG.match(rest))


def _skip_jinja(body: str, start: int) -> int:
    """Past the Jinja tag at `start` and, for one that opens a block, past its end tag."""
    tag = _JINJA_TAG.match(body, start)
    if tag is None:
        return start + 2
    name = tag[1]
    opens = name in _OPENING or (name == "set" and "=" not in tag[2])
    if not opens:
        return tag.end()
    depth = 0
    for inner in _JINJA_TAG.finditer(body, start):
        if inner[1] in _OPENING or (inner[1] == "set" and "=" not in inner[2]):
            depth += 1
        elif inner[1].startswith("end"):
            depth -= 1
            if depth == 0:
                return inner.end()
    return len(body)


def _construct(body: str, start: int) -> tuple[list[dict], int] | None:
    """The blocks of the construct at `start` and where it ends, or None."""
    if body.startswith("{%", start):
        return _condition(body, start)
    for kind, pattern in _SIMPLE.items():
        found = pattern.match(body, start)
        if found:
            try:
                made = _READERS[kind](found)
            except _NotConvertible:
                return None
            if validate(normalised(made)):
                return None  # what it reads must be valid blocks as they are, else HTML
            return made, found.end()
    return None


def _inline(text: str) -> str:
    if _inline_problems(text):
        raise _NotConvertible
    return text


def _plain(text: str) -> str:
    """The text of escaped HTML, as long as writing it again reads the same."""
    plain = html.unescape(text)
    if _placeholder_problems(text) or _PLACEHOLDER.findall(plain) != _PLACEHOLDER.findall(text):
        raise _NotConvertible
    return plain


def _url(text: str) -> str:
    url = html.unescape(text)
    if not _good_url(url):
        raise _NotConvertible
    return url


def _columns_read(found: re.Match) -> list[dict]:
    return [{"type": "columns", "left": _convert(found[1]), "right": _convert(found[2])}]


_READERS = {
    "p": lambda found: [{"type": "paragraph", "html": _inline(found[1])}],
    "h": lambda found: [{"type": "heading", "text": _plain(found[2]), "level": int(found[1])}],
    "list": lambda found: [
        {
            "type": "list",
            "items": [_inline(item) for item in _ITEM.findall(found[2])],
            "ordered": found[1] == "ol",
        }
    ],
    "button": lambda found: [{"type": "button", "text": _plain(found[2]), "url": _url(found[1])}],
    "image": lambda found: [
        {
            "type": "image",
            "image": int(found[1]),
            "alt": _plain(found[2]),
            "link": _url(found[3]) if found[3] else "",
        }
    ],
    "tips": lambda found: [{"type": "reading_tips"}],
    "divider": lambda found: [{"type": "divider"}],
    "footer": lambda found: [{"type": "footer", "html": _inline(found[1])}],
    "columns": _columns_read,
}


def _condition(body: str, start: int) -> tuple[list[dict], int] | None:
    """`{% if [not] X %}…[{% else %}…]{% endif %}` around whole blocks: each block inside
    shown under the condition (the else part's under its opposite)."""
    opening = _IF.match(body, start)
    if opening is None:
        return None
    condition = f"{opening[1] or ''}{opening[2]}"
    depth, otherwise, end = 0, None, None
    for tag in _JINJA_TAG.finditer(body, start):
        if tag[1] in _OPENING or (tag[1] == "set" and "=" not in tag[2]):
            depth += 1
        elif tag[1].startswith("end"):
            depth -= 1
            if depth == 0:
                if tag[0] != "{% endif %}":
                    return None
                end = tag
                break
        elif depth == 1 and tag[1] in ("else", "elif"):
            if tag[0] != "{% else %}" or otherwise is not None:
                return None
            otherwise = tag
    if end is None:
        return None
    then_part = body[opening.end() : (otherwise or end).start()]
    else_part = body[otherwise.end() : end.start()] if otherwise else ""
    blocks = []
    for part, shown_if in ((then_part, condition), (else_part, _opposite(condition))):
        if not part.strip():
            continue
        if not (_separated_after(part, 0) and _separated_before(part)):
            return None
        inner = _convert(part)
        if any(block.get("show_if") for block in inner):
            return None
        blocks += [dict(block, show_if=shown_if) for block in inner]
    return blocks, end.end()


def _opposite(condition: str) -> str:
    return condition[4:] if condition.startswith("not ") else f"not {condition}"
