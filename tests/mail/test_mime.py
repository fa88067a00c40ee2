"""The mail's own encoders: what a mail program decodes is what was meant."""

from email.header import decode_header, make_header

from hypothesis import given
from hypothesis import strategies as st

from patronflow.mail.mime import header_text


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
