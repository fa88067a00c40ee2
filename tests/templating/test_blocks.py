"""A mail's blocks: what is refused (and where), and bodies read as blocks without a change."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patronflow.journeys.definitions import standard_definition
from patronflow.templating.blocks import (
    BLOCK_TYPES,
    PLACEHOLDERS,
    SHOW_IF,
    blank,
    from_html,
    has_reading_tips,
    normalised,
    to_template,
    validate,
)


def problems(blocks) -> list[tuple[tuple, str]]:
    return [(problem.path, problem.reason) for problem in validate(blocks)]


def paths(blocks) -> list[tuple]:
    return [problem.path for problem in validate(blocks)]


def test_a_mail_of_every_kind_of_block_is_valid():
    blocks = [
        {"type": "heading", "text": "Welkom, {{ first_name }}", "level": 2},
        {"type": "paragraph", "html": 'Lees <strong>meer</strong> op <a href="https://x.be">x</a>'},
        {"type": "list", "items": ["een", "<em>twee</em>"], "ordered": True},
        {"type": "button", "text": "Maak je profiel", "url": "{{ profile_url }}",
         "show_if": "not has_online_profile"},
        {"type": "image", "image": 3, "alt": "De leeszaal", "link": "https://x.be/zaal"},
        {"type": "reading_tips"},
        {"type": "divider"},
        {"type": "columns", "left": [{"type": "paragraph", "html": "links"}],
         "right": [{"type": "image", "image": 4, "alt": "Een boek"}]},
        {"type": "footer", "html": "Bibliotheek Gent, Kouter 1"},
        {"type": "html", "html": "<blockquote>{% for x in [1] %}{{ x }}{% endfor %}</blockquote>"},
    ]  # fmt: skip

    assert validate(blocks) == []


def test_an_image_without_description_is_refused_at_its_alt():
    assert problems([{"type": "paragraph", "html": "Dag"}, {"type": "image", "image": 7}]) == [
        ((1, "alt"), "Describe the image for readers who cannot see it.")
    ]


def test_a_problem_inside_a_column_names_the_column_and_the_block():
    blocks = [
        {"type": "divider"},
        {"type": "divider"},
        {"type": "columns", "left": [{"type": "button", "text": "Ga", "url": "http://x.be"}]},
    ]

    assert paths(blocks) == [(2, "left", 0, "url")]


def test_columns_hold_neither_columns_nor_reading_tips_nor_footer_text():
    blocks = [
        {"type": "columns", "left": [{"type": "columns"}, {"type": "reading_tips"}],
         "right": [{"type": "footer", "html": "x"}]},
    ]  # fmt: skip

    assert problems(blocks) == [
        ((0, "left", 0, "type"), "Columns cannot hold columns."),
        ((0, "left", 1, "type"), "Reading tips cannot go in a column."),
        ((0, "right", 0, "type"), "Footer text cannot go in a column."),
    ]


@pytest.mark.parametrize(
    ("block", "path"),
    [
        ({"type": "poem", "text": "x"}, (0, "type")),
        ({"type": "divider", "colour": "red"}, (0, "colour")),
        ({"type": "divider", "show_if": "has_survey"}, (0, "show_if")),
        ({"type": "heading", "text": "x", "level": 1}, (0, "level")),
        ({"type": "heading", "text": "x" * 301}, (0, "text")),
        ({"type": "paragraph", "html": "<div>x</div>"}, (0, "html")),
        ({"type": "paragraph", "html": '<span style="color:red">x</span>'}, (0, "html")),
        ({"type": "paragraph", "html": '<a href="javascript:alert(1)">x</a>'}, (0, "html")),
        ({"type": "paragraph", "html": "{% if has_online_profile %}x{% endif %}"}, (0, "html")),
        ({"type": "paragraph", "html": "Dag {{ first_name|upper }}"}, (0, "html")),
        ({"type": "paragraph", "html": "Dag {{ last_name }}"}, (0, "html")),
        ({"type": "paragraph", "html": "   "}, (0, "html")),
        ({"type": "list", "items": []}, (0, "items")),
        ({"type": "list", "items": ["a", ""]}, (0, "items", 1)),
        ({"type": "button", "text": "Ga", "url": "{{ first_name }}"}, (0, "url")),
        ({"type": "button", "text": "Ga", "url": "//elders.example/x"}, (0, "url")),
        ({"type": "button", "text": "", "url": "https://x.be"}, (0, "text")),
        ({"type": "image", "image": "3", "alt": "x"}, (0, "image")),
        ({"type": "image", "image": True, "alt": "x"}, (0, "image")),
        ({"type": "image", "image": 3, "alt": "x", "link": "ftp://x.be"}, (0, "link")),
        ({"type": "columns", "left": "x"}, (0, "left")),
    ],
)
def test_each_kind_of_mistake_is_refused_on_its_field(block, path):
    assert paths([block]) == [path]


def test_a_mail_places_its_reading_tips_once():
    assert paths([{"type": "reading_tips"}, {"type": "divider"}, {"type": "reading_tips"}]) == [
        (2, "type")
    ]


def test_a_problem_reads_in_the_users_language():
    from django.utils import translation

    (problem,) = validate([{"type": "image", "image": 1, "alt": "x" * 400}])
    with translation.override("nl"):
        assert problem.text() == "Hoogstens 300 tekens; dit zijn er 400."
    with translation.override("en"):
        assert problem.text() == "At most 300 characters; this is 400."


def test_every_block_type_starts_blank_with_its_fields():
    assert blank("image") == {"type": "image", "image": None, "alt": "", "link": "", "show_if": ""}
    assert set(BLOCK_TYPES) == {
        "heading", "paragraph", "list", "button", "image", "reading_tips", "divider",
        "columns", "footer", "html",
    }  # fmt: skip
    assert "first_name" in PLACEHOLDERS and "has_online_profile" not in PLACEHOLDERS


def test_conditions_around_paragraphs_become_the_paragraphs_show_if():
    body = """<p>Dag {{ first_name }},</p>
{% if not has_online_profile %}
<p><strong>Maak je profiel aan.</strong></p>
<p><a href="{{ profile_url }}">Maak mijn profiel aan</a></p>
{% else %}
<p>Je profiel is klaar.</p>
{% endif %}
<h2>Tot &amp; met</h2>
<ul>
  <li>een</li>
  <li>twee</li>
</ul>"""

    assert from_html(body) == [
        {"type": "paragraph", "html": "Dag {{ first_name }},", "show_if": ""},
        {"type": "paragraph", "html": "<strong>Maak je profiel aan.</strong>",
         "show_if": "not has_online_profile"},
        # A paragraph holding only a link stays one: a button would look different.
        {"type": "paragraph", "html": '<a href="{{ profile_url }}">Maak mijn profiel aan</a>',
         "show_if": "not has_online_profile"},
        {"type": "paragraph", "html": "Je profiel is klaar.", "show_if": "has_online_profile"},
        {"type": "heading", "text": "Tot & met", "level": 2, "show_if": ""},
        {"type": "list", "items": ["een", "twee"], "ordered": False, "show_if": ""},
    ]  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        '<p style="color:red">Rood</p>',
        "<p>Dag {{ first_name|upper }}</p>",
        "{% if survey_url %}<p>Vul in</p>{% endif %}",
        "{% for x in [1, 2] %}<p>{{ x }}</p>{% endfor %}",
        "{% if has_online_profile %}<p>a</p>{% elif has_reading_tips %}<p>b</p>{% endif %}",
        "Hallo<p>daar</p>",
        "<div><p>binnen</p></div>",
        "{% if has_online_profile %}{% if has_reading_tips %}<p>x</p>{% endif %}{% endif %}",
    ],
)
def test_what_it_cannot_read_as_blocks_stays_html_unchanged(body):
    blocks = from_html(body)

    assert all(block["type"] == "html" for block in blocks)
    assert to_template(blocks) == body
    assert validate(blocks) == []


def test_text_around_a_condition_keeps_its_spacing():
    body = "<p>a</p>\nHallo{% if has_online_profile %} daar{% endif %}!"

    assert to_template(from_html(body)) == body.replace("\n", "\n", 1)
    assert from_html(body)[1] == {
        "type": "html",
        "html": "Hallo{% if has_online_profile %} daar{% endif %}!",
        "show_if": "",
    }


@pytest.mark.parametrize("key", ["welcome", "dormant"])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_standard_mails_read_as_blocks_without_html_blocks(key, language):
    for step in standard_definition(key, language)["steps"]:
        for variant in step["variants"]:
            blocks = from_html(variant["body"])
            assert validate(blocks) == []
            assert {block["type"] for block in blocks} <= {"paragraph", "heading", "list"}


# --- round trips ------------------------------------------------------------------------

_words = st.text(
    alphabet=st.sampled_from("abcdeéz &<>'\"{}%#.,:!?"), min_size=1, max_size=20
).filter(lambda text: text.strip() and not any(m in text for m in ("{{", "{%", "{#")))
_inline = st.one_of(
    _words.map(lambda text: text.replace("<", "").replace(">", "").replace("&", "")).filter(
        lambda text: text.strip() and not any(m in text for m in ("{{", "{%", "{#"))
    ),
    st.sampled_from(
        [
            "Dag {{ first_name }},",
            "<strong>x</strong> y",
            '<a href="https://x.be">z</a>',
            'Ga <a href="{{ profile_url }}">hier</a>',
        ]
    ),
)
_url = st.sampled_from(["https://x.be/a?b=1&c=2", "{{ profile_url }}", "mailto:info@x.be"])
_show_if = st.sampled_from(SHOW_IF)


def _block(kind: str, **fields) -> st.SearchStrategy:
    return st.fixed_dictionaries({"type": st.just(kind), **fields, "show_if": _show_if})


_simple_blocks = st.one_of(
    _block("heading", text=_words, level=st.sampled_from([2, 3])),
    _block("paragraph", html=_inline),
    _block("list", items=st.lists(_inline, min_size=1, max_size=3), ordered=st.booleans()),
    _block("button", text=_words, url=_url),
    _block("image", image=st.integers(1, 10_000), alt=_words, link=st.one_of(st.just(""), _url)),
    _block("divider"),
    _block("html", html=st.sampled_from(["<blockquote>q</blockquote>", "{{ survey_url }}"])),
)
_blocks = st.lists(
    st.one_of(
        _simple_blocks,
        _block("columns", left=st.lists(_simple_blocks, max_size=3),
               right=st.lists(_simple_blocks, max_size=3)),
        _block("footer", html=_inline),
    ),
    max_size=6,
).map(lambda blocks: [*blocks, {"type": "reading_tips", "show_if": ""}])  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(_blocks)
def test_blocks_written_as_a_template_read_back_as_the_same_blocks(blocks):
    assert validate(blocks) == []

    assert from_html(to_template(blocks)) == _html_blocks_joined(normalised(blocks))


def _html_blocks_joined(blocks: list[dict]) -> list[dict]:
    """HTML blocks shown to everyone, one after the other, read back as one."""
    joined: list[dict] = []
    for block in blocks:
        if block["type"] == "columns":
            block = dict(block, left=_html_blocks_joined(block["left"]),
                         right=_html_blocks_joined(block["right"]))  # fmt: skip
        previous = joined[-1] if joined else {}
        if (
            block["type"] == previous.get("type") == "html"
            and not block["show_if"]
            and not previous["show_if"]
        ):
            joined[-1] = dict(previous, html=previous["html"] + "\n" + block["html"])
        else:
            joined.append(block)
    return joined


def test_the_reading_tips_block_is_what_gives_a_mail_its_tips():
    assert has_reading_tips([{"type": "paragraph", "html": "x"}, {"type": "reading_tips"}])
    assert not has_reading_tips([{"type": "paragraph", "html": "x"}])
