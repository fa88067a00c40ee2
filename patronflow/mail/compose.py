"""One mail made ready for SMTP: its reading tips, its rendering and its signed MIME bytes."""

import datetime as dt
import uuid
from email.utils import formatdate

from patronflow.mail import mime, verp
from patronflow.mail.dkim import Signer
from patronflow.mail.models import Message
from patronflow.mail.rendering import RenderedMail, event_values, render_mail
from patronflow.mail.skeletons import SkeletonRenderer
from patronflow.profiles.tips import TIPS_PER_MAIL, ReadingTip, borrowed_works, tips_for_segment


class TipChooser:
    """Reading tips per (library, segment) chosen once per batch, minus what a member read."""

    def __init__(self, messages: list[Message], today: dt.date) -> None:
        self._chosen: dict[tuple[int, str], list[ReadingTip]] = {}
        for message in messages:
            if message.variant.with_reading_tips:
                key = (message.library_id, message.enrolment.segment)
                if key not in self._chosen:
                    self._chosen[key] = tips_for_segment(
                        message.library, message.enrolment.segment, today
                    )
        self._borrowed = borrowed_works(
            [message.enrolment.member_id for message in messages],
            {tip.work for tips in self._chosen.values() for tip in tips},
        )

    def for_message(self, message: Message) -> list[ReadingTip]:
        if not message.variant.with_reading_tips:
            return []
        chosen = self._chosen[(message.library_id, message.enrolment.segment)]
        member_id = message.enrolment.member_id
        unread = [tip for tip in chosen if (member_id, *tip.work) not in self._borrowed]
        return unread[:TIPS_PER_MAIL]


def render_message(
    message: Message, tips: list[ReadingTip], skeletons: SkeletonRenderer | None = None
) -> RenderedMail:
    """Rendered from the batch's skeletons when given (same result, a fraction of the
    cost: mail/skeletons.py), else in full; a mail of an event journey with its event."""
    variant = message.variant
    language = message.step.version.language
    enrolment = message.enrolment
    event = enrolment.event if enrolment.event_id else None
    return (skeletons.render if skeletons is not None else render_mail)(
        message_id=message.pk,
        member=message.enrolment.member,
        library=message.library,
        subject=variant.subject,
        preheader=variant.preheader,
        body=variant.body,
        reading_tips=tips,
        language=language,
        event=event_values(event, message.library, language),
    )


def compose(message: Message, rendered: RenderedMail, signer: Signer | None = None) -> bytes:
    """The mail as it goes over SMTP: headers for deliverability, both parts, DKIM-signed
    when the library has a key."""
    library = message.library
    member = message.enrolment.member
    domain = library.sender_email.rpartition("@")[2]
    token = verp.message_token(message.pk)
    journey = message.step.version.journey
    journey_key = journey.key
    mailing_list = journey.mailing_list
    message.header_message_id = f"<pf{message.pk}.{uuid.uuid4().hex[:12]}@{domain}>"
    name = f"{member.first_name} {member.last_name}".strip()
    unsubscribe = (
        f"<{rendered.unsubscribe_url}>,\r\n <mailto:{verp.unsubscribe_address(message.pk, domain)}>"
    )
    headers = [
        ("From", mime.header_address(library.sender_name or library.name, library.sender_email)),
        ("To", mime.header_address(name, member.email)),
        ("Subject", mime.header_text(rendered.subject, "Subject")),
        ("Date", b" " + formatdate(usegmt=True).encode()),
        ("Message-ID", b" " + message.header_message_id.encode()),
        # RFC 2919: the list (topic) the mail goes out on, which one-click leaves; its key
        # and the library's code are slugs, so the id is a valid dot-atom.
        (
            "List-Id",
            mime.header_text(mailing_list.name_in(message.step.version.language), "List-Id")
            + f" <{mailing_list.key}.{library.code}.{domain}>".encode(),
        ),
        ("List-Unsubscribe", b" " + unsubscribe.encode()),
        ("List-Unsubscribe-Post", b" List-Unsubscribe=One-Click"),
        (
            "Feedback-ID",
            f" {journey_key}.{message.step.position}:{library.code}:journey:patronflow".encode(),
        ),
        (verp.ID_HEADER, b" " + token.encode()),
        *mime.CONTENT_HEADERS,
    ]
    content = rendered.mime_body or mime.body(rendered.text, rendered.html)
    prefix = signer.signature_header(headers, content) if signer else b""
    return mime.assemble(headers, content, prefix)
