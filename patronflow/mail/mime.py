"""Build a mail's bytes directly: headers and a multipart/alternative body, CRLF throughout.

The standard library's EmailMessage builds and serialises about 750 messages a second here;
the outbox needs several thousand. The layout is fixed (a text and an HTML part, both UTF-8
quoted-printable), so the skeleton is written out once and only the per-member parts are
encoded per message (quoted-printable with binascii's C encoder, headers with our own).
"""

import binascii
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
    return b" " + encoded_words(value, len(name) + 2)


# RFC 2047 5(3): in a "Q" encoded word only letters, digits and !*+-/ stand for themselves;
# a space is "_"; every other byte is =XX.
_Q_BYTE = [
    bytes([byte]) if (chr(byte).isalnum() and byte < 128) or chr(byte) in "!*+-/"
    else b"_" if byte == 32 else b"=%02X" % byte
    for byte in range(256)
]  # fmt: skip
_WORD_START, _WORD_END = b"=?utf-8?q?", b"?="
_WORD_ROOM = 75 - len(_WORD_START) - len(_WORD_END)


def encoded_words(value: str, first_line_used: int = 0) -> bytes:
    """`value` as UTF-8 "Q" encoded words of at most 75 characters, split between characters
    (never inside one's UTF-8 bytes) and folded onto lines of their own. email.header does
    the same several times slower, and a subject with an accented first name needs it."""
    data = value.encode()
    words: list[bytes] = []
    word: list[bytes] = []
    used, room = 0, _WORD_ROOM - first_line_used
    for byte in data:
        piece = _Q_BYTE[byte]
        if byte & 0xC0 != 0x80:  # a character starts: does all of it fit?
            width = len(piece) * (
                1 if byte < 0xC0 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            )
            if word and used + width > room:
                words.append(b"".join(word))
                word, used, room = [], 0, _WORD_ROOM
        word.append(piece)
        used += len(piece)
    words.append(b"".join(word))
    return b"\r\n ".join(_WORD_START + word + _WORD_END for word in words)


def header_address(display_name: str, address: str) -> bytes:
    return b" " + formataddr((" ".join(display_name.split()), address), charset="utf-8").encode()


def quoted_printable(text: str) -> bytes:
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True)
    return encoded.replace(b"\n", b"\r\n")


def body(text: str, html: str) -> bytes:
    """The multipart/alternative body: a text and an HTML part."""
    return encoded_body(quoted_printable(text), quoted_printable(html))


def encoded_body(text: bytes, html: bytes) -> bytes:
    """The multipart/alternative body of parts already quoted-printable."""
    return b"".join([_TEXT_PART, text, b"\r\n", _HTML_PART, html, b"\r\n", _END])


def assemble(headers: list[tuple[str, bytes]], content: bytes, prefix: bytes = b"") -> bytes:
    """Headers (each value with its leading space), then the body; `prefix` goes first."""
    lines = b"".join(name.encode() + b":" + value + b"\r\n" for name, value in headers)
    return prefix + lines + b"\r\n" + content


_SOFT_BREAK = b"=\r\n"


def _ending_in_soft_break(encoded: bytes) -> bytes:
    """`encoded` and a soft line break (RFC 2045 6.7: `=` at the end of a line, gone once
    decoded), keeping every line within 76 characters. binascii lets a last line reach 76
    only with plain characters (it wraps an =XX escape sooner), so the last one may move."""
    if len(encoded) - (encoded.rfind(b"\n") + 1) > 75:
        encoded = encoded[:-1] + _SOFT_BREAK + encoded[-1:]
    return encoded + _SOFT_BREAK


class QuotedPrintableSkeleton:
    """A part's quoted-printable text for any fill of its placeholders, with the literal text
    encoded once: each value goes on lines of its own, between soft line breaks, so the text
    around it encodes the same whatever the value. Decoded, it is the filled part exactly;
    per mail it costs the encoding of the values only, not of the whole part."""

    def __init__(self, parts: list[str]) -> None:
        """`parts`: literal text at even indexes, placeholder names at odd ones."""
        self.names = parts[1::2]
        literals = [quoted_printable(part) for part in parts[::2]]
        self.literals = [_ending_in_soft_break(literal) for literal in literals[:-1]]
        self.literals.append(literals[-1])

    def fill(self, values: dict[str, str]) -> bytes:
        pieces = [self.literals[0]]
        for name, literal in zip(self.names, self.literals[1:], strict=True):
            pieces += [_ending_in_soft_break(quoted_printable(values[name])), literal]
        return b"".join(pieces)
