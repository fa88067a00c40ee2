"""Forms of the staff screens; labels are translated, checks that matter live in services."""

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from patronflow.journeys.definitions import MAX_HOLDOUT_PERCENT
from patronflow.members.import_columns import KINDS
from patronflow.members.import_snapshots import MAX_ENDED_SHARE, percent
from patronflow.members.models import Library
from patronflow.members.windows import WindowProblem, day_words, describe_window, parse_window
from patronflow.profiles.models import Segment
from patronflow.staff.models import StaffProfile
from patronflow.templating.sandbox import MAX_SOURCE


def body_too_long(length: int | None = None) -> str:
    """A body over the render budget's text limit (templating/sandbox.py MAX_SOURCE), how long it
    is when known (a post too large to read is not counted)."""
    limit = number_format(MAX_SOURCE, force_grouping=True)
    if length is None:
        return _(
            "This text is far longer than a mail's body may be: it may have at most "
            "%(limit)s characters. Make it shorter."
        ) % {"limit": limit}
    return _(
        "This text is %(length)s characters long; a mail's body may have at most %(limit)s. "
        "Make it shorter."
    ) % {"length": number_format(length, force_grouping=True), "limit": limit}


class MailForm(forms.Form):
    """Subject and preheader of a mail; its content is its blocks (staff/block_editor.py)."""

    subject = forms.CharField(
        label=_("Subject"),
        max_length=300,
        help_text=_("Phones show about the first 60 characters."),
    )
    preheader = forms.CharField(
        label=_("Preheader"),
        max_length=300,
        required=False,
        help_text=_(
            "The line mail programs show after the subject; between 40 and 130 characters."
        ),
    )


class PreviewForm(MailForm):
    # Empty in a library without members: the preview is then a made-up member's.
    member = forms.IntegerField(label=_("Preview as"), required=False)


class TipChoiceForm(forms.Form):
    """A pin or exclusion of one catalogued work, for one segment or ('') all; or the undo of
    a stored choice."""

    action = forms.ChoiceField(choices=[("pin", "pin"), ("exclude", "exclude"), ("forget", "")])
    title = forms.CharField(max_length=500, required=False)
    author = forms.CharField(max_length=300, required=False)
    choice = forms.IntegerField(required=False)  # the stored choice to forget
    segment = forms.ChoiceField(choices=[("", ""), *Segment.choices], required=False)


class TipSearchForm(forms.Form):
    q = forms.CharField(label=_("Title, author or ISBN"), max_length=200)


class HoldoutForm(forms.Form):
    holdout_percent = forms.IntegerField(
        label=_("Holdout (never mailed, for comparison)"),
        min_value=0,
        max_value=MAX_HOLDOUT_PERCENT,
        help_text=_("Percent of the members entering; 0 to mail everyone."),
    )


KIND_LABELS = {
    "members": _("Members"),
    "items": _("Items (catalogue)"),
    "loans": _("Loans"),
    "visits": _("Visits (entrance gate, check-in, desk)"),
}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[(kind, KIND_LABELS[kind]) for kind in KINDS],
    )
    file = forms.FileField(label=_("CSV file"))
    snapshot = forms.BooleanField(label=_("The complete membership"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "At most %(size)s; larger exports are imported on the server with patronflow import."
        ) % {"size": filesizeformat(settings.STAFF_UPLOAD_MAX_BYTES)}
        self.fields["snapshot"].help_text = _(
            "Members only. Members who are not in the file get their membership ended today. "
            "Refused when that would end more than %(share)s of the running memberships, or "
            "when most of the file's member ids are not this library's."
        ) % {"share": percent(MAX_ENDED_SHARE)}

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > settings.STAFF_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _(
                    "This file is %(size)s; at most %(limit)s can be uploaded. Import larger "
                    "exports on the server with patronflow import."
                )
                % {
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.STAFF_UPLOAD_MAX_BYTES),
                }
            )
        return upload

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("snapshot") and cleaned.get("kind") != "members":
            self.add_error("snapshot", _("Only a file of members can be the complete membership."))
        return cleaned


class LookupForm(forms.Form):
    q = forms.CharField(label=_("Member id or e-mail address"), max_length=254)


class EraseForm(forms.Form):
    """Erasure cannot be undone: the admin types the member id to confirm it."""

    confirm = forms.CharField(
        label=_("Type the member id to confirm"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, external_id: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.external_id = external_id

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.external_id:
            raise forms.ValidationError(_("That is not this member's id; nothing is erased."))
        return typed


def _https_by_default(field: models.Field, **kwargs) -> forms.Field | None:
    """Web addresses typed without a scheme are https (Django 6's default, today)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


# What is wrong with a send window (windows.WindowProblem.reason), in the interface's words.
WINDOW_PROBLEMS = {
    "unreadable": _(
        "“%(part)s” is not a send window: write the days, then the hours, e.g. "
        "mon-fri 09:00-18:00 or mon,wed,sat 10:00-16:00."
    ),
    "day": _(
        "“%(part)s” is not a day or a range of days: write %(days)s or the days in full, "
        "e.g. mon-fri or mon,wed,fri."
    ),
    "backwards": _("“%(part)s” runs backwards: write the days from Monday on."),
    "time": _("“%(part)s” is not a time of day: write HH:MM, e.g. 09:00."),
    "order": _("%(part)s closes before it opens: a window closes later on the same day."),
}


def _window_problem(problem: WindowProblem) -> str:
    """The problem in the interface's language (the command line's message is English)."""
    message = WINDOW_PROBLEMS.get(problem.reason)
    if message is None:
        return str(problem)
    days = ", ".join(short for short, _full in day_words(get_language()))
    return message % {"part": problem.part, "days": days}


class LibrarySettingsForm(forms.ModelForm):
    """Every setting a marketer may change; operations.libraries.change_library checks and saves
    them, so the screen and `patronflow library set` refuse the same things."""

    send_window = forms.CharField(
        label=_("Send window"),
        max_length=100,
        help_text=_(
            "Days and hours mails may leave, e.g. mon-fri 09:00-18:00 or mon,wed,sat 10:00-16:00; "
            "days may be written in full."
        ),
    )

    class Meta:
        formfield_callback = _https_by_default
        model = Library
        fields = [
            "sender_name", "sender_email", "privacy_url", "profile_url", "survey_url",
            "catalogue_url", "track_opens", "track_clicks",
            "dkim_selector", "time_zone", "member_weekly_cap", "daily_cap", "four_eyes",
        ]  # fmt: skip
        labels = {
            "sender_name": _("Sender name"),
            "sender_email": _("Sender address"),
            "privacy_url": _("Privacy statement (web address)"),
            "profile_url": _("Mijn Bibliotheek profile (web address)"),
            "survey_url": _("Survey (web address)"),
            "catalogue_url": _("Catalogue search for reading tips"),
            "track_opens": _("Count opened mails (needs the members' consent)"),
            "track_clicks": _("Count clicks on links in mails"),
            "dkim_selector": _("DKIM selector"),
            "time_zone": _("Time zone of the send window"),
            "member_weekly_cap": _("Mails per member in any 7 days, at most"),
            "daily_cap": _("Mails from the library per day, at most"),
            "four_eyes": _("Four eyes: changes wait for the other staff member's approval"),
        }
        help_texts = {
            "track_clicks": _("Off: links in mails go straight to their destination."),
            "catalogue_url": _(
                "The address of a search in your catalogue, with {isbn}, {title} or {author} "
                "where the search goes, e.g. https://gent.bibliotheek.be/zoeken?q={isbn}. "
                "Each reading tip links there."
            ),
            "dkim_selector": _(
                "The name of the DKIM key in the sender domain's DNS, e.g. pf2026 "
                "(ask whoever runs the mail server)."
            ),
            "time_zone": _("An IANA name, like Europe/Brussels."),
            "member_weekly_cap": _("Empty or 0: no cap."),
            "daily_cap": _("Empty or 0: no cap; the rest wait for the next day."),
            "four_eyes": _(
                "A broadcast being scheduled, a journey being activated and a change to a "
                "running journey go active only once the library's other marketer (or a "
                "network admin) approves them."
            ),
        }
        widgets = {
            "member_weekly_cap": forms.NumberInput(attrs={"min": 0}),
            "daily_cap": forms.NumberInput(attrs={"min": 0}),
        }

    def __init__(self, *args, may_switch_off_four_eyes: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["send_window"].initial = self.instance.send_window.describe(get_language())
        if self.instance.four_eyes and not may_switch_off_four_eyes:
            # Otherwise one marketer alone could switch it off and then act alone.
            four_eyes = self.fields["four_eyes"]
            four_eyes.disabled = True
            four_eyes.help_text = _(
                "On. Only a network admin can switch it off, so that nobody does it alone."
            )

    def clean_send_window(self) -> str:
        """A window in the interface's words ('ma-vr 09:00-18:00') or the command line's,
        passed on in the command line's, which members.details.apply_changes reads."""
        try:
            days, opens, closes = parse_window(self.cleaned_data["send_window"], get_language())
        except WindowProblem as problem:
            raise forms.ValidationError(_window_problem(problem)) from None
        return describe_window(days, opens, closes)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].replace(" ", "")


class StaffAccountForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=StaffProfile.Role.choices)
    library = forms.ModelChoiceField(
        label=_("Library"), queryset=Library.objects.order_by("code"), required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["library"].label_from_instance = lambda library: library.name


class SegmentForm(forms.Form):
    """A saved segment's name and key; its conditions come from the audience builder."""

    name = forms.CharField(label=_("Name"), max_length=200)
    key = forms.RegexField(
        label=_("Key"),
        max_length=50,
        regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        error_messages={"invalid": _("Lowercase letters, digits and hyphens only.")},
        help_text=_(
            "How journey and broadcast definitions name the segment, e.g. ebook-readers. "
            "It cannot be changed later."
        ),
    )


class ComparisonLibrariesForm(forms.Form):
    """The network admin's choice of the libraries one library's loans are compared with."""

    libraries = forms.ModelMultipleChoiceField(
        queryset=Library.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, library: Library, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["libraries"].queryset = Library.objects.exclude(pk=library.pk)
