"""A library's details (the tenant's name, sender, links, sending and look) as the command
line and the settings screen give them: checked, each problem named on its detail, and set
on the library. Saving them, with the audit entry and (for a new library) its standard
journeys, is the flow's: patronflow/operations/libraries.py.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from email_validator import EmailNotValidError, validate_email

from patronflow.members.models import Library
from patronflow.members.windows import WindowProblem, parse_window

TEXT_DETAILS = (
    "name", "sender_name", "sender_email", "privacy_url", "profile_url", "survey_url",
    "catalogue_url",
)  # fmt: skip
CATALOGUE_PLACEHOLDERS = ("{isbn}", "{title}", "{author}")
# When and how much the library sends (docs/sending.md); given as text, as on the command line.
SENDING_DETAILS = ("send_window", "time_zone", "member_weekly_cap", "daily_cap")
DETAILS = (*TEXT_DETAILS, "track_opens", "track_clicks", *SENDING_DETAILS)
CAPS = ("member_weekly_cap", "daily_cap")
# How mails are signed: set on the staff settings screen (the command line does not offer
# it), checked here all the same so that every caller gets the same checks. How mails look
# is the brand kit's (mail/brand.py).
LOOK_DETAILS = ("dkim_selector",)
# Whether a broadcast or a new journey version waits for the other staff member's approval
# (four eyes, journeys/approvals.py): the settings screen's switch.
STUDIO_DETAILS = ("four_eyes",)
CHANGEABLE = (*DETAILS, *LOOK_DETAILS, *STUDIO_DETAILS)
URL_DETAILS = ("privacy_url", "profile_url", "survey_url")
# A DKIM selector is one or more DNS labels, e.g. 'pf2026' or 'mail.gent'.
_DNS_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SELECTOR = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*", re.IGNORECASE)
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Links in mails must open in a member's browser: no ftp:// or other schemes.
_web_address = URLValidator(schemes=["https", "http"])


Detail = str | bool | int | None


# Codes a library cannot take: a library's sign-up forms live at /t/j/<code>/<list>, beside
# the confirmation links at /t/j/confirm/<token>.
RESERVED_CODES = frozenset({"confirm"})


def new_library(code: str, name: str, language: str = "nl", **details: Detail) -> Library:
    """A library (not saved yet) with these details, ready for its standard journeys in
    `language` (nl or en).

    `details` are any of DETAILS (track_opens and track_clicks bools, a cap a number or None,
    the others text, e.g. send_window="mon-fri 09:00-18:00"); raises ValidationError with a
    message per detail.
    """
    code = code.strip()
    errors: dict[str, list[str]] = {}
    if not _CODE.fullmatch(code) or len(code) > Library._meta.get_field("code").max_length:
        errors["code"] = [
            f"{code!r} is not a library code: use lower-case letters, digits, '-' and '_' "
            "(at most 32), e.g. 'gent' or 'bib-leuven'"
        ]
    elif code in RESERVED_CODES:
        errors["code"] = [
            f"{code!r} is a word of patronflow's own public addresses (/t/j/{code}/…): "
            "choose another code"
        ]
    elif Library.objects.filter(code=code).exists():
        errors["code"] = [code_taken(code)]
    if language not in dict(settings.LANGUAGES):
        languages = ", ".join(dict(settings.LANGUAGES))
        errors["language"] = [
            f"{language!r} is not a language of the built-in journeys: {languages}"
        ]
    cleaned = _clean_details({"name": name, **details}, errors)
    library = Library(code=code, **cleaned)
    _full_clean(library, errors)
    return library


def apply_changes(library: Library, **changes: Detail) -> list[str]:
    """Set some of a library's CHANGEABLE details (DETAILS, DKIM selector, four eyes)
    on it, unsaved; an empty string clears an optional one (for a cap: no cap). Returns the
    fields to save; raises ValidationError with a message per detail."""
    errors: dict[str, list[str]] = {}
    cleaned = _clean_details(changes, errors, allowed=CHANGEABLE)
    for name, value in cleaned.items():
        setattr(library, name, value)
    _full_clean(library, errors)
    return list(cleaned)


def settings_of(library: Library) -> dict[str, object]:
    """What apply_changes can change, as the audit log shows it (the send window as the
    command line writes it)."""
    values: dict[str, object] = {
        name: getattr(library, name) for name in CHANGEABLE if name != "send_window"
    }
    values["send_window"] = library.send_window.describe()
    return values


def code_taken(code: str) -> str:
    return f"a library with code {code!r} already exists (see: patronflow library list)"


def _clean_details(
    details: dict[str, Detail], errors: dict[str, list[str]], allowed: tuple[str, ...] = DETAILS
) -> dict[str, object]:
    """Details as model field values (a send window becomes its days, opening and closing)."""
    unknown = set(details) - set(allowed)
    if unknown:
        raise TypeError(f"not a library detail: {', '.join(sorted(unknown))}")
    for switch in ("track_opens", "track_clicks", *STUDIO_DETAILS):
        if not isinstance(details.get(switch, False), bool):
            raise TypeError(f"{switch} is a bool")
    cleaned: dict[str, object] = {
        name: value.strip() if isinstance(value, str) else value for name, value in details.items()
    }
    _clean_sending(cleaned, errors)
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = ["a library needs a name"]
    for name in ("name", "sender_name"):
        if any(char in cleaned.get(name, "") for char in "\r\n"):
            errors[name] = ["must be a single line (it goes into the From header of mails)"]
    if cleaned.get("sender_email"):
        try:
            cleaned["sender_email"] = validate_email(
                cleaned["sender_email"], check_deliverability=False, allow_smtputf8=False
            ).normalized
        except EmailNotValidError as error:
            errors["sender_email"] = [f"{cleaned['sender_email']!r} is not usable: {error}"]
    for name in URL_DETAILS:
        if cleaned.get(name):
            try:
                _web_address(cleaned[name])
            except ValidationError:
                errors[name] = [f"{cleaned[name]!r} is not a web address (http:// or https://)"]
    catalogue = str(cleaned.get("catalogue_url") or "")
    if catalogue and not (
        catalogue.startswith("https://") and any(p in catalogue for p in CATALOGUE_PLACEHOLDERS)
    ):
        errors["catalogue_url"] = [
            f"{catalogue!r} is not a catalogue search address: https://, with {{isbn}}, "
            "{title} or {author} where the search goes, e.g. "
            "https://gent.bibliotheek.be/zoeken?q={isbn}"
        ]
    if cleaned.get("dkim_selector") and not _SELECTOR.fullmatch(str(cleaned["dkim_selector"])):
        errors["dkim_selector"] = [
            f"{cleaned['dkim_selector']!r} is not a DKIM selector: letters, digits and '-', "
            "parts separated by '.', e.g. 'pf2026'"
        ]
    return cleaned


def _clean_sending(cleaned: dict[str, object], errors: dict[str, list[str]]) -> None:
    if "send_window" in cleaned:
        text = cleaned.pop("send_window")
        try:
            days, opens, closes = parse_window(str(text))
        except WindowProblem as problem:
            errors["send_window"] = [str(problem)]
        else:
            cleaned.update(send_days=days, send_opens_at=opens, send_closes_at=closes)
    for name in CAPS:
        if name in cleaned:
            try:
                cleaned[name] = _cap(cleaned[name])
            except ValueError:
                errors[name] = [
                    f"{cleaned[name]!r} is not a number of mails: give a whole number, "
                    "or 'none' (or 0) for no cap"
                ]


def _cap(value: object) -> int | None:
    """A cap from the command line or code: a positive number, or None for no cap."""
    if value is None or (isinstance(value, str) and value.lower() in {"", "none", "no"}):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    number = int(value) if isinstance(value, int) else int(str(value), 10)
    if number < 0:
        raise ValueError(value)
    return number or None


def _full_clean(library: Library, errors: dict[str, list[str]]) -> None:
    """The model's own checks (lengths) for fields not already found wrong; raises all."""
    try:
        library.full_clean(exclude=[*errors, "code"], validate_unique=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
