"""Turn a message into the mail a member receives: staff text, base layout, tracked links.

Staff-written subject and body run in Jinja2's sandbox with a small documented set of
variables; the body's HTML is sanitised with nh3; the layout is ours. Every web link the mail
contains is recorded on the message and replaced by a signed click link, so the click redirect
can only ever lead to a destination that was in the mail.
"""

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

import css_inline
import jinja2
import nh3
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from inscriptis import get_text
from inscriptis.model.config import ParserConfig
from markupsafe import Markup

from patronflow.journeys.events import library_zone, moment
from patronflow.mail.brand import brand_for
from patronflow.mail.images import ImageRef, urls_for
from patronflow.mail.tokens import make_token
from patronflow.members.models import Library, Member, MemberEvent
from patronflow.profiles.tips import ReadingTip, catalogue_link
from patronflow.surveys.queries import survey_address
from patronflow.templating.sandbox import TemplateProblem, render_budget
from patronflow.templating.staff_text import (
    NO_EVENT,
    SAMPLE_MEMBERS,
    SAMPLE_VALUES,
    EventValues,
    render_staff_text,
)

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "a", "ul", "ol", "li", "h2", "h3",
                "blockquote", "span"}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# The structure a mail's blocks bring (templating/blocks.py to_template): let through the
# sanitiser with these attributes only, then laid out by the layout itself (_layout_parts).
STRUCTURE_TAGS = {"pf-button", "pf-image", "pf-tips", "pf-divider", "pf-columns", "pf-column",
                  "pf-footer"}  # fmt: skip
STRUCTURE_ATTRIBUTES = {"pf-button": {"href"}, "pf-image": {"image", "alt", "href"}}
# Where a Library object keeps the survey link its mails carry (survey_link).
_SURVEY_KEPT = "_patronflow_survey_link"
# Whose href is a link: checked, and tracked, alike.
LINKING_TAGS = {"a", "pf-button", "pf-image"}
# The width the layout gives an image: the card's 600px less its padding; in a column, half
# of that less the gap between the columns.
CONTENT_WIDTH = 544
COLUMN_WIDTH = 248


@dataclass
class RenderedMail:
    subject: str
    html: str
    text: str
    unsubscribe_url: str
    links: list[str] = field(default_factory=list)
    # The MIME body of text and html, when a skeleton had it encoded already (the same
    # bytes once decoded as mime.body(text, html); not part of a comparison).
    mime_body: bytes | None = field(default=None, compare=False, repr=False)


# Signed tokens (base 62 and URL-safe base 64, ':' between) and votes: characters that
# reverse() neither quotes nor rejects in a <str:…> segment.
_PLAIN_ARGUMENT = re.compile(r"[A-Za-z0-9:_.-]+")


@lru_cache(maxsize=64)
def _url_around(
    view: str, count: int, base_url: str, urlconf: str | None, prefix: str
) -> tuple[str, ...]:
    """The text of a tracking URL around its arguments, from one reverse() with markers
    (the base URL is part of the key: a process may serve more than one, e.g. the demo)."""
    marks = [f"pfargument{index}x" for index in range(count)]
    url = base_url + reverse(f"tracking:{view}", args=marks, urlconf=urlconf)
    parts = []
    for mark in marks:
        before, found, url = url.partition(mark)
        if not found or mark in url:
            return ()
        parts.append(before)
    return (*parts, url)


def current_routes() -> tuple[str | None, str]:
    """The URLconf and script prefix reverse() would use now (thread-local settings, so
    looked up once per mail rather than once per link)."""
    return get_urlconf(), get_script_prefix()


def tracking_url(view: str, *args: str, routes: tuple[str | None, str] | None = None) -> str:
    """settings.BASE_URL + reverse(…), without reverse()'s cost (several per mail) for the
    plain arguments tokens are made of: the same text, by tests/mail/test_fast_render.py.
    `routes`: current_routes(), when the caller already has them."""
    if all(_PLAIN_ARGUMENT.fullmatch(argument) for argument in args):
        around = _url_around(view, len(args), settings.BASE_URL, *(routes or current_routes()))
        if around:
            pairs = zip(around[:-1], args, strict=True)
            return "".join(part for pair in pairs for part in pair) + around[-1]
    return settings.BASE_URL + reverse(f"tracking:{view}", args=args)


class LinkTracker:
    """Records each destination once and hands out the click link that stands for it — or,
    for a library that turned click tracking off, the destination itself."""

    def __init__(
        self, untracked: set[str], click_url: Callable[[int], str], *, track: bool = True
    ) -> None:
        self.untracked = untracked
        self.track = track
        self.links: list[str] = []
        # The message's click links (message_urls), or the skeleton renderer's placeholders.
        self.click_url = click_url

    def __call__(self, url: str) -> str:
        if url in self.untracked or not url.startswith(("https://", "http://")):
            return url
        if url not in self.links:
            self.links.append(url)
        if not self.track:
            return url
        return self.click_url(self.links.index(url))


@cache
def _layout_environment() -> jinja2.Environment:
    """The layout's own words are Dutch, translated through Django's catalogues
    (patronflow/mail/locale) into the language of the journey version."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("patronflow.mail", "templates/mail"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    return environment


def sanitise(html: str, rewrite_link=None) -> str:
    schemes = {"https", "mailto", urlsplit(settings.BASE_URL).scheme}

    def filter_attribute(element: str, attribute: str, value: str) -> str | None:
        if element == "pf-image" and attribute == "image":
            return value if value.isdigit() else None
        if element in LINKING_TAGS and attribute == "href":
            # nh3 passes relative addresses through (also //host/…, a link to any site):
            # only absolute https and mailto addresses, and the instance's own, stay links.
            own = value.startswith(settings.BASE_URL + "/")
            if urlsplit(value).scheme not in ("https", "mailto") and not own:
                return None
            if rewrite_link is not None:
                return rewrite_link(value)
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS | STRUCTURE_TAGS,
        attributes=ALLOWED_ATTRIBUTES | STRUCTURE_ATTRIBUTES,
        url_schemes=schemes,
        attribute_filter=filter_attribute,
        link_rel=None,
    )


_STRUCTURE = re.compile(r'<(/?)pf-([a-z]+)((?:\s+[a-z-]+="[^"]*")*)\s*>')
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


@dataclass
class _Node:
    """A structure element of the sanitised body, with what it holds: text (sanitised HTML,
    attribute values as nh3 escaped them) or other nodes."""

    kind: str
    attributes: dict[str, str] = field(default_factory=dict)
    children: list = field(default_factory=list)

    def html(self) -> Markup:
        return Markup("".join(child for child in self.children if isinstance(child, str)))


def _tree(html: str) -> _Node:
    """The sanitised body as nodes: nh3 writes every element it keeps closed and its
    attributes quoted, so the structure's tags can be read with a pattern."""
    root = _Node("body")
    open_nodes = [root]
    position = 0
    for tag in _STRUCTURE.finditer(html):
        if tag.start() > position:
            open_nodes[-1].children.append(html[position : tag.start()])
        position = tag.end()
        closing, kind = tag[1], tag[2]
        if not closing:
            node = _Node(kind, dict(_ATTRIBUTE.findall(tag[3])))
            open_nodes[-1].children.append(node)
            open_nodes.append(node)
        elif kind in (node.kind for node in open_nodes[1:]):
            while open_nodes.pop().kind != kind:
                pass
    if position < len(html):
        open_nodes[-1].children.append(html[position:])
    return root


def _image_ids(node: _Node) -> set[int]:
    found = {int(node.attributes["image"])} if node.attributes.get("image") else set()
    for child in node.children:
        if isinstance(child, _Node):
            found |= _image_ids(child)
    return found


def _items(node: _Node, images: dict[int, ImageRef], footer: list, *, width: int) -> list:
    """What the layout shows of a node's children, in order: HTML, buttons, images, dividers
    and columns. A button without its link (a library without that address) and an image
    that is not the library's are left out; footer text is collected into `footer`."""
    items: list[dict] = []
    for child in node.children:
        if isinstance(child, str):
            items.append({"kind": "html", "html": Markup(child)})
        elif child.kind == "button" and child.attributes.get("href"):
            href = Markup(child.attributes["href"])
            items.append({"kind": "button", "href": href, "text": child.html()})
        elif child.kind == "image" and int(child.attributes.get("image") or 0) in images:
            image = images[int(child.attributes["image"])]
            shown = min(image.width, width)
            items.append({
                "kind": "image",
                "url": image.url,
                "width": shown,
                "height": max(1, round(image.height * shown / image.width)),
                "alt": Markup(child.attributes.get("alt", "")),
                "href": Markup(child.attributes.get("href", "")),
            })  # fmt: skip
        elif child.kind == "divider":
            items.append({"kind": "divider"})
        elif child.kind == "columns" and width == CONTENT_WIDTH:
            sides = [side for side in child.children if isinstance(side, _Node)][:2]
            left, right = [_items(side, images, footer, width=COLUMN_WIDTH) for side in sides] + [
                [] for _missing in range(2 - len(sides))
            ]
            items.append({"kind": "columns", "left": left, "right": right})
        elif child.kind == "footer":
            footer.append(child.html())
        elif child.kind not in ("button", "image", "tips", "columns", "divider"):
            items += _items(child, images, footer, width=width)
    return items


@dataclass
class LayoutParts:
    """The body as the layout places it: content sections with the reading tips between
    them where the mail placed them (after the content when it did not say), and the
    footer text its blocks gave."""

    sections: list[dict]
    footer: list[Markup]

    @property
    def kinds(self) -> set[str]:
        """The kinds of item the sections hold, columns' included."""
        found: set[str] = set()
        pending = [item for section in self.sections for item in section.get("items", [])]
        while pending:
            item = pending.pop()
            found.add(item["kind"])
            pending += item.get("left", []) + item.get("right", [])
        return found


def layout_parts(body_html: str, library: Library, reading_tips: list) -> LayoutParts:
    root = _tree(body_html)
    ids = _image_ids(root)
    images = urls_for(library, ids) if ids else {}
    footer: list[Markup] = []
    sections: list[dict] = [{"kind": "content", "items": []}]
    placed = False
    for child in root.children:
        if isinstance(child, _Node) and child.kind == "tips":
            sections += [{"kind": "tips"}, {"kind": "content", "items": []}]
            placed = True
        else:
            single = _Node("body", children=[child])
            sections[-1]["items"] += _items(single, images, footer, width=CONTENT_WIDTH)
    if not placed:
        sections.append({"kind": "tips"})
    sections = [section for section in sections if _shows(section)]
    if not reading_tips:
        sections = [section for section in sections if section["kind"] != "tips"]
    return LayoutParts(sections=sections, footer=footer)


def _shows(section: dict) -> bool:
    if section["kind"] == "tips":
        return True
    return any(item["kind"] != "html" or item["html"].strip() for item in section["items"])


def survey_link(library: Library) -> str:
    """The survey the library's mails link to: its open built-in survey, else the external
    one it names (surveys/queries.py). Read once per Library object, as its brand is: a
    batch loads its libraries anew, so a survey opened or closed shows from the next one."""
    link = library.__dict__.get(_SURVEY_KEPT)
    if link is None:
        # A library not from the database (a sample for a preview) has only its own field.
        link = library.survey_url if library._state.adding else survey_address(library=library)
        library.__dict__[_SURVEY_KEPT] = link
    return link


def moment_in_words(value: dt.datetime | dt.date, language: str) -> str:
    """A moment as a member reads it in the mail's language: "zaterdag 12 december 2026 om
    14:00", "Saturday 12 December 2026 at 14:00"; a day alone without the time."""
    with translation.override(language):
        day = formats.date_format(value, "l j F Y")
        if not isinstance(value, dt.datetime):
            return day
        return _("%(day)s om %(time)s") % {"day": day, "time": value.strftime("%H:%M")}


def event_values(event: MemberEvent | None, library: Library, language: str) -> EventValues:
    """An event as its mails read it (templating EventValues): its type, when it happened and
    its properties, every ISO moment among them in words, on the library's clock; a value
    that is no moment (a placeholder like 0001-01-01 among them) as it was sent."""
    if event is None:
        return NO_EVENT
    zone = library_zone(library)
    values: dict[str, object] = {}
    for name, value in {**(event.properties or {}), "occurred_at": event.occurred_at}.items():
        found = moment(value, zone)
        values[name] = moment_in_words(found, language) if found is not None else value
    values["type"] = event.type
    return EventValues(values)


def sample_event(library: Library, language: str, today: dt.date | None = None) -> EventValues:
    """The event a preview or test mail shows: a story hour next Saturday at 14:00."""
    today = today or dt.date.today()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    zone = library_zone(library)
    sample = MemberEvent(
        type="activity.registered",
        occurred_at=dt.datetime.combine(today, dt.time(10, 15), zone),
        properties={
            "name": "Voorleesuurtje",
            "starts_at": dt.datetime.combine(saturday, dt.time(14), zone).isoformat(),
            "place": library.name,
            "link": (library.profile_url or settings.BASE_URL).rstrip("/"),
        },
    )
    return event_values(sample, library, language)


def staff_context(
    member: Member,
    library: Library,
    unsubscribe_url: str,
    reading_tips: list[ReadingTip],
    *,
    preferences_url: str = "",
    event: EventValues = NO_EVENT,
) -> dict:
    return {
        "first_name": member.first_name,
        "library_name": library.name,
        "has_online_profile": member.has_online_profile,
        "has_reading_tips": bool(reading_tips),
        "profile_url": library.profile_url,
        "privacy_url": library.privacy_url,
        "survey_url": survey_link(library),
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "event": event,
    }


@dataclass(frozen=True)
class Stripped:
    """What the sanitiser takes out of a staff body: tags (their text stays, but not a
    script's or style's), attributes as (tag, attribute), and the addresses of links
    (<a href>) it drops, which leaves their text without a link."""

    tags: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    links: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tags or self.attributes or self.links)


class _Inventory(HTMLParser):
    """The tags, attributes and links of some HTML, counted."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attributes: Counter[tuple[str, str]] = Counter()
        self.links: Counter[str] = Counter()
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            if tag == "a" and name == "href":
                self.links[value or ""] += 1
            else:
                self.attributes[(tag, name)] += 1

    handle_startendtag = handle_starttag


def stripped_from(body: str) -> Stripped:
    """What the sanitiser would take out of a staff body, comparing its HTML before and
    after, as rendered for each of SAMPLE_MEMBERS (a link or tag may show for some members
    only) within one render budget. A rendering that fails ends the search: its problem is
    reported by the rendering itself."""
    tags: set[str] = set()
    attributes: set[tuple[str, str]] = set()
    links: set[str] = set()
    with render_budget():
        for _description, values in SAMPLE_MEMBERS:
            try:
                html = render_staff_text(body, SAMPLE_VALUES | values, html=True)
            except TemplateProblem:
                break
            before, after = _Inventory(html), _Inventory(sanitise(html))
            tags |= {tag for tag, count in before.tags.items() if count > after.tags[tag]}
            attributes |= {
                pair for pair, count in before.attributes.items() if count > after.attributes[pair]
            }
            links |= {
                link for link, count in before.links.items() if link and count > after.links[link]
            }
    # An attribute of a tag that goes is not named apart: it goes with the tag.
    attributes = {(tag, name) for tag, name in attributes if tag not in tags}
    return Stripped(tuple(sorted(tags)), tuple(sorted(attributes)), tuple(sorted(links)))


def plain_text(html: str) -> str:
    """The text part: the same content and every link, without the layout's padding (nor
    the indentation of list items, which reads the same at the margin)."""
    lines = [line.strip() for line in get_text(html, ParserConfig(display_links=True)).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


_INDENTATION = re.compile(r"\n[ \t]+")


@dataclass(frozen=True)
class MessageUrls:
    """The addresses that differ per message: signed tokens for unsubscribe, the preference
    page, feedback, the open pixel and each click. The skeleton renderer passes placeholders
    of its own."""

    unsubscribe: str
    preferences: str
    feedback_up: str
    feedback_down: str
    open_pixel: str
    click: Callable[[int], str]


def message_urls(message_id: int) -> MessageUrls:
    """The message's addresses, and its click links (by the index of the destination)."""
    routes = current_routes()
    feedback_token = make_token("feedback", message_id)
    unsubscribe_token = make_token("unsubscribe", message_id)

    def click(index: int) -> str:
        return tracking_url("click", make_token("click", message_id, index), routes=routes)

    return MessageUrls(
        unsubscribe=tracking_url("unsubscribe", unsubscribe_token, routes=routes),
        preferences=tracking_url(
            "preferences", make_token("preferences", message_id), routes=routes
        ),
        feedback_up=tracking_url("feedback", feedback_token, "up", routes=routes),
        feedback_down=tracking_url("feedback", feedback_token, "down", routes=routes),
        open_pixel=tracking_url("open", make_token("open", message_id), routes=routes),
        click=click,
    )


def render_mail(
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
    """A message's mail; `event`: the event its journey started on. A preview (message 0)
    without one shows sample_event, so a mail about an activity reads as it will."""
    urls = message_urls(message_id)
    if event is None:
        event = sample_event(library, language) if message_id == 0 else NO_EVENT
    return render_with_context(
        message_id=message_id,
        context=staff_context(
            member,
            library,
            urls.unsubscribe,
            reading_tips,
            preferences_url=urls.preferences,
            event=event,
        ),
        urls=urls,
        library=library,
        subject=subject,
        preheader=preheader,
        body=body,
        reading_tips=reading_tips,
        language=language,
    )


def render_with_context(
    *,
    message_id: int,
    context: dict,
    urls: MessageUrls,
    library: Library,
    subject: str,
    preheader: str,
    body: str,
    reading_tips: list[ReadingTip],
    language: str = settings.LANGUAGE_CODE,
) -> RenderedMail:
    """The whole rendering for a given staff context and set of message addresses: what
    render_mail does per member, and what mail/skeletons.py does once with placeholders."""
    # The privacy statement, the unsubscribe page and the preference page are reached
    # directly: they work while the tracking server is down, and nobody's reading of them is
    # recorded.
    untracked = {urls.unsubscribe, urls.preferences, library.privacy_url} - {""}
    survey = survey_link(library)
    if survey and survey != library.survey_url:
        # The library's own survey is reached directly, never through a click link: a
        # member's click beside an answer kept by the day could single a respondent out.
        untracked.add(survey)
    tracker = LinkTracker(untracked, urls.click, track=library.track_clicks)
    with render_budget():  # one for the mail's three texts
        staff_subject = render_staff_text(subject, context, html=False, field="subject")
        staff_body = render_staff_text(body, context, html=True, field="body")
        staff_preheader = render_staff_text(preheader, context, html=False, field="preheader")
    rendered_subject = " ".join(staff_subject.split())
    body_html = sanitise(staff_body, rewrite_link=tracker)
    parts = layout_parts(body_html, library, reading_tips)
    tips = []
    for tip in reading_tips:
        link = catalogue_link(library.catalogue_url, tip)
        tips.append({"title": tip.title, "author": tip.author, "link": link and tracker(link)})
    with translation.override(language):
        html = (
            _layout_environment()
            .get_template("base.html")
            .render(
                language=language,
                subject=rendered_subject,
                preheader=staff_preheader,
                library=library,
                brand=brand_for(library),
                sections=parts.sections,
                footer=parts.footer,
                kinds=parts.kinds,
                reading_tips=tips,
                privacy_url=library.privacy_url,
                survey_url=tracker(survey) if survey else "",
                feedback_up_url=urls.feedback_up,
                feedback_down_url=urls.feedback_down,
                unsubscribe_url=urls.unsubscribe,
                preferences_url=urls.preferences,
                open_pixel_url=urls.open_pixel if library.track_opens else "",
            )
        )
    # The layout's indentation means nothing to a mail program; without it, most mails need
    # no whitespace folding when DKIM canonicalises the body (mail/dkim.py relaxed_body).
    html = _INDENTATION.sub("\n", html)
    html = css_inline.CSSInliner(keep_style_tags=True).inline(html)
    text = plain_text(html)
    return RenderedMail(
        subject=rendered_subject,
        html=html,
        text=text,
        unsubscribe_url=urls.unsubscribe,
        links=tracker.links,
    )
