"""The journey editor: one form holding a whole definition, as the outline shows it.

The form only carries the definition: every check that matters is the definition's own
(journeys/definitions.py), run when it is saved through the same install as a YAML import.
Its refusal names the part of the definition it is about (`InvalidJourney.field`), and the
editor shows it on that field. The buttons that add, remove or move a mail or a variant are
submit buttons (`name="action"`): the view renders the form again from the posted state,
changed as asked, and saves nothing — so the editor works without JavaScript.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from patronflow.choices.models import MailingList
from patronflow.choices.queries import lists_of
from patronflow.choices.services import DEFAULT_LIST, standard_lists
from patronflow.journeys.audiences import ALL, ANY, NOT, SAVED_SEGMENT
from patronflow.journeys.definitions import EVENT_STEPS, InvalidJourney
from patronflow.journeys.diffs import Change
from patronflow.journeys.models import Journey, Step, Variant, Version
from patronflow.members import windows
from patronflow.members.models import EVENT_TYPE, Library, MemberEvent
from patronflow.profiles.models import Segment
from patronflow.staff.audience_builder import LABELS, MODES, NONE, AudienceBuilder
from patronflow.staff.forms import body_too_long
from patronflow.staff.templatetags.staff import segment_label
from patronflow.templating.blocks import (
    BLOCK_TYPES,
    SHOW_IF_LABELS,
    from_html,
    has_reading_tips,
    normalised,
    validate,
)
from patronflow.templating.blocks import blank as blank_block
from patronflow.templating.sandbox import MAX_SOURCE

MAX_STEPS = 30  # more mails than any journey needs; bounds what a post can make us build
SAVE, REVIEW = "save", "review"
FINISH, MOVE = "finish", "move"
# How members enter a journey: by its entry conditions alone, or when an event arrives.
BY_CONDITIONS, ON_EVENT = "entry", "event"
EXAMPLE_EVENT_TYPE = "activity.registered"
EVENT_TYPES_SINCE_DAYS = 90
EXIT_LABELS = {
    Version.Exit.CAME_BACK: gettext_lazy("They come back (a loan or a visit)"),
    Version.Exit.ONLINE_PROFILE: gettext_lazy("They make a “Mijn Bibliotheek” profile"),
    Version.Exit.BOUNCED: gettext_lazy("Their address bounces"),
}


# No max_length on the texts: a browser would cut a longer paste off without a word; the
# definition's own check says how long it may be, on the field.


class SettingsForm(forms.Form):
    """The journey as a whole: its key (new journeys only), name, language, the list its
    mails go out on, who leaves, re-entry, holdout and, for a broadcast, its moment."""

    key = forms.CharField(
        label=gettext_lazy("Key"),
        required=False,
        help_text=gettext_lazy(
            "Lowercase letters, digits and hyphens; made from the name when left empty. It "
            "cannot be changed afterwards."
        ),
    )
    name = forms.CharField(label=gettext_lazy("Name"), required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the mails"), choices=settings.LANGUAGES
    )
    mailing_list = forms.ChoiceField(
        label=gettext_lazy("Mailing list"),
        help_text=gettext_lazy(
            "The list (topic) its mails go out on. Members who left that list get none of "
            "them; a list about the membership itself reaches everyone who still wants mail "
            "from the library."
        ),
    )
    exit_when = forms.MultipleChoiceField(
        label=gettext_lazy("Members also leave when"),
        choices=list(EXIT_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "Unsubscribing, leaving the journey's list, an ended membership and no longer "
            "being mailable always end it."
        ),
    )
    reentry_after_days = forms.IntegerField(
        label=gettext_lazy("Enter again after (days)"),
        required=False,
        help_text=gettext_lazy(
            "Days after their previous time in it ended; empty: a member enters once, ever."
        ),
    )
    holdout_percent = forms.IntegerField(
        label=gettext_lazy("Holdout (never mailed, for comparison)"),
        required=False,
        help_text=gettext_lazy("Percent of the members entering; 0 to mail everyone."),
    )
    start = forms.ChoiceField(
        label=gettext_lazy("Members enter"),
        choices=[
            (BY_CONDITIONS, gettext_lazy("by the entry conditions")),
            (ON_EVENT, gettext_lazy("when an event happens")),
        ],
        widget=forms.RadioSelect,
        initial=BY_CONDITIONS,
        required=False,
        help_text=gettext_lazy(
            "When an event happens (sent by the library's systems, e.g. a registration for an "
            "activity), the member enters once per event, if they also meet the conditions "
            "below. A changed choice shows its waits after “Apply the choice”."
        ),
    )
    on_event = forms.CharField(
        label=gettext_lazy("Type of event"),
        required=False,
        help_text=gettext_lazy(
            "As the library's systems send it: lowercase words joined by dots, e.g. "
            "activity.registered."
        ),
        widget=forms.TextInput(attrs={"list": "event-types", "autocomplete": "off"}),
    )
    send_at = forms.DateTimeField(
        label=gettext_lazy("Goes out at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("In the library's time zone."),
    )

    def __init__(self, *args, new: bool, broadcast: bool, library: Library, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        standard_lists(library)  # a library's first journey may come before its lists
        self.fields["mailing_list"].choices = [
            (mailing_list.key, mailing_list.name_in()) for mailing_list in lists_of(library)
        ]
        if not new:
            del self.fields["key"]
        if broadcast:
            del self.fields["reentry_after_days"]
            del self.fields["start"]
            del self.fields["on_event"]
        else:
            del self.fields["send_at"]

    def clean_on_event(self) -> str:
        on_event = self.cleaned_data["on_event"].strip()
        if on_event:
            try:
                EVENT_TYPE(on_event)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("An event type: lowercase words joined by dots, e.g. activity.registered.")
                ) from None
        return on_event

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("start") == ON_EVENT and cleaned.get("on_event") == "":
            self.add_error(
                "on_event",
                _("Give the type of event the journey starts on, e.g. activity.registered."),
            )
        return cleaned

    @property
    def starts_on_event(self) -> bool:
        """Whether the journey, as shown or posted, starts on an event."""
        if "start" not in self.fields:
            return False
        value = self.data.get("start") if self.is_bound else self.initial.get("start")
        return value == ON_EVENT


ORDINARY_WAITS = [
    (Step.WaitFrom.ENTRY, gettext_lazy("entering the journey")),
    (Step.WaitFrom.PREVIOUS, gettext_lazy("the previous mail")),
]
EVENT_WAITS = [
    (Step.WaitFrom.BEFORE_EVENT, gettext_lazy("days before a moment in the event")),
    (Step.WaitFrom.AFTER_EVENT, gettext_lazy("days after a moment in the event")),
]


class StepForm(forms.Form):
    """A mail's name and wait; the waits before or after a moment in the event (and the
    event's property that holds the moment) are offered only in a journey that starts on an
    event. Any wait is accepted when posted: the definition's own check says on the field
    when it does not fit the journey."""

    name = forms.CharField(label=gettext_lazy("Name of the mail"), required=False)
    wait_days = forms.IntegerField(label=gettext_lazy("Wait (days)"), required=False)
    wait_from = forms.ChoiceField(
        label=gettext_lazy("Counted from"),
        choices=ORDINARY_WAITS + EVENT_WAITS,
        widget=forms.RadioSelect,
        required=False,
    )
    event_property = forms.CharField(
        label=gettext_lazy("Moment in the event"),
        required=False,
        help_text=gettext_lazy(
            "The event's property that holds the moment, e.g. starts_at (when the activity "
            "starts). Only for a wait before or after a moment in the event."
        ),
    )

    def __init__(self, *args, event: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not event:
            self.fields["wait_from"].widget.choices = ORDINARY_WAITS
            del self.fields["event_property"]


class VariantForm(forms.Form):
    """A mail's subject and preheader; its content travels hidden, as its blocks (JSON: the
    mail designer edits them). A posted `body` of HTML (an older form, a script) stands
    for the blocks it reads as, as in a definition."""

    segment = forms.CharField(widget=forms.HiddenInput, required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), required=False)
    preheader = forms.CharField(
        label=gettext_lazy("Preheader"),
        required=False,
        help_text=gettext_lazy("The line mail programs show after the subject."),
    )
    blocks = forms.CharField(widget=forms.HiddenInput, required=False)
    body = forms.CharField(widget=forms.HiddenInput, required=False)
    with_reading_tips = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if len(body) > MAX_SOURCE:
            raise forms.ValidationError(body_too_long(len(body)))
        return body

    def clean(self) -> dict:
        """The blocks as the mail designer would check them: a mail without any, or with one
        it would refuse, is named here (the designer shows where)."""
        cleaned = super().clean()
        if "body" in cleaned:
            blocks = self.content()
            if not blocks:
                raise forms.ValidationError(_("This mail has no content yet: design it."))
            problems = validate(blocks)
            if problems:
                raise forms.ValidationError(
                    _("Block %(number)s: %(problem)s Design this mail to mend it.")
                    % {"number": _block_number(problems[0]), "problem": problems[0].text()}
                )
        return cleaned

    def content(self) -> list:
        """The mail's blocks, from a cleaned form."""
        data = self.cleaned_data
        return content_blocks(data["blocks"], data["body"], data["with_reading_tips"])


def _block_number(problem) -> str:
    """Where a problem is, as the designer numbers blocks: 3, or 2 (right column 1)."""
    numbers = [str(part + 1) for part in problem.path if isinstance(part, int)]
    return ".".join(numbers) or "1"


def content_blocks(blocks_json: str, body: str = "", with_reading_tips: bool = False) -> list:
    """Blocks as posted: a body's (when one is posted) or the hidden JSON's; unreadable JSON
    is no blocks (the definition's check then says the mail needs one)."""
    if body.strip():
        blocks = from_html(body)
    else:
        try:
            blocks = json.loads(blocks_json or "[]")
        except ValueError:
            blocks = []
        if not isinstance(blocks, list):
            blocks = []
    if with_reading_tips and not has_reading_tips(blocks):
        blocks = [*blocks, blank_block("reading_tips")]
    return blocks


def definition_blocks(variant: dict) -> list:
    """A definition's variant as blocks: its `blocks`, or its body read as blocks."""
    if variant.get("blocks"):
        return list(variant["blocks"])
    return content_blocks("", variant.get("body") or "", bool(variant.get("with_reading_tips")))


def _posted_content(data: QueryDict, prefix: str) -> dict:
    """A variant's content as posted: its hidden body and reading tips, and its blocks."""
    body = data.get(f"{prefix}-body", "")
    with_reading_tips = _flag(data.get(f"{prefix}-with_reading_tips"))
    return {
        "body": body,
        "with_reading_tips": with_reading_tips,
        "blocks": content_blocks(data.get(f"{prefix}-blocks", ""), body, with_reading_tips),
    }


def _flag(value: str | None) -> bool:
    """A posted yes: a hidden field's True, or a ticked box's on."""
    return value in ("True", "true", "on", "1")


def outline(blocks: list) -> list[str]:
    """A mail's blocks in a few words each, for the journey editor: what it is, how it
    begins, and to whom it is shown when not to everyone."""
    lines = []
    for block in blocks:
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            continue
        label = _(BLOCK_TYPES[kind].label)
        words = _first_words(block)
        line = f"{label}: {words}" if words else label
        if block.get("show_if") in SHOW_IF_LABELS and block.get("show_if"):
            line = f"{line} ({_(SHOW_IF_LABELS[block['show_if']]).lower()})"
        lines.append(line)
    return lines


def _first_words(block: dict) -> str:
    if block.get("type") == "columns":
        count = len(block.get("left") or []) + len(block.get("right") or [])
        return ngettext("%(count)s block", "%(count)s blocks", count) % {"count": count}
    text = ""
    for name in ("text", "html", "alt"):
        if isinstance(block.get(name), str) and block[name].strip():
            text = block[name]
            break
    if not text and block.get("items"):
        text = str(block["items"][0])
    return Truncator(" ".join(strip_tags(text).split())).chars(60)


class MembersForm(forms.Form):
    """What happens to members already on their way when the save makes a new version."""

    members = forms.ChoiceField(
        label=gettext_lazy("Members already on their way"),
        choices=[
            (
                FINISH,
                gettext_lazy("finish on the version they started; new members get the new one"),
            ),
            (
                MOVE,
                gettext_lazy("move to the new version now; mails already sent are not sent again"),
            ),
        ],
        widget=forms.RadioSelect,
        initial=FINISH,
        required=False,  # asked only when members are in the journey; unasked: they finish
    )


@dataclass
class VariantRow:
    form: VariantForm
    segment: str
    blocks: list = field(default_factory=list)
    saved: bool = False  # the journey has this mail and variant: the designer can open it

    @property
    def label(self) -> str:
        return segment_label(self.segment)

    @property
    def outline(self) -> list[str]:
        return outline(self.blocks)


@dataclass
class StepRow:
    form: StepForm
    variants: list[VariantRow]
    index: int
    problems: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def missing_segments(self) -> list[tuple[str, str]]:
        """The reading segments (and the fallback) this mail has no variant for yet."""
        have = {row.segment for row in self.variants}
        return [(s, segment_label(s)) for s in ["", *Segment.values] if s not in have]


def blank_step(steps: list[dict], language: str) -> dict:
    """A new mail after the others: a week after the last one, one variant for everyone."""
    last = steps[-1] if steps else None
    wait = (_number(last.get("wait_days")) + 7) if last else 0
    if last and last.get("wait_from") == Step.WaitFrom.PREVIOUS:
        wait = 7
    wait_from = last.get("wait_from", Step.WaitFrom.ENTRY) if last else Step.WaitFrom.ENTRY
    step = {"name": "", "wait_days": wait, "wait_from": wait_from}
    if wait_from in EVENT_STEPS:
        # After a mail before the event's moment, the next one most likely follows it.
        if wait_from == Step.WaitFrom.BEFORE_EVENT:
            step |= {"wait_days": 1, "wait_from": Step.WaitFrom.AFTER_EVENT}
        step["event_property"] = last.get("event_property", "")
    return step | {"variants": [blank_variant("", language)]}


# What a new mail starts from: a greeting and a paragraph to write over.
GREETINGS = {"nl": "Dag {{ first_name }},", "en": "Dear {{ first_name }},"}


def blank_variant(segment: str, language: str) -> dict:
    greeting = GREETINGS.get(language, GREETINGS["en"])
    return {
        "segment": segment,
        "subject": "",
        "preheader": "",
        "blocks": normalised(
            [{"type": "paragraph", "html": greeting}, {"type": "paragraph", "html": "…"}]
        ),
    }


def blank_definition(kind: str, language: str) -> dict:
    """What a new journey or broadcast starts from: one mail for everyone."""
    definition = {
        "key": "",
        "name": "",
        "kind": kind,
        "language": language,
        "entry": {},
        "exit_when": [],
        "reentry_after_days": None,
        "holdout_percent": 0,
        "steps": [blank_step([], language)],
    }
    if kind == Journey.Kind.BROADCAST:
        definition["send_at"] = None
    return definition


def _number(value: object) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _count(data: QueryDict, name: str, limit: int) -> int:
    return max(0, min(_number(data.get(name)), limit))


def draft_from_post(data: QueryDict) -> dict:
    """The definition as posted, values as typed: what the form shows again after a button
    that changes its shape."""
    steps = []
    for index in range(_count(data, "steps", MAX_STEPS)):
        prefix = f"step-{index}"
        variants = [
            {
                "segment": data.get(f"{prefix}-variant-{number}-segment", ""),
                "subject": data.get(f"{prefix}-variant-{number}-subject", ""),
                "preheader": data.get(f"{prefix}-variant-{number}-preheader", ""),
                "body": data.get(f"{prefix}-variant-{number}-body", ""),
                "with_reading_tips": _flag(
                    data.get(f"{prefix}-variant-{number}-with_reading_tips")
                ),
                "blocks": content_blocks(
                    data.get(f"{prefix}-variant-{number}-blocks", ""),
                    data.get(f"{prefix}-variant-{number}-body", ""),
                    _flag(data.get(f"{prefix}-variant-{number}-with_reading_tips")),
                ),
            }
            for number in range(_count(data, f"{prefix}-variants", len(Segment.values) + 1))
        ]
        steps.append(
            {
                "name": data.get(f"{prefix}-name", ""),
                "wait_days": data.get(f"{prefix}-wait_days", ""),
                "wait_from": data.get(f"{prefix}-wait_from", Step.WaitFrom.ENTRY),
                "event_property": data.get(f"{prefix}-event_property", ""),
                "variants": variants,
            }
        )
    return {
        "key": data.get("key", ""),
        "name": data.get("name", ""),
        "language": data.get("language", settings.LANGUAGE_CODE),
        "mailing_list": data.get("mailing_list", ""),
        "exit_when": data.getlist("exit_when"),
        "reentry_after_days": data.get("reentry_after_days", ""),
        "holdout_percent": data.get("holdout_percent", ""),
        "send_at": data.get("send_at", ""),
        "start": data.get("start", BY_CONDITIONS),
        "on_event": data.get("on_event", ""),
        "steps": steps,
    }


def apply_action(draft: dict, action: str, data: QueryDict) -> None:
    """Change the draft's shape as a button asked: add_step, remove_step:I, up:I, down:I,
    add_variant:I (the segment chosen beside it), remove_variant:I:J."""
    name, _, rest = action.partition(":")
    places = [_number(part) for part in rest.split(":")] if rest else []
    steps = draft["steps"]
    if name == "add_step" and len(steps) < MAX_STEPS:
        steps.append(blank_step(steps, draft["language"]))
        return
    if not places or not 0 <= places[0] < len(steps):
        return
    index = places[0]
    if name == "remove_step":
        del steps[index]
    elif name == "up" and index > 0:
        steps[index - 1], steps[index] = steps[index], steps[index - 1]
    elif name == "down" and index < len(steps) - 1:
        steps[index + 1], steps[index] = steps[index], steps[index + 1]
    elif name == "add_variant":
        segment = data.get(f"step-{index}-new_segment", "")
        variants = steps[index]["variants"]
        if segment in ["", *Segment.values] and segment not in [v["segment"] for v in variants]:
            variants.append(blank_variant(segment, draft["language"]))
    elif name == "remove_variant" and len(places) == 2:
        variants = steps[index]["variants"]
        if 0 <= places[1] < len(variants):
            del variants[places[1]]


def draft_from_definition(definition: dict, library: Library) -> dict:
    """A definition (exported, a preset or blank) as the form's initial values."""
    send_at = definition.get("send_at")
    if isinstance(send_at, str):
        send_at = dt.datetime.fromisoformat(send_at)
    if send_at is not None:
        send_at = timezone.localtime(send_at, windows.time_zone(library.time_zone))
        send_at = send_at.replace(tzinfo=None)
    return {
        "key": definition.get("key", ""),
        "name": definition.get("name", ""),
        "language": definition.get("language", settings.LANGUAGE_CODE),
        "mailing_list": definition.get("list") or DEFAULT_LIST,
        "exit_when": list(definition.get("exit_when") or []),
        "reentry_after_days": definition.get("reentry_after_days"),
        "holdout_percent": definition.get("holdout_percent", 0),
        "send_at": send_at,
        "start": ON_EVENT if definition.get("on_event") else BY_CONDITIONS,
        "on_event": definition.get("on_event", ""),
        "steps": [
            {
                "name": step.get("name", ""),
                "wait_days": step.get("wait_days", 0),
                "wait_from": step.get("wait_from", Step.WaitFrom.ENTRY),
                "event_property": step.get("event_property", ""),
                "variants": [
                    {
                        "segment": v.get("segment", ""),
                        "subject": v.get("subject", ""),
                        "preheader": v.get("preheader", ""),
                        "body": v.get("body") or "",
                        "with_reading_tips": bool(v.get("with_reading_tips")),
                        "blocks": definition_blocks(v),
                    }
                    for v in step.get("variants") or []
                ],
            }
            for step in definition.get("steps") or []
        ],
    }


def _variant(form: VariantForm) -> dict:
    """A variant as the definition holds it: its blocks (a posted body as such, which the
    definition reads as blocks itself)."""
    data = form.cleaned_data
    variant = {"segment": data["segment"], "subject": data["subject"]}
    variant["preheader"] = data["preheader"]
    if data["body"].strip():
        return variant | {"body": data["body"], "with_reading_tips": data["with_reading_tips"]}
    return variant | {"blocks": form.content()}


def key_from_name(name: str) -> str:
    """A key as definitions accept it: slugify keeps underscores and repeated hyphens, and
    a long name makes a key longer than a key may be."""
    key = re.sub(r"-+", "-", slugify(name).replace("_", "-")).strip("-")
    return key[: Journey._meta.get_field("key").max_length].rstrip("-")


def describe_audience(conditions: dict, segments: dict[str, str]) -> str:
    """An entry audience in words, for the outline: each condition with its value, groups
    in brackets; `segments` names the library's saved segments by key."""
    if not conditions:
        return _("Every member who may be mailed")
    parts = []
    for name, value in conditions.items():
        if name in (ALL, ANY):
            inner = "; ".join(describe_audience(part, segments) for part in value)
            parts.append(f"{MODES[name]}: ({inner})")
        elif name == NOT:
            parts.append(f"{MODES[NONE]}: ({describe_audience(value, segments)})")
        elif isinstance(value, bool):
            parts.append(f"{LABELS.get(name, name)}: {_('yes') if value else _('no')}")
        else:
            if name == SAVED_SEGMENT:
                shown = segments.get(value, value)
            elif isinstance(value, list):
                shown = ", ".join(map(str, map(segment_label, value)))
            else:
                shown = str(value)
            parts.append(str(LABELS.get(name, name)).replace("…", shown))
    return "; ".join(parts)


def change_lines(
    changes: list[Change], segments: dict[str, str], lists: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """Each change's sentence, and for the entry audience and the list (by `lists`, key →
    name) what it was and became in words."""
    lines = []
    for change in changes:
        detail = ""
        if change.field == "list" and lists:
            detail = _("%(before)s → %(after)s") % {
                "before": lists.get(change.before, change.before),
                "after": lists.get(change.after, change.after),
            }
        if change.field == "entry":
            before, after = json.loads(change.before), json.loads(change.after)
            detail = _("%(before)s → %(after)s") % {
                "before": describe_audience(before, segments),
                "after": describe_audience(after, segments),
            }
        lines.append((change.text, detail))
    return lines


def field_name(path: tuple) -> str:
    """The form field a definition's part is shown on: `step-1-wait_days`, `step-1` for a
    mail as a whole, `step-1-variant-0-subject`, `entry`, or '' (the top of the form)."""
    match path:
        case ("steps", int(step), "variants", int(variant), str(name)) if name != "segment":
            return f"step-{step}-variant-{variant}-{name}"
        case ("steps", int(step), "variants", int(variant), *_):
            return f"step-{step}-variant-{variant}"
        case ("steps", int(step), "name" | "wait_days" | "wait_from" | "event_property" as name):
            return f"step-{step}-{name}"
        case ("steps", int(step), *_):
            return f"step-{step}"
        case ("steps", *_):
            return "steps"
        case ("entry", *_):
            return "entry"
        case ("list", *_):
            return "mailing_list"
        case (str(name), *_) if name in SETTING_FIELDS:
            return name
    return ""


SETTING_FIELDS = (
    "key",
    "name",
    "language",
    "mailing_list",
    "exit_when",
    "reentry_after_days",
    "holdout_percent",
    "send_at",
    "on_event",
)


def problem_text(problem: InvalidJourney) -> str:
    """A refusal in the staff member's language, without the where (the field shows it)."""
    if not problem.reason:
        return str(problem)
    return _(problem.reason) % problem.params if problem.params else _(problem.reason)


class JourneyEditor:
    """The whole editor: settings, the entry audience (the audience builder), the mails with
    their variants, and — saving over a journey members are in — what happens to them.

    Bound to a POST, it renders the posted state (changed by the button pressed) or, on
    Save, builds the definition; unbound, it shows `initial`, a definition."""

    def __init__(
        self,
        data: QueryDict | None,
        *,
        library: Library,
        initial: dict,
        kind: str,
        journey: Journey | None = None,
        members_on_their_way: int = 0,
    ) -> None:
        self.library = library
        self.journey = journey
        self.kind = kind
        self.members_on_their_way = members_on_their_way
        self.problems: dict[str, list[str]] = {}
        list_key = (data.get("mailing_list") if data is not None else None) or initial.get("list")
        self.builder = AudienceBuilder(
            data=data,
            prefix="entry",
            initial=initial.get("entry") or {},
            library=library,
            mailing_list=MailingList.objects.filter(
                library=library, key=list_key or DEFAULT_LIST
            ).first(),
        )
        self.action = (data.get("action") if data is not None else "") or ""
        options = {"new": journey is None, "broadcast": self.is_broadcast, "library": library}
        if data is None:
            self._show(draft_from_definition(initial, library), options)
            self._mark_saved()
            self.members_form = MembersForm()
            return
        if self.action in (SAVE, REVIEW):
            self.settings_form = SettingsForm(data, **options)
            self.steps = self._bound_steps(data)
            self._mark_saved()
            self.members_form = MembersForm(data)
            return
        draft = draft_from_post(data)
        apply_action(draft, self.action, data)
        self._show(draft, options)
        self._mark_saved()
        self.members_form = MembersForm(data)

    @property
    def is_broadcast(self) -> bool:
        return self.kind == Journey.Kind.BROADCAST

    @property
    def starts_on_event(self) -> bool:
        return self.settings_form.starts_on_event

    @property
    def event_types(self) -> list[str]:
        """Suggestions for the type of event: those the library's systems sent in the last
        90 days, else the example."""
        since = timezone.now() - dt.timedelta(days=EVENT_TYPES_SINCE_DAYS)
        received = (
            MemberEvent.objects.filter(library=self.library, received_at__gte=since)
            .values_list("type", flat=True)
            .order_by("type")
            .distinct()
        )
        return list(received[:20]) or [EXAMPLE_EVENT_TYPE]

    @property
    def is_new(self) -> bool:
        return self.journey is None

    @property
    def wants_definition(self) -> bool:
        """Save or review: the posted definition is to be built and checked, not reshaped."""
        return self.action in (SAVE, REVIEW) and not self.builder.action_requested

    def _show(self, draft: dict, options: dict) -> None:
        self.settings_form = SettingsForm(initial=draft, **options)
        self.steps = [
            StepRow(
                StepForm(initial=step, prefix=f"step-{index}", event=self.starts_on_event),
                [
                    VariantRow(
                        VariantForm(
                            initial=variant | {"blocks": json.dumps(variant["blocks"])},
                            prefix=f"step-{index}-variant-{number}",
                        ),
                        variant["segment"],
                        variant["blocks"],
                    )
                    for number, variant in enumerate(step["variants"])
                ],
                index,
            )
            for index, step in enumerate(draft["steps"])
        ]

    def _mark_saved(self) -> None:
        """Which variants the mail designer can open: those of the saved journey."""
        if self.journey is None:
            return
        saved = set(
            Variant.objects.filter(step__version=self.journey.current_version).values_list(
                "step__position", "segment"
            )
        )
        for row in self.steps:
            for variant in row.variants:
                variant.saved = (row.number, variant.segment) in saved

    def _bound_steps(self, data: QueryDict) -> list[StepRow]:
        rows = []
        for index in range(_count(data, "steps", MAX_STEPS)):
            variants = []
            for number in range(_count(data, f"step-{index}-variants", len(Segment.values) + 1)):
                form = VariantForm(data, prefix=f"step-{index}-variant-{number}")
                blocks = _posted_content(data, form.prefix)["blocks"]
                segment = data.get(f"{form.prefix}-segment", "")
                variants.append(VariantRow(form, segment, blocks))
            step_form = StepForm(data, prefix=f"step-{index}", event=self.starts_on_event)
            rows.append(StepRow(step_form, variants, index))
        return rows

    def _forms(self) -> list[forms.Form]:
        return [
            self.settings_form,
            self.members_form,
            *(row.form for row in self.steps),
            *(variant.form for row in self.steps for variant in row.variants),
        ]

    def definition(self) -> dict | None:
        """The posted definition, or None when a field could not even be read (a word where
        a number goes; the field says so) or the audience is not complete."""
        valid = all([form.is_valid() for form in self._forms()])
        audience = self.builder.is_valid()
        if not (valid and audience):
            return None
        data = self.settings_form.cleaned_data
        definition = {
            "key": self._key(data),
            "name": data["name"],
            "kind": self.kind,
            "language": data["language"],
            "list": data["mailing_list"],
            "entry": self.builder.conditions,
            "exit_when": data["exit_when"],
            "holdout_percent": 0 if data["holdout_percent"] is None else data["holdout_percent"],
            "steps": [self._step(row) for row in self.steps],
        }
        if self.is_new:
            definition["status"] = Journey.Status.DRAFT
        if self.is_broadcast:
            definition["send_at"] = self._moment(data["send_at"])
        else:
            definition["reentry_after_days"] = data["reentry_after_days"]
            if data["start"] == ON_EVENT:
                definition["on_event"] = data["on_event"]
        return definition

    def _key(self, data: dict) -> str:
        if not self.is_new:
            return self.journey.key
        return data["key"] or key_from_name(data["name"])

    def _moment(self, value: dt.datetime | None) -> str | None:
        """The moment as typed, on the library's own clock."""
        if value is None:
            return None
        local = timezone.make_naive(value) if timezone.is_aware(value) else value
        zone = windows.time_zone(self.library.time_zone)
        return timezone.make_aware(local, zone).isoformat()

    def _step(self, row: StepRow) -> dict:
        data = row.form.cleaned_data
        wait = 0 if data["wait_days"] is None else data["wait_days"]
        wait_from = data["wait_from"] or Step.WaitFrom.ENTRY
        step = {
            "name": data["name"],
            "wait_days": 0 if self.is_broadcast else wait,
            "wait_from": wait_from,
        }
        if wait_from in EVENT_STEPS:
            # A property typed for a wait since changed back to entry is simply not kept.
            step["event_property"] = data.get("event_property", "").strip()
        return step | {"variants": [_variant(variant.form) for variant in row.variants]}

    @property
    def move_members(self) -> bool:
        return self.members_form.is_valid() and self.members_form.cleaned_data["members"] == MOVE

    def refuse(self, problem: InvalidJourney) -> None:
        """Show a refusal on the field it is about (the top of the form if none)."""
        self.add_problem(field_name(problem.field), problem_text(problem))

    def add_problem(self, name: str, text: str) -> None:
        self.problems.setdefault(name, []).append(text)
        if name in self.settings_form.fields:
            self.settings_form.add_error(name, text)
            return
        for row in self.steps:
            prefix = f"step-{row.index}"
            if name == prefix:
                row.problems.append(text)
                return
            if name.startswith(prefix + "-") and name[len(prefix) + 1 :] in row.form.fields:
                row.form.add_error(name[len(prefix) + 1 :], text)
                return
            for variant in row.variants:
                if name == variant.form.prefix:
                    variant.form.add_error(None, text)
                    return
                if name.startswith(variant.form.prefix + "-"):
                    variant.form.add_error(name[len(variant.form.prefix) + 1 :], text)
                    return

    @property
    def top_problems(self) -> list[str]:
        """Problems shown above the form: those of no field, of the mails as a whole and of
        the entry audience (the builder's own rows say what is wrong in it)."""
        return [text for name in ("", "steps") for text in self.problems.get(name, [])]

    @property
    def entry_problems(self) -> list[str]:
        return self.problems.get("entry", [])

    @property
    def has_problems(self) -> bool:
        return bool(self.problems) or any(form.is_bound and form.errors for form in self._forms())

    @property
    def asks_about_members(self) -> bool:
        return self.journey is not None and self.members_on_their_way > 0
