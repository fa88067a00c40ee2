"""What the mail designer tells a marketer beside the preview: the personal fields a text
may hold (picked from a list, never typed blind), and hints on the subject's and the
preheader's length and on the mail's size."""

from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patronflow.mail.rendering import RenderedMail
from patronflow.templating.blocks import PLACEHOLDERS

# What each personal field holds, in the marketer's words (docs/mail-templates.md).
_FIELD_LABELS = {
    "first_name": gettext_lazy("First name"),
    "library_name": gettext_lazy("The library's name"),
    "profile_url": gettext_lazy("Address of Mijn Bibliotheek"),
    "privacy_url": gettext_lazy("Address of the privacy statement"),
    "survey_url": gettext_lazy("Address of the survey"),
    "unsubscribe_url": gettext_lazy("Unsubscribe link of this mail"),
    "preferences_url": gettext_lazy("Preference page of this mail"),
}
# The fields a marketer inserts into a text: those a block's text may hold, a new one by its
# name until it has a label here.
PERSONAL_FIELDS = tuple((name, _FIELD_LABELS.get(name, name)) for name in PLACEHOLDERS)
# …and in a journey that starts on an event, the parts an event usually carries (an event
# may carry others, named the same way: docs/mail-templates.md).
EVENT_FIELDS = (
    ("event.name", gettext_lazy("Name of the event (e.g. the activity)")),
    ("event.starts_at", gettext_lazy("When the event starts")),
    ("event.place", gettext_lazy("Where the event takes place")),
    ("event.link", gettext_lazy("Address of the event's page")),
)


def personal_fields(*, on_event: bool) -> list[tuple[str, str]]:
    """The fields to insert, as typed (`{{ first_name }}`), with their labels."""
    fields = PERSONAL_FIELDS + (EVENT_FIELDS if on_event else ())
    return [(placeholder(name), label) for name, label in fields]


SUBJECT_SHOWN = 60  # about what a phone's mail list shows of a subject
PREHEADER_SHORTEST, PREHEADER_LONGEST = 40, 130  # shorter: the mail's first words fill in
GMAIL_CLIPS = 102 * 1024  # Gmail shows "[Message clipped]" for HTML larger than this


def placeholder(name: str) -> str:
    return "{{ " + name + " }}"


@dataclass(frozen=True)
class Hint:
    text: str
    warning: bool = False


def subject_hint(subject: str) -> Hint:
    """`subject` as the member gets it (placeholders filled in)."""
    length = len(subject)
    if length > SUBJECT_SHOWN:
        return Hint(
            _(
                "%(length)s characters: phones may cut a subject off after about %(shown)s. "
                "Put what matters first."
            )
            % {"length": length, "shown": SUBJECT_SHOWN},
            warning=True,
        )
    return Hint(
        _("%(length)s characters: short enough for a phone.") % {"length": length},
    )


def preheader_hint(preheader: str) -> Hint:
    length = len(preheader)
    limits = {"length": length, "shortest": PREHEADER_SHORTEST, "longest": PREHEADER_LONGEST}
    if not length:
        return Hint(
            _(
                "Empty: mail programs show the mail's first words instead. Between "
                "%(shortest)s and %(longest)s characters works best."
            )
            % limits,
            warning=True,
        )
    if length < PREHEADER_SHORTEST:
        return Hint(
            _(
                "%(length)s characters: mail programs fill up the rest with the mail's first "
                "words. Between %(shortest)s and %(longest)s characters works best."
            )
            % limits,
            warning=True,
        )
    if length > PREHEADER_LONGEST:
        return Hint(
            _(
                "%(length)s characters: mail programs show about %(longest)s at most. "
                "Between %(shortest)s and %(longest)s characters works best."
            )
            % limits,
            warning=True,
        )
    return Hint(_("%(length)s characters: a good length.") % limits)


def size_hint(rendered: RenderedMail) -> Hint:
    """The size that matters: Gmail clips a mail whose HTML is larger than GMAIL_CLIPS, and
    hides what follows, the unsubscribe link among it."""
    size = len(rendered.html.encode())
    shown = {"size": filesizeformat(size), "limit": filesizeformat(GMAIL_CLIPS)}
    if size > GMAIL_CLIPS:
        return Hint(
            _(
                "The mail is %(size)s: Gmail cuts off mails over %(limit)s and hides the rest, "
                "the unsubscribe link too. Make it shorter."
            )
            % shown,
            warning=True,
        )
    return Hint(_("The mail is %(size)s (Gmail cuts off mails over %(limit)s).") % shown)


DARK_MODE = "@media (prefers-color-scheme: dark)"


def dark_rendition(html: str) -> str:
    """The mail as a mail program in dark mode shows it: the layout's dark-mode rules
    (mail/templates/mail/base.html) applied unconditionally, since a page cannot put the
    frame it shows the mail in into dark mode."""
    return html.replace(DARK_MODE, "@media all")
