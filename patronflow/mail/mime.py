"""Build a mail's bytes directly: headers and a multipart/alternative body, CRLF throughout.

The standard library's EmailMessage builds and serialises about 750 messages a second here;
the outbox needs several thousand. The layout is fixed (a text and an HTML part, both UTF-8
quoted-printable), so the skeleton is written out once and only the per-member parts are
encoded per message, with the C encoders in binascii and email.header.
"""

import binascii
from email.header import Header
from email.utils import formataddr

# '=_' cannot occur in quoted-printable text (a literal '=' is written '=3D'), so one
# boundary serves every message.
BOUNDARY = "=_patronflow_alternative"
_PART = (
    "--" + BOUNDARY + "\r\n"
    'Content-Type: text/{subtype}; charset="utf-8"\r\n'
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
)
_TEXT_PART = _PART.format(subtype="plain").encode()
_HTML_PART = _PART.format(subtype="html").encode()
_END = ("--" + BOUNDARY + "--\r\n").encode()
CONTENT_HEADERS = [
    ("MIME-Version", b" 1.0"),
    ("Content-Type", f' multipart/alternative; boundary="{BOUNDARY}"'.encode()),
]


def header_text(value: str, name: str) -> bytes:
    """An unstructured header value: plain when it is short ASCII, else RFC 2047 words.
    Line breaks in it become spaces: a value never starts a header of its own."""
    value = " ".join(value.split())
    if value.isascii() and len(value) + len(name) < 76:
        return b" " + value.encode()
    return b" " + Header(value, "utf-8", header_name=name).encode(linesep="\r\n").encode()


def header_address(display_name: str, address: str) -> bytes:
    return b" " + formataddr((" ".join(display_name.split()), address), charset="utf-8").encode()


def quoted_printable(text: str) -> bytes:
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True)
    return encoded.replace(b"\n", b"\r\n")


def body(text: str, html: str) -> bytes:
    """The multipart/alternative body: a text and an HTML part."""
    parts = [_TEXT_PART, quoted_printable(text), b"\r\n", _HTML_PART, quoted_printable(html)]
    parts += [b"\r\n", _END]
    return b"".join(parts)


def assemble(headers: list[tuple[str, bytes]], content: bytes, prefix: bytes = b"") -> bytes:
    """Headers (each value with its leading space), then the body; `prefix` goes first."""
    lines = b"".join(name.encode() + b":" + value + b"\r\n" for name, value in headers)
    return prefix + lines + b"\r\n" + content
