"""The skeleton route (mail/skeletons.py) gives exactly what render_mail gives.

Every case renders the same members twice: in full with render_mail, and through one
SkeletonRenderer shared by the whole "batch" (so skeletons are reused across members). The
subject, HTML part, text part, links and unsubscribe address must be equal, byte for byte:
no normalisation is applied.
"""

import email
import email.policy
import os
from dataclasses import asdict
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from patronflow.journeys.definitions import STANDARD_JOURNEYS, read_definition, standard_definition
from patronflow.mail import mime, skeletons
from patronflow.mail.models import BrandKit
from patronflow.mail.rendering import RenderedMail, render_mail, tracking_url
from patronflow.mail.skeletons import SkeletonRenderer, substitutable_name
from patronflow.mail.tokens import make_token
from patronflow.members.models import Library, Member
from patronflow.profiles.tips import ReadingTip
from patronflow.templating.sandbox import TemplateProblem

ENGLISH = Path(__file__).parents[2] / "patronflow/journeys/standard/en"

TIPS = [
    ReadingTip("De avonden", "Gerard Reve"),
    ReadingTip("Tom & Jerry <deel 2>", ""),
    ReadingTip('"Wil"', "Jeroen O'lyslaegers"),
    ReadingTip("Ærø — een reis", "Zoë"),
]


def built_in_variants() -> list[tuple[str, str, str]]:
    definitions = [standard_definition(key) for key in STANDARD_JOURNEYS]
    definitions += [read_definition(ENGLISH / f"{key}.yaml") for key in STANDARD_JOURNEYS]
    return [
        (variant["subject"], variant["preheader"], variant["body"])
        for definition in definitions
        for step in definition["steps"]
        for variant in step["variants"]
    ]


BUILT_IN = built_in_variants()
# Staff texts that use member values in ways substitution must either reproduce or avoid.
TRICKY = [
    ("Hoi {{ first_name }}", "{{ first_name }}, lees dit", "<p>{{ first_name }}</p>"),
    ("{{ first_name|upper }}", "", "<p>Dag {{ first_name|title }}</p>"),
    ("Nieuws", "", '<p><a href="https://x.example/{{ first_name }}">link</a></p>'),
    ("Nieuws", "", '<p><a href="{{ first_name }}">link</a> <span title="{{ first_name }}">'),
    ("Nieuws", "", "<p>&{{ first_name }} &#{{ first_name }}</p>"),
    ("Nieuws", "", "<p>&amp;{{ first_name }} &amp;not{{ first_name }}</p>"),
    ("Nieuws", "", "<xmp>{{ first_name }}</xmp><p>{{ first_name }}</p>"),
    ("Nieuws", "", "<script>{{ first_name }}</script><style>{{ first_name }}</style>"),
    ("Nieuws", "", "<p>{% if first_name == 'Jan' %}Jan!{% endif %}</p>"),
    ("Nieuws", "", "<p>{% set n = first_name %}{{ n }}</p>"),
    ("Nieuws", "", "<p>Weg? {{ unsubscribe_url }} of <a href='{{ unsubscribe_url }}'>hier</a>"),
    ("Nieuws", "", "<p>Weg? {{ unsubscribe_url|upper }}</p>"),
    ("Nieuws {{ has_online_profile }}", "", "<p>{% if has_online_profile %}ja{% endif %}</p>"),
    ("Nieuws", "", "<p>{{ first_name }}<a href='{{ survey_url }}'>{{ library_name }}</a></p>"),
    ("Nieuws", "", "<ul><li>{{ first_name }}</li></ul><blockquote>{{ first_name }} "),
    ("Nieuws", "", "<p>pfslotfirstnamex {{ first_name }}</p>"),
    ("Nieuws {{ unknown }}", "", "<p>{{ first_name }}</p>"),
    ("Nieuws", "", "<p>{{ first_name.upper() }}</p>"),
    ("Nieuws", "", "<p>Minder? {{ preferences_url }} of <a href='{{ preferences_url }}'>hier</a>"),
    ("Nieuws", "", "<p>Minder? {{ preferences_url|upper }}</p>"),
]
ODD_NAMES = [
    "Amélie", "Jan", "O'Brien", 'Tom "T" & <Jerry>', "amp;", "lt;", "https://evil.example/",
    " Jan", "Jan  Piet", "", "Zoë\u00a0X", "Ærø Ünal", "李", "a\r\nb", "&amp;", "-->", "Ann-Sofie",
    "in;", "#65;", "O&#39;Brien",
]  # fmt: skip
NAMES = st.one_of(
    st.sampled_from(ODD_NAMES),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.text(alphabet="aZé <>&\"';#x0 ", max_size=10),
)
MEMBERS = st.lists(
    st.tuples(
        NAMES,
        st.booleans(),
        st.lists(st.sampled_from(TIPS), max_size=3, unique=True),
        st.integers(min_value=1, max_value=2**40),
    ),
    min_size=1,
    max_size=6,
)


def library(**fields) -> Library:
    base = {
        "pk": 3,
        "code": "gent",
        "name": "Bibliotheek Gent & Co <Oost>",
        "sender_name": "Bibliotheek Gent",
        "sender_email": "nieuws@gent.bibliotheek.be",
        "privacy_url": "https://gent.bibliotheek.be/privacy?a=1&b=2",
        "profile_url": "https://gent.bibliotheek.be/mijn-bibliotheek",
        "survey_url": "https://gent.bibliotheek.be/enquete",
    }
    kit = {"logo_url": fields.pop("logo_url", ""), "colour": "#b3261e"}
    sample = Library(**(base | fields))
    BrandKit(library=sample, **kit)  # worn as a saved kit would be, without a database
    return sample


def rendered(render, **arguments) -> RenderedMail | str:
    try:
        return render(**arguments)
    except TemplateProblem as problem:
        return f"problem: {problem}"


def decoded_parts(body: bytes) -> list[str]:
    head = f'Content-Type: multipart/alternative; boundary="{mime.BOUNDARY}"\r\n\r\n'
    parsed = email.message_from_bytes(head.encode() + body, policy=email.policy.default)
    return [part.get_content() for part in parsed.iter_parts()]


def assert_same_body(encoded: bytes, expected: bytes) -> None:
    """The skeleton's pre-encoded body reads back as the full encoding does, on lines of at
    most 76 characters (RFC 2045)."""
    assert decoded_parts(encoded) == decoded_parts(expected)
    assert max(len(line) for line in encoded.split(b"\r\n")) <= 76


def check_batch(texts, members, *, track_clicks: bool, track_opens: bool, **fields) -> int:
    """Renders a batch both ways, asserts equality; returns how many went the fast way."""
    subject, preheader, body = texts
    lib = library(track_clicks=track_clicks, track_opens=track_opens, **fields)
    batch = SkeletonRenderer()
    for first_name, profile, tips, message_id in members:
        member = Member(library=lib, first_name=first_name, has_online_profile=profile)
        arguments = {
            "message_id": message_id,
            "member": member,
            "library": lib,
            "subject": subject,
            "preheader": preheader,
            "body": body,
            "reading_tips": tips,
        }
        slow = rendered(render_mail, **arguments)
        fast = rendered(batch.render, **arguments)
        if isinstance(slow, RenderedMail) and isinstance(fast, RenderedMail):
            assert asdict(fast) | {"mime_body": None} == asdict(slow), (first_name, texts)
            if fast.mime_body is not None:
                assert_same_body(fast.mime_body, mime.body(slow.text, slow.html))
        else:
            assert fast == slow
    return batch.fast


# FAST_RENDER_EXAMPLES=5000 for a longer search than the suite's.
@settings(
    max_examples=int(os.environ.get("FAST_RENDER_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    texts=st.sampled_from(BUILT_IN + TRICKY),
    members=MEMBERS,
    track_clicks=st.booleans(),
    track_opens=st.booleans(),
    logo=st.sampled_from(["", "https://gent.bibliotheek.be/logo.svg"]),
)
@example(texts=BUILT_IN[0], members=[("Tom & <Jerry>", True, TIPS[:3], 5)], track_clicks=True,
         track_opens=True, logo="")  # fmt: skip
def test_skeleton_route_equals_full_rendering(texts, members, track_clicks, track_opens, logo):
    check_batch(texts, members, track_clicks=track_clicks, track_opens=track_opens, logo_url=logo)


@pytest.mark.parametrize("texts", BUILT_IN + TRICKY)
@pytest.mark.parametrize("track_clicks", [True, False])
@pytest.mark.parametrize("track_opens", [True, False])
def test_every_template_with_hostile_and_ordinary_names(texts, track_clicks, track_opens):
    names = ["Jan", 'Tom "T" & <Jerry>', "amp;", "https://evil.example/", "", " Jan", "Zoë"]
    members = [
        (name, number % 2 == 0, TIPS[number % 3 : number % 3 + 2], 1000 + number)
        for number, name in enumerate(names * 2)
    ]
    check_batch(texts, members, track_clicks=track_clicks, track_opens=track_opens)


def test_built_in_mails_go_the_fast_way():
    members = [(name, False, TIPS[:3], n) for n, name in enumerate(["Jan", "Zoë", "O'Brien"] * 5)]
    assert check_batch(BUILT_IN[0], members, track_clicks=True, track_opens=True) == 15


@pytest.mark.parametrize(
    "texts",
    [*TRICKY[1:6], TRICKY[8], TRICKY[9], TRICKY[11], TRICKY[17]],
    ids=["filter", "in-url", "in-attribute", "entity", "text-entity", "compared", "assigned",
         "url-filter", "method"],
)  # fmt: skip
def test_uses_substitution_cannot_reproduce_are_rendered_in_full(texts):
    members = [("Jan", False, [], 1), ("Piet", False, [], 2)]
    assert check_batch(texts, members, track_clicks=True, track_opens=False) == 0


def test_names_substitution_cannot_carry_are_rendered_in_full():
    odd = ["", " Jan", "Jan ", "Jan  Piet", "Zoë\u00a0X", "a\nb", "a\x00b", "a\u200bb", "&amp;"]
    for name in odd:
        assert not substitutable_name(name)
    members = [(name, False, [], n) for n, name in enumerate(["Jan", " Jan", "Zoë\u00a0X"])]
    assert check_batch(BUILT_IN[0], members, track_clicks=True, track_opens=False) == 1


def test_the_route_can_be_switched_off(settings):
    settings.MAIL_SKELETONS = False
    assert not skeletons.enabled()
    members = [("Jan", False, [], 1), ("Piet", False, [], 2)]
    assert check_batch(BUILT_IN[0], members, track_clicks=True, track_opens=False) == 0


@given(
    view=st.sampled_from([("open", 1), ("click", 1), ("unsubscribe", 1), ("feedback", 2)]),
    arguments=st.lists(
        st.one_of(
            st.from_regex(r"[A-Za-z0-9:_.-]{1,40}", fullmatch=True),
            st.text(max_size=12),
        ),
        min_size=2,
        max_size=2,
    ),
)
def test_tracking_urls_are_what_reverse_makes(view, arguments):
    name, count = view
    arguments = arguments[:count]
    try:
        expected = django_settings.BASE_URL + reverse(f"tracking:{name}", args=arguments)
    except NoReverseMatch:
        with pytest.raises(NoReverseMatch):
            tracking_url(name, *arguments)
        return
    assert tracking_url(name, *arguments) == expected


def test_tracking_urls_follow_a_changed_base_url(settings):
    """A process that serves another base URL (the demo's own server, a test's) gets links
    to it, not to the one it rendered for before."""
    token = make_token("open", 12)
    before = tracking_url("open", token)
    settings.BASE_URL = "http://127.0.0.1:8123"

    assert tracking_url("open", token) == "http://127.0.0.1:8123" + reverse(
        "tracking:open", args=[token]
    )
    assert before.startswith("https://mail.example-network.be/")


def test_tracking_urls_follow_the_script_prefix():
    token = make_token("open", 12)
    try:
        set_script_prefix("/mail/")
        assert tracking_url("open", token) == django_settings.BASE_URL + reverse(
            "tracking:open", args=[token]
        )
        assert "/mail/" in tracking_url("open", token)
    finally:
        set_script_prefix("/")
