"""Render a mail once per batch and kind of member, then fill in each member.

Rendering a mail in full (sandboxed Jinja2, nh3, css-inline, inscriptis) costs several
milliseconds: most of the time of sending one. Within a batch most mails differ only in the
member's first name and the message's signed tokens, so a *skeleton* is rendered once per
(subject, preheader, body, library, reading tips, every other variable the templates read)
with placeholders in those places, and each member's mail is the skeleton with the
placeholders replaced: HTML-escaped in the HTML part, as they are in the text part.

Substitution must give exactly what render_mail gives, so a skeleton is only used when that
is certain; otherwise the member's mail is rendered in full:

- a placeholder variable must only be written out as it is (`{{ first_name }}`): any other
  use (a filter, a test, a comparison) puts its value in the key instead, which for a
  first name means rendering per member;
- placeholders may only stand in text, never inside a tag (an attribute or a link could
  treat a member's value differently from the placeholder), and never in a recorded link;
- a first name must survive whitespace folding and HTML parsing unchanged: printable, no
  leading, trailing or doubled spaces, no `&` (else that member's mail is rendered in full);
- every new skeleton is checked once against a full rendering for a probe member whose name
  holds `<>"'` and non-ASCII letters; a skeleton that does not reproduce it is not used.

A template that runs out of render time (templating/sandbox.py) building a skeleton would run out
of it for every member with that key (what differs between them is only written out), so
each of their mails fails with that problem at once instead of after the time limit each.

`settings.MAIL_SKELETONS = False` turns the whole route off.
"""

import copy
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache

import jinja2
from django.conf import settings
from jinja2 import meta, nodes

from patronflow.mail import mime
from patronflow.mail.mime import QuotedPrintableSkeleton
from patronflow.mail.rendering import (
    MessageUrls,
    RenderedMail,
    message_urls,
    render_mail,
    render_with_context,
    staff_context,
)
from patronflow.members.models import Library, Member
from patronflow.profiles.tips import ReadingTip
from patronflow.templating.sandbox import RenderBudgetExceeded
from patronflow.templating.staff_text import (
    NO_EVENT,
    EventValues,
    environment,
    render_staff_text,
)

# Staff variables whose value is put in per message by substitution, when used plainly.
SUBSTITUTED = ("first_name", "unsubscribe_url", "preferences_url")
_MARK = "pfslot"
_NAME_SLOT = f"{_MARK}firstnamex"
# Our own addresses (base URL, path, signed token) need no escaping anywhere in HTML.
_PLAIN_URL = re.compile(r"[A-Za-z0-9:/._~%+-]+")
PROBE_NAME = 'Zoë <> "O\'Brien" Ærø'
PROBE_MESSAGE_ID = 918_273_645


def enabled() -> bool:
    return settings.MAIL_SKELETONS


def escape_text(value: str) -> str:
    """How nh3 and css-inline (html5ever) write a text node: only &, < and > escaped."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def substitutable_name(value: str) -> bool:
    """A value that whitespace folding (subject, inscriptis) and HTML parsing leave as it is.
    (isprintable rules out control characters, no-break and other unusual spaces.) No '&':
    inscriptis unescapes each text node once more, so `&amp;` in a name reads `&` in the
    text part, and how depends on the text around it."""
    return (
        bool(value)
        and value.isprintable()
        and value == value.strip()
        and "  " not in value
        and "&" not in value
    )


def _plain_uses(source: str, names: tuple[str, ...]) -> set[str]:
    """Those of `names` that the template only ever writes out unchanged ({{ name }})."""
    tree = environment(True).parse(source)
    plain = set(names)

    def walk(node: nodes.Node, parent: nodes.Node | None) -> None:
        plain_output = isinstance(parent, nodes.Output)
        if isinstance(node, nodes.Name) and node.name in plain and not plain_output:
            plain.discard(node.name)
        for child in node.iter_child_nodes():
            walk(child, node)

    walk(tree, None)
    return plain


@dataclass
class _Template:
    """What the staff texts read, worked out once per (subject, preheader, body)."""

    read: frozenset[str]
    substituted: frozenset[str]


@dataclass
class Skeleton:
    """A mail rendered with placeholders: each part split into literal text (even indexes)
    and placeholder names (odd indexes)."""

    subject: list[str]
    html: list[str]
    text: list[str]
    links: list[str]
    _encoded: tuple[QuotedPrintableSkeleton, QuotedPrintableSkeleton] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def fill(self, values: dict[str, str], html_values: dict[str, str]) -> tuple[str, str, str]:
        def join(parts: list[str], found: dict[str, str]) -> str:
            return "".join(found[part] if i % 2 else part for i, part in enumerate(parts))

        return join(self.subject, values), join(self.html, html_values), join(self.text, values)

    def mime_body(self, values: dict[str, str], html_values: dict[str, str]) -> bytes:
        """The filled parts as a MIME body, their literal text quoted-printable once."""
        if self._encoded is None:
            self._encoded = (QuotedPrintableSkeleton(self.text), QuotedPrintableSkeleton(self.html))
        text, html = self._encoded
        return mime.encoded_body(text.fill(values), html.fill(html_values))


class SkeletonRenderer:
    """One per batch: skeletons are cached only for the batch, so an edited variant or
    library is picked up by the next batch."""

    def __init__(self) -> None:
        self._skeletons: dict[Hashable, Skeleton | RenderBudgetExceeded | None] = {}
        self.fast = 0
        self.slow = 0

    def render(
        self,
        *,
        message_id: int,
        member: Member,
        library: Library,
        subject: str,
        preheader: str,
        body: str,
        reading_tips: list[ReadingTip],
        language: str = settings.LANGUAGE_CODE,
        event: EventValues | None = None,
    ) -> RenderedMail:
        """The same RenderedMail as render_mail, from a skeleton when that is safe. A mail
        of an event journey whose texts read the event is rendered in full: the event is
        its own (EventValues cannot be part of a skeleton's key)."""
        arguments = {
            "member": member,
            "library": library,
            "subject": subject,
            "preheader": preheader,
            "body": body,
            "reading_tips": reading_tips,
            "language": language,
        }
        urls = message_urls(message_id)
        context = staff_context(
            member,
            library,
            urls.unsubscribe,
            reading_tips,
            preferences_url=urls.preferences,
            event=event or NO_EVENT,
        )
        skeleton = self._skeleton(context, arguments) if enabled() else None
        if isinstance(skeleton, RenderBudgetExceeded):
            raise skeleton.at()
        if skeleton is not None:
            mail = _filled(skeleton, message_id, context, urls, library)
            if mail is not None:
                self.fast += 1
                return mail
        self.slow += 1
        return render_mail(message_id=message_id, event=event or NO_EVENT, **arguments)

    def _skeleton(self, context: dict, arguments: dict) -> Skeleton | RenderBudgetExceeded | None:
        library: Library = arguments["library"]
        template = _analyse((arguments["subject"], arguments["preheader"], arguments["body"]))
        if template is None:
            return None
        try:
            varying = tuple(
                (name, context[name])
                for name in sorted(template.read - template.substituted)
                if name in context
            )
            key = (
                arguments["subject"],
                arguments["preheader"],
                arguments["body"],
                library.pk,
                tuple(arguments["reading_tips"]),
                arguments["language"],
                varying,
            )
            hash(key)
        except TypeError:
            return None
        if key not in self._skeletons:
            try:
                self._skeletons[key] = _build(template, context, arguments)
            except RenderBudgetExceeded as problem:
                self._skeletons[key] = problem
        return self._skeletons[key]


@lru_cache(maxsize=256)
def _analyse(sources: tuple[str, str, str]) -> _Template | None:
    """Which variables the texts read, and which of those may be substituted; None when a
    text does not even parse (the full rendering then reports the problem). It depends on
    the texts alone, so it is kept across batches: parsing them was a batch's largest cost."""
    if any(_MARK in source.lower() for source in sources):
        return None
    try:
        read: set[str] = set()
        substituted = set(SUBSTITUTED)
        for source in sources:
            read |= meta.find_undeclared_variables(environment(True).parse(source))
            substituted &= _plain_uses(source, SUBSTITUTED)
    except jinja2.TemplateSyntaxError:
        return None
    if (read - substituted) & set(SUBSTITUTED):
        # A first name or a message's address in the key would mean a skeleton per member.
        return None
    return _Template(read=frozenset(read), substituted=frozenset(substituted & read))


def _slot_url(name: str) -> str:
    return f"{settings.BASE_URL}/{_MARK}{name}x"


def _pattern() -> re.Pattern:
    """Placeholders as they appear in a rendering: our addresses, and the bare name."""
    return re.compile(rf"{re.escape(settings.BASE_URL)}/{_MARK}([a-z0-9]+)x|{_NAME_SLOT}")


def _build(template: _Template, context: dict, arguments: dict) -> Skeleton | None:
    """Render with placeholders, split the parts at them, and check the result against a
    full rendering for the probe member; None when anything is off. Raises
    RenderBudgetExceeded when the texts ran out of time."""
    library: Library = arguments["library"]
    placeholders = {
        "unsubscribe": _slot_url("unsubscribe"),
        "preferences": _slot_url("preferences"),
        "feedbackup": _slot_url("feedbackup"),
        "feedbackdown": _slot_url("feedbackdown"),
        "openpixel": _slot_url("openpixel"),
    }
    urls = MessageUrls(
        unsubscribe=placeholders["unsubscribe"],
        preferences=placeholders["preferences"],
        feedback_up=placeholders["feedbackup"],
        feedback_down=placeholders["feedbackdown"],
        open_pixel=placeholders["openpixel"],
        click=lambda index: _slot_url(f"click{index}"),
    )
    context = dict(context, unsubscribe_url=urls.unsubscribe, preferences_url=urls.preferences)
    if "first_name" in template.substituted:
        context["first_name"] = _NAME_SLOT
    try:
        if _name_unsafe_in(render_staff_text(arguments["body"], context, html=True, field="body")):
            return None
        mail = render_with_context(
            message_id=0,
            context=context,
            urls=urls,
            library=library,
            subject=arguments["subject"],
            preheader=arguments["preheader"],
            body=arguments["body"],
            reading_tips=arguments["reading_tips"],
            language=arguments["language"],
        )
    except RenderBudgetExceeded as problem:
        if problem.limit == "time":
            raise
        return None
    except Exception:  # the full rendering raises it again, per member
        return None
    if any(_MARK in link for link in mail.links):
        return None
    pattern = _pattern()
    if _name_unsafe_in(mail.html):
        return None
    skeleton = Skeleton(
        subject=_split(mail.subject, pattern),
        html=_split(mail.html, pattern),
        text=_split(mail.text, pattern),
        links=mail.links,
    )
    known = set(placeholders) | {f"click{i}" for i in range(len(mail.links))} | {"firstname"}
    if any(set(part[1::2]) - known for part in (skeleton.subject, skeleton.html, skeleton.text)):
        return None
    return skeleton if _reproduces(skeleton, template, arguments) else None


def _split(text: str, pattern: re.Pattern) -> list[str]:
    """Literal text and placeholder names, alternating."""
    parts: list[str] = []
    start = 0
    for found in pattern.finditer(text):
        parts += [text[start : found.start()], found.group(1) or "firstname"]
        start = found.end()
    return [*parts, text[start:]]


# A character reference left open just before the name, in the HTML (`&`) or in the text
# inscriptis unescapes again (`&amp;`): the name's first characters could complete it.
_ENTITY_START = re.compile(r"&(amp;)?#?[A-Za-z0-9]*$")


def _name_unsafe_in(html: str) -> bool:
    """Whether the name placeholder stands where a real name could be read otherwise than
    as text: inside a tag (an attribute, a link), or right after an unfinished character
    reference (`&{{ first_name }}` with the name `amp;`)."""
    start = 0
    while (at := html.find(_NAME_SLOT, start)) >= 0:
        if html.rfind("<", 0, at) > html.rfind(">", 0, at):
            return True
        if _ENTITY_START.search(html, max(0, at - 40), at):
            return True
        start = at + len(_NAME_SLOT)
    return False


def _values(first_name: str, urls: MessageUrls, links: int) -> dict[str, str] | None:
    values = {
        "unsubscribe": urls.unsubscribe,
        "preferences": urls.preferences,
        "feedbackup": urls.feedback_up,
        "feedbackdown": urls.feedback_down,
        "openpixel": urls.open_pixel,
    } | {f"click{i}": urls.click(i) for i in range(links)}
    if not all(_PLAIN_URL.fullmatch(value) for value in values.values()):
        return None
    values["firstname"] = first_name
    return values


def _filled(
    skeleton: Skeleton, message_id: int, context: dict, urls: MessageUrls, library: Library
) -> RenderedMail | None:
    """This member's mail from the skeleton, or None when the name cannot be substituted."""
    first_name = context["first_name"]
    uses_name = "firstname" in skeleton.html[1::2] or "firstname" in skeleton.subject[1::2]
    if uses_name and not substitutable_name(first_name):
        return None
    values = _values(first_name, urls, len(skeleton.links))
    if values is None:
        return None
    html_values = dict(values, firstname=escape_text(first_name))
    subject, html, text = skeleton.fill(values, html_values)
    return RenderedMail(
        subject=subject,
        html=html,
        text=text,
        unsubscribe_url=urls.unsubscribe,
        links=list(skeleton.links),
        mime_body=skeleton.mime_body(values, html_values),
    )


def _reproduces(skeleton: Skeleton, template: _Template, arguments: dict) -> bool:
    """The skeleton filled for the probe member equals the probe member's full rendering."""
    probe: Member = copy.copy(arguments["member"])
    if "first_name" in template.substituted:
        probe.first_name = PROBE_NAME
    library: Library = arguments["library"]
    urls = message_urls(PROBE_MESSAGE_ID)
    context = staff_context(
        probe,
        library,
        urls.unsubscribe,
        arguments["reading_tips"],
        preferences_url=urls.preferences,
    )
    filled = _filled(skeleton, PROBE_MESSAGE_ID, context, urls, library)
    try:
        full = render_mail(message_id=PROBE_MESSAGE_ID, **(arguments | {"member": probe}))
    except Exception:  # then no skeleton; the real rendering reports it
        return False
    return filled == full
