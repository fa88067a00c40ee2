"""The mail's own encoders: what a mail program decodes is what was meant."""

import quopri
from email.header import decode_header, make_header

from hypothesis import given
from hypothesis import strategies as st

from patronflow.mail.mime import QuotedPrintableSkeleton, header_text, quoted_printable


def decoded(value: bytes) -> str:
    return str(make_header(decode_header(value.decode("ascii").replace("\r\n", ""))))


@given(st.text(min_size=1).filter(lambda text: text.split()))
def test_any_subject_reads_back_as_written_on_lines_of_at_most_78_characters(subject):
    encoded = header_text(subject, "Subject")

    assert encoded.isascii()
    assert decoded(encoded.strip()) == " ".join(subject.split())
    lines = (b"Subject:" + encoded).split(b"\r\n")
    assert all(len(line) <= 78 for line in lines)
    assert all(line.startswith(b" ") for line in lines[1:])  # folded, never a new header


def test_a_short_ascii_subject_stays_plain_and_a_name_with_an_accent_is_encoded():
    assert header_text("Welkom bij Bibliotheek Gent, An!", "Subject") == (
        b" Welkom bij Bibliotheek Gent, An!"
    )
    assert header_text("Welkom, Amélie!", "Subject") == b" =?utf-8?q?Welkom=2C_Am=C3=A9lie!?="


# Literal text as a layout has it (long lines, '=', accents, trailing spaces, line breaks)
# and values as a mail fills in (names, addresses with a signed token).
literal_text = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=300)
literal_text |= st.sampled_from(["", "x" * 75, "x" * 76, "x" * 73 + "=", "a=b " * 30, "=" * 80])
value_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=90)


@given(pairs=st.lists(st.tuples(literal_text, value_text), max_size=6), last=literal_text)
def test_a_pre_encoded_part_reads_back_as_its_filling_on_lines_of_at_most_76(pairs, last):
    """A skeleton's literal text is encoded once and each member's values on lines of their
    own: decoded, the mail says exactly what encoding the whole filled text says."""
    layout = [part for index, (text, _) in enumerate(pairs) for part in (text, f"name{index}")]
    values = {f"name{index}": value for index, (_, value) in enumerate(pairs)}

    encoded = QuotedPrintableSkeleton([*layout, last]).fill(values)

    filled = "".join(text + value for text, value in pairs) + last
    assert quopri.decodestring(encoded) == quopri.decodestring(quoted_printable(filled))
    assert max(len(line) for line in encoded.split(b"\r\n")) <= 76
