"""Staff text: the subjects, preheaders and bodies marketers write, in Jinja2 within the
sandbox's budget (templating/sandbox.py). Rendering one for a member, and trying one on the
sample members before it is saved, so that mistakes show when it is saved, not when it is
sent. Its words are Dutch, translated through Django's catalogues (patronflow/mail/locale)."""

import re
from functools import cache, lru_cache

import jinja2
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jinja2.exceptions import SecurityError

from patronflow.templating.sandbox import (
    StaffEnvironment,
    TemplateProblem,
    check_length,
    render_budget,
    staff_environment,
)

# The variables staff can use in a subject or body (documented in docs/mail-templates.md).
STAFF_VARIABLES = (
    "first_name", "library_name", "has_online_profile", "has_reading_tips", "profile_url",
    "privacy_url", "survey_url", "unsubscribe_url", "preferences_url", "event",
)  # fmt: skip


class EventValues:
    """The event a journey started on, as a mail reads it: `event.type`, `event.occurred_at`
    and each of its properties (`event.name`, `event.starts_at`), moments already written in
    words. A property the event lacks reads as empty text — events of one type need not all
    carry the same — and outside an event journey every part is empty (`{% if event %}`).

    Unhashable on purpose: it differs per mail, so a batch never shares a skeleton of a mail
    that reads it (mail/skeletons.py renders such mails in full)."""

    __slots__ = ("_values",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, values: dict | None = None) -> None:
        self._values = dict(values or {})

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._values.get(name, "")

    def __getitem__(self, name: str) -> object:
        return self._values.get(name, "")

    def __bool__(self) -> bool:
        return bool(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EventValues) and other._values == self._values

    def __str__(self) -> str:
        return str(self._values.get("type", ""))


NO_EVENT = EventValues()


@cache
def environment(autoescape: bool) -> StaffEnvironment:
    return staff_environment(autoescape=autoescape)


@lru_cache(maxsize=1024)
def _compiled(source: str, html: bool) -> jinja2.Template:
    """Compiling is most of the cost of rendering; a batch reuses a handful of templates."""
    return environment(html).from_string(source)


def render_staff_text(source: str, context: dict, *, html: bool, field: str = "") -> str:
    """Staff text rendered within the render budget (templating/sandbox.py). Whatever goes wrong
    in it, it raises TemplateProblem, with the line and `field` (subject, preheader, body)."""
    try:
        with render_budget():
            check_length(source)
            return _compiled(source, html).render(context)
    except TemplateProblem as problem:
        raise problem.at(line=problem.line or _template_line(problem), field=field) from problem
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(_syntax_reason(error), line=error.lineno, field=field) from error
    except Exception as error:  # any failure of a staff text is that text's problem
        raise TemplateProblem(_reason(error), line=_template_line(error), field=field) from error


def _syntax_reason(error: jinja2.TemplateSyntaxError) -> str:
    """What is wrong with how a text is written, in the marketer's language; Jinja2's own
    words, which only it has, follow in English (they quote the template, never a value)."""
    return _(
        "de tekst klopt niet: een {{ … }} of {%% … %%} is niet af of bevat iets wat een mail "
        "niet kent (Jinja zegt, in het Engels: %(message)s)"
    ) % {"message": error.message or type(error).__name__}


def _template_line(error: BaseException) -> int | None:
    """The template's line where it failed: Jinja2 rewrites the traceback so that the
    template's frames carry the template's line numbers."""
    line = None
    frame = error.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == "<template>":
            line = frame.tb_lineno
        frame = frame.tb_next
    return line


# What a kind of failure means, for the person who wrote the text. The exception's own text
# is left out: it can quote a value (`{{ {}[first_name] }}`: KeyError: 'Zoë'), and the
# reason is kept with the mail and shown on the journey's page, where no member is named.
_EXPLANATIONS: list[tuple[type[Exception], str]] = [
    (SecurityError, gettext_lazy("dit mag niet in een mail")),
    (jinja2.UndefinedError, gettext_lazy("een waarde heeft dat onderdeel niet")),
    (RecursionError, gettext_lazy("een macro of blok roept zichzelf te vaak aan")),
    (MemoryError, gettext_lazy("deze tekst vraagt te veel geheugen")),
    (IndexError, gettext_lazy("een lijst of tekst heeft dat element niet")),
    (KeyError, gettext_lazy("die sleutel bestaat niet")),
    (ZeroDivisionError, gettext_lazy("delen door nul")),
    (OverflowError, gettext_lazy("een getal wordt te groot")),
    (AttributeError, gettext_lazy("een waarde heeft dat onderdeel niet")),
    (TypeError, gettext_lazy("een bewerking met een waarde van de verkeerde soort")),
    (ValueError, gettext_lazy("een waarde die niet past")),
]
_UNDEFINED_NAME = re.compile(r"'(\w+)' is undefined")


def _reason(error: Exception) -> str:
    """What went wrong, without the values involved (see _EXPLANATIONS)."""
    if isinstance(error, jinja2.UndefinedError):
        # A variable the template names that does not exist: its name is the template's own.
        undefined = _UNDEFINED_NAME.fullmatch(error.message or "")
        if undefined:
            return _("%(name)s bestaat niet; een mail kent %(names)s") % {
                "name": undefined[1],
                "names": ", ".join(STAFF_VARIABLES),
            }
    kind = type(error).__name__
    for error_class, explanation in _EXPLANATIONS:
        if isinstance(error, error_class):
            return _("de tekst loopt hier vast: %(explanation)s (%(kind)s)") % {
                "explanation": explanation,
                "kind": kind,
            }
    return _("de tekst loopt hier vast (%(kind)s)") % {"kind": kind}


SAMPLE_VALUES = {
    "first_name": "An",
    "library_name": "Bibliotheek Gent",
    "has_online_profile": False,
    "has_reading_tips": True,
    "profile_url": "https://gent.bibliotheek.be/mijn-bibliotheek",
    "privacy_url": "https://gent.bibliotheek.be/privacy",
    "survey_url": "https://gent.bibliotheek.be/enquete",
    "unsubscribe_url": "https://patronflow.example/t/u/token",
    "preferences_url": "https://patronflow.example/t/p/token",
    "event": EventValues(
        {
            "type": "activity.registered",
            "occurred_at": "maandag 7 december 2026 om 10:15",
            "name": "Voorleesuurtje",
            "starts_at": "zaterdag 12 december 2026 om 14:00",
            "place": "Bibliotheek Gent, De Krook, Miriam Makebaplein 1",
            "link": "https://gent.bibliotheek.be/activiteiten/voorleesuurtje",
        }
    ),
}
# The members (and libraries) a staff text is tried on before it is saved: each differs from
# the first in one of the ways members and libraries do. (A reading segment is no variable:
# each segment's variant is a text of its own, checked on its own.)
SAMPLE_MEMBERS = [
    (gettext_lazy("een lid dat An heet"), {}),
    (gettext_lazy("een lid dat Zoë heet, met een online profiel"),
     {"first_name": "Zoë", "has_online_profile": True}),
    (gettext_lazy("een lid dat Çelik heet, zonder leestips"),
     {"first_name": "Çelik", "has_reading_tips": False}),
    (gettext_lazy("een lid zonder voornaam"), {"first_name": ""}),
    (gettext_lazy("een lid dat Anne-Marie d'Hondt-Ærø heet"),
     {"first_name": "Anne-Marie d'Hondt-Ærø"}),
    (gettext_lazy("een lid met een online profiel en zonder leestips"),
     {"has_online_profile": True, "has_reading_tips": False}),
    (gettext_lazy("een bibliotheek zonder vragenlijst"), {"survey_url": ""}),
    (gettext_lazy("een bibliotheek zonder adres voor Mijn Bibliotheek"), {"profile_url": ""}),
    (gettext_lazy("een bibliotheek zonder privacyverklaring"), {"privacy_url": ""}),
    (gettext_lazy("een mail die niet bij een gebeurtenis hoort"), {"event": NO_EVENT}),
]  # fmt: skip


def check_staff_template(source: str, *, html: bool, field: str = "") -> None:
    """Render a staff text for each of SAMPLE_MEMBERS, so that mistakes show when it is
    saved, not when it is sent. A problem that only some members run into names the first
    sample it failed for."""
    for number, (description, values) in enumerate(SAMPLE_MEMBERS):
        try:
            render_staff_text(source, SAMPLE_VALUES | values, html=html, field=field)
        except TemplateProblem as problem:
            if number == 0:
                raise
            raise problem.at(sample=str(description)) from problem
