"""A variant's content is stored once, as blocks: each body (and its reading tips switch) is
converted into blocks that render the same mail (what cannot be read as blocks stays an HTML
block); going back writes the body from the blocks.

The conversion is this migration's own copy of templating/blocks.py's from_html and
to_template as they were when it was written, so that later changes to the blocks cannot
change what it writes. A body stored before blocks holds no <pf-…> elements (they came with
the blocks), so the copy reads paragraphs, headings, lists and conditions around them."""

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.db import migrations, models

_PLACEHOLDERS = (
    "first_name", "library_name", "profile_url", "privacy_url", "survey_url", "unsubscribe_url",
)  # fmt: skip
_URL_PLACEHOLDERS = ("profile_url", "privacy_url", "survey_url", "unsubscribe_url")
_INLINE_TAGS = ("strong", "em", "b", "i", "u", "a", "br", "span")
_MAX_BLOCKS = 200
_MAX_ITEMS = 50
_MAX_TEXT = 300
_MAX_INLINE = 5_000

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
_STATEMENT = re.compile(r"\{%|\{#")
_IF = re.compile(r"\{% if (not )?(has_online_profile|has_reading_tips) %\}")
_JINJA_TAG = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.S)
_OPENING = {"if", "for", "macro", "call", "filter", "with", "block", "raw", "autoescape"}
_BLOCK_TAG = re.compile(
    r"\{% if |</?(?:p|h[1-6]|ul|ol|li|div|table|blockquote|hr|pf-[a-z]+)\b[^>]*>", re.I
)
_BLOCK_START = re.compile(
    r"<(?:p|h2|h3|ul|ol)[\s>]|\{% if (?:not )?(?:has_online_profile|has_reading_tips) %\}"
)
_SIMPLE = {
    "p": re.compile(r"<p>(.*?)</p>", re.S),
    "h": re.compile(r"<h([23])>([^<]*?)</h\1>", re.S),
    "list": re.compile(r"<(ul|ol)>((?:\s*<li>.*?</li>)*)\s*</\1>", re.S),
}
_ITEM = re.compile(r"<li>(.*?)</li>", re.S)
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*?(/?)>")
_VOID = {"br", "hr", "img", "wbr", "input", "meta", "link", "source", "col", "area", "base"}
_FIELDS = {  # every field of a block type with its default, as the blocks were stored
    "paragraph": {"html": ""},
    "heading": {"text": "", "level": 2},
    "list": {"items": [], "ordered": False},
    "html": {"html": ""},
    "reading_tips": {},
}


class _NotConvertible(Exception):
    """A part that must stay as it is: an HTML block."""


def _normalised(blocks):
    return [
        {
            "type": block["type"],
            **_FIELDS[block["type"]],
            **block,
            "show_if": block.get("show_if") or "",
        }
        for block in blocks
    ]


def _from_html(body):
    blocks = _normalised(_convert(body))
    if len(blocks) > _MAX_BLOCKS:
        return _normalised([{"type": "html", "html": body.strip()}] if body.strip() else [])
    return blocks


def _convert(body):
    blocks = []
    pending = ""
    depth = 0  # elements left open in the pending HTML: no block starts inside one
    position = 0

    def keep(text):
        nonlocal pending, depth
        pending += text
        depth += _opened(text)

    def flush():
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


def _opened(text):
    count = 0
    for tag in _TAG.finditer(text):
        if tag[2].lower() in _VOID or tag[3]:
            continue
        count += -1 if tag[1] else 1
    return count


def _separated_before(pending):
    if not pending.strip() or pending[-1].isspace():
        return True
    tail = pending.rstrip()
    return bool(_BLOCK_TAG.fullmatch(tail, max(tail.rfind("<"), 0)))


def _separated_after(body, end):
    rest = body[end:]
    return not rest.strip() or rest[0].isspace() or bool(_BLOCK_TAG.match(rest))


def _opens(tag):
    return tag[1] in _OPENING or (tag[1] == "set" and "=" not in tag[2])


def _skip_jinja(body, start):
    tag = _JINJA_TAG.match(body, start)
    if tag is None:
        return start + 2
    if not _opens(tag):
        return tag.end()
    depth = 0
    for inner in _JINJA_TAG.finditer(body, start):
        if _opens(inner):
            depth += 1
        elif inner[1].startswith("end"):
            depth -= 1
            if depth == 0:
                return inner.end()
    return len(body)


def _construct(body, start):
    if body.startswith("{%", start):
        return _condition(body, start)
    for kind, pattern in _SIMPLE.items():
        found = pattern.match(body, start)
        if found:
            try:
                made = _READERS[kind](found)
            except _NotConvertible:
                return None
            return made, found.end()
    return None


def _paragraph(found):
    text = found[1]
    if not _inline_ok(text, required=True):
        raise _NotConvertible
    return [{"type": "paragraph", "html": text}]


def _heading(found):
    written = found[2]
    plain = html.unescape(written)
    if not _placeholders_ok(written) or _PLACEHOLDER.findall(plain) != _PLACEHOLDER.findall(
        written
    ):
        raise _NotConvertible
    if not plain.strip() or len(plain) > _MAX_TEXT or not _placeholders_ok(plain):
        raise _NotConvertible
    return [{"type": "heading", "text": plain, "level": int(found[1])}]


def _list(found):
    items = _ITEM.findall(found[2])
    if not items or len(items) > _MAX_ITEMS:
        raise _NotConvertible
    if not all(_inline_ok(item, required=True) for item in items):
        raise _NotConvertible
    return [{"type": "list", "items": items, "ordered": found[1] == "ol"}]


_READERS = {"p": _paragraph, "h": _heading, "list": _list}


def _placeholders_ok(text):
    if _STATEMENT.search(text):
        return False
    for expression in _EXPRESSION.findall(text):
        found = _PLACEHOLDER.fullmatch(expression)
        if not found or found[1] not in _PLACEHOLDERS:
            return False
    return True


def _good_url(url):
    placeholder = _PLACEHOLDER.fullmatch(url.strip())
    if placeholder:
        return placeholder[1] in _URL_PLACEHOLDERS
    if any(character.isspace() or character in '"<>{}' for character in url):
        return False
    parts = urlsplit(url)
    return (parts.scheme == "https" and bool(parts.netloc)) or (
        parts.scheme == "mailto" and bool(parts.path)
    )


class _InlineCheck(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ok = True

    def handle_starttag(self, tag, attrs):
        if tag not in _INLINE_TAGS:
            self.ok = False
            return
        for name, value in attrs:
            if tag == "a" and name == "href":
                self.ok = self.ok and _good_url(value or "")
            elif not (tag == "a" and name == "title"):
                self.ok = False

    handle_startendtag = handle_starttag


def _inline_ok(text, *, required):
    if required and not text.strip():
        return False
    if len(text) > _MAX_INLINE or not _placeholders_ok(text):
        return False
    check = _InlineCheck()
    check.feed(text)
    check.close()
    return check.ok


def _condition(body, start):
    opening = _IF.match(body, start)
    if opening is None:
        return None
    condition = f"{opening[1] or ''}{opening[2]}"
    depth, otherwise, end = 0, None, None
    for tag in _JINJA_TAG.finditer(body, start):
        if _opens(tag):
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
    opposite = condition[4:] if condition.startswith("not ") else f"not {condition}"
    blocks = []
    for part, shown_if in ((then_part, condition), (else_part, opposite)):
        if not part.strip():
            continue
        if not (_separated_after(part, 0) and _separated_before(part)):
            return None
        inner = _convert(part)
        if any(block.get("show_if") for block in inner):
            return None
        blocks += [dict(block, show_if=shown_if) for block in inner]
    return blocks, end.end()


def _to_template(blocks):
    return "\n".join(_block_template(block) for block in blocks)


def _block_template(block):
    text = _BUILDERS[block["type"]](block)
    condition = block.get("show_if") or ""
    if condition and block["type"] == "html":
        return f"{{% if {condition} %}}\n{text}\n{{% endif %}}"
    return f"{{% if {condition} %}}{text}{{% endif %}}" if condition else text


def _text_html(text, *, attribute=False):
    parts = []
    start = 0
    for found in _PLACEHOLDER.finditer(text):
        if found[1] in _PLACEHOLDERS:
            parts += [_escaped(text[start : found.start()], attribute), found[0]]
            start = found.end()
    return "".join([*parts, _escaped(text[start:], attribute)])


def _escaped(text, attribute):
    return html.escape(text, quote=attribute).replace("{", "&#123;")


def _heading_template(block):
    level = block.get("level") or 2
    return f"<h{level}>{_text_html(block['text'])}</h{level}>"


def _list_template(block):
    tag = "ol" if block.get("ordered") else "ul"
    items = "".join(f"\n<li>{item}</li>" for item in block["items"])
    return f"<{tag}>{items}\n</{tag}>"


def _button_template(block):
    url = _text_html(block["url"], attribute=True)
    return f'<pf-button href="{url}">{_text_html(block["text"])}</pf-button>'


def _image_template(block):
    link = block.get("link") or ""
    href = f' href="{_text_html(link, attribute=True)}"' if link else ""
    alt = _text_html(block["alt"], attribute=True)
    return f'<pf-image image="{int(block["image"])}" alt="{alt}"{href}></pf-image>'


def _columns_template(block):
    left = _to_template(block.get("left") or [])
    right = _to_template(block.get("right") or [])
    return (
        f"<pf-columns><pf-column>\n{left}\n</pf-column>"
        f"<pf-column>\n{right}\n</pf-column></pf-columns>"
    )


_BUILDERS = {
    "heading": _heading_template,
    "paragraph": lambda block: f"<p>{block['html']}</p>",
    "list": _list_template,
    "button": _button_template,
    "image": _image_template,
    "reading_tips": lambda block: "<pf-tips></pf-tips>",
    "divider": lambda block: "<pf-divider></pf-divider>",
    "columns": _columns_template,
    "footer": lambda block: f"<pf-footer>{block['html']}</pf-footer>",
    "html": lambda block: block["html"],
}


def to_blocks(apps, schema_editor):
    Variant = apps.get_model("journeys", "Variant")
    for variant in Variant.objects.all().only("pk", "body", "with_reading_tips").iterator():
        blocks = _from_html(variant.body)
        if variant.with_reading_tips:
            blocks += _normalised([{"type": "reading_tips"}])
        Variant.objects.filter(pk=variant.pk).update(blocks=blocks)


def to_body(apps, schema_editor):
    Variant = apps.get_model("journeys", "Variant")
    for variant in Variant.objects.all().only("pk", "blocks").iterator():
        blocks = variant.blocks or []
        Variant.objects.filter(pk=variant.pk).update(
            body=_to_template([block for block in blocks if block.get("type") != "reading_tips"]),
            with_reading_tips=any(block.get("type") == "reading_tips" for block in blocks),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0006_approvals_and_templates"),
    ]

    operations = [
        migrations.AddField(
            model_name="variant",
            name="blocks",
            field=models.JSONField(
                default=list, help_text="The mail's content as blocks (templating/blocks.py)."
            ),
        ),
        migrations.RunPython(to_blocks, to_body),
        migrations.RemoveField(model_name="variant", name="body"),
        migrations.RemoveField(model_name="variant", name="with_reading_tips"),
    ]
