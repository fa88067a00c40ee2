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
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patronflow.journeys.audiences import ALL, ANY, NOT, SAVED_SEGMENT
from patronflow.journeys.definitions import InvalidJourney
from patronflow.journeys.diffs import Change
from patronflow.journeys.models import Journey, Step, Version
from patronflow.members import windows
from patronflow.members.models import Library
from patronflow.profiles.models import Segment
from patronflow.staff.audience_builder import LABELS, MODES, NONE, AudienceBuilder
from patronflow.staff.forms import body_too_long
from patronflow.staff.templatetags.staff import segment_label
from patronflow.templating.sandbox import MAX_SOURCE

MAX_STEPS = 30  # more mails than any journey needs; bounds what a post can make us build
SAVE, REVIEW = "save", "review"
FINISH, MOVE = "finish", "move"
EXIT_LABELS = {
    Version.Exit.CAME_BACK: gettext_lazy("They come back (a loan or a visit)"),
    Version.Exit.ONLINE_PROFILE: gettext_lazy("They make a “Mijn Bibliotheek” profile"),
    Version.Exit.BOUNCED: gettext_lazy("Their address bounces"),
}


# No max_length on the texts: a browser would cut a longer paste off without a word; the
# definition's own check says how long it may be, on the field.


class SettingsForm(forms.Form):
    """The journey as a whole: its key (new journeys only), name, language, who leaves,
    re-entry, holdout and, for a broadcast, its moment."""

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
    exit_when = forms.MultipleChoiceField(
        label=gettext_lazy("Members also leave when"),
        choices=list(EXIT_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "Unsubscribing, an ended membership and no longer being mailable always end it."
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
    send_at = forms.DateTimeField(
        label=gettext_lazy("Goes out at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("In the library's time zone."),
    )

    def __init__(self, *args, new: bool, broadcast: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not new:
            del self.fields["key"]
        if broadcast:
            del self.fields["reentry_after_days"]
        else:
            del self.fields["send_at"]


class StepForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the mail"), required=False)
    wait_days = forms.IntegerField(label=gettext_lazy("Wait (days)"), required=False)
    wait_from = forms.ChoiceField(
        label=gettext_lazy("Counted from"),
        choices=[
            (Step.WaitFrom.ENTRY, gettext_lazy("entering the journey")),
            (Step.WaitFrom.PREVIOUS, gettext_lazy("the previous mail")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )


class VariantForm(forms.Form):
    segment = forms.CharField(widget=forms.HiddenInput, required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), required=False)
    preheader = forms.CharField(
        label=gettext_lazy("Preheader"),
        required=False,
        help_text=gettext_lazy("The line mail programs show after the subject."),
    )
    body = forms.CharField(
        label=gettext_lazy("Body"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "true"}),
        required=False,
    )
    with_reading_tips = forms.BooleanField(label=gettext_lazy("Add reading tips"), required=False)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if len(body) > MAX_SOURCE:
            raise forms.ValidationError(body_too_long(len(body)))
        return body


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

    @property
    def label(self) -> str:
        return segment_label(self.segment)


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


def blank_step(steps: list[dict]) -> dict:
    """A new mail after the others: a week after the last one, one variant for everyone."""
    last = steps[-1] if steps else None
    wait = (_number(last.get("wait_days")) + 7) if last else 0
    if last and last.get("wait_from") == Step.WaitFrom.PREVIOUS:
        wait = 7
    return {
        "name": "",
        "wait_days": wait,
        "wait_from": last.get("wait_from", Step.WaitFrom.ENTRY) if last else Step.WaitFrom.ENTRY,
        "variants": [blank_variant("")],
    }


def blank_variant(segment: str) -> dict:
    return {
        "segment": segment,
        "subject": "",
        "preheader": "",
        "body": "",
        "with_reading_tips": False,
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
        "steps": [blank_step([])],
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
                "with_reading_tips": bool(data.get(f"{prefix}-variant-{number}-with_reading_tips")),
            }
            for number in range(_count(data, f"{prefix}-variants", len(Segment.values) + 1))
        ]
        steps.append(
            {
                "name": data.get(f"{prefix}-name", ""),
                "wait_days": data.get(f"{prefix}-wait_days", ""),
                "wait_from": data.get(f"{prefix}-wait_from", Step.WaitFrom.ENTRY),
                "variants": variants,
            }
        )
    return {
        "key": data.get("key", ""),
        "name": data.get("name", ""),
        "language": data.get("language", settings.LANGUAGE_CODE),
        "exit_when": data.getlist("exit_when"),
        "reentry_after_days": data.get("reentry_after_days", ""),
        "holdout_percent": data.get("holdout_percent", ""),
        "send_at": data.get("send_at", ""),
        "steps": steps,
    }


def apply_action(draft: dict, action: str, data: QueryDict) -> None:
    """Change the draft's shape as a button asked: add_step, remove_step:I, up:I, down:I,
    add_variant:I (the segment chosen beside it), remove_variant:I:J."""
    name, _, rest = action.partition(":")
    places = [_number(part) for part in rest.split(":")] if rest else []
    steps = draft["steps"]
    if name == "add_step" and len(steps) < MAX_STEPS:
        steps.append(blank_step(steps))
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
            variants.append(blank_variant(segment))
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
        "exit_when": list(definition.get("exit_when") or []),
        "reentry_after_days": definition.get("reentry_after_days"),
        "holdout_percent": definition.get("holdout_percent", 0),
        "send_at": send_at,
        "steps": [
            {
                "name": step.get("name", ""),
                "wait_days": step.get("wait_days", 0),
                "wait_from": step.get("wait_from", Step.WaitFrom.ENTRY),
                "variants": [{**blank_variant(""), **v} for v in step.get("variants") or []],
            }
            for step in definition.get("steps") or []
        ],
    }


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


def change_lines(changes: list[Change], segments: dict[str, str]) -> list[tuple[str, str]]:
    """Each change's sentence, and for the entry audience what it was and became in words."""
    lines = []
    for change in changes:
        detail = ""
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
        case ("steps", int(step), "name" | "wait_days" | "wait_from" as name):
            return f"step-{step}-{name}"
        case ("steps", int(step), *_):
            return f"step-{step}"
        case ("steps", *_):
            return "steps"
        case ("entry", *_):
            return "entry"
        case (str(name), *_) if name in SETTING_FIELDS:
            return name
    return ""


SETTING_FIELDS = (
    "key",
    "name",
    "language",
    "exit_when",
    "reentry_after_days",
    "holdout_percent",
    "send_at",
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
        self.builder = AudienceBuilder(
            data=data, prefix="entry", initial=initial.get("entry") or {}, library=library
        )
        self.action = (data.get("action") if data is not None else "") or ""
        options = {"new": journey is None, "broadcast": self.is_broadcast}
        if data is None:
            self._show(draft_from_definition(initial, library), options)
            self.members_form = MembersForm()
            return
        if self.action in (SAVE, REVIEW):
            self.settings_form = SettingsForm(data, **options)
            self.steps = self._bound_steps(data)
            self.members_form = MembersForm(data)
            return
        draft = draft_from_post(data)
        apply_action(draft, self.action, data)
        self._show(draft, options)
        self.members_form = MembersForm(data)

    @property
    def is_broadcast(self) -> bool:
        return self.kind == Journey.Kind.BROADCAST

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
                StepForm(initial=step, prefix=f"step-{index}"),
                [
                    VariantRow(
                        VariantForm(initial=variant, prefix=f"step-{index}-variant-{number}"),
                        variant["segment"],
                    )
                    for number, variant in enumerate(step["variants"])
                ],
                index,
            )
            for index, step in enumerate(draft["steps"])
        ]

    def _bound_steps(self, data: QueryDict) -> list[StepRow]:
        rows = []
        for index in range(_count(data, "steps", MAX_STEPS)):
            variants = []
            for number in range(_count(data, f"step-{index}-variants", len(Segment.values) + 1)):
                form = VariantForm(data, prefix=f"step-{index}-variant-{number}")
                variants.append(VariantRow(form, data.get(f"{form.prefix}-segment", "")))
            rows.append(StepRow(StepForm(data, prefix=f"step-{index}"), variants, index))
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
        return {
            "name": data["name"],
            "wait_days": 0 if self.is_broadcast else wait,
            "wait_from": data["wait_from"] or Step.WaitFrom.ENTRY,
            "variants": [variant.form.cleaned_data for variant in row.variants],
        }

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
