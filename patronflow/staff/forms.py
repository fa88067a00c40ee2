"""Forms of the staff screens; labels are translated, checks that matter live in services."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from patronflow.members.imports import KINDS
from patronflow.members.models import Library
from patronflow.staff.models import StaffProfile


class MailForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300)
    preheader = forms.CharField(
        label=_("Preheader"),
        max_length=300,
        required=False,
        help_text=_("The line mail programs show after the subject."),
    )
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "true"}),
        help_text=_(
            "A little HTML (p, a, strong, em, ul, li, h2, h3) and placeholders such as "
            "{{ first_name }}."
        ),
    )
    with_reading_tips = forms.BooleanField(label=_("Add reading tips"), required=False)


class PreviewForm(MailForm):
    member = forms.IntegerField(label=_("Preview as"))


KIND_LABELS = {"members": _("Members"), "items": _("Items (catalogue)"), "loans": _("Loans")}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[(kind, KIND_LABELS[kind]) for kind in KINDS],
    )
    file = forms.FileField(label=_("CSV file"))


class LookupForm(forms.Form):
    q = forms.CharField(label=_("Member id or e-mail address"), max_length=254)


def _https_by_default(field: models.Field, **kwargs) -> forms.Field | None:
    """Web addresses typed without a scheme are https (Django 6's default, today)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class LibrarySettingsForm(forms.ModelForm):
    class Meta:
        formfield_callback = _https_by_default
        model = Library
        fields = [
            "sender_name", "sender_email", "privacy_url", "profile_url", "survey_url",
            "track_opens", "brand_colour", "logo_url",
        ]  # fmt: skip
        labels = {
            "sender_name": _("Sender name"),
            "sender_email": _("Sender address"),
            "privacy_url": _("Privacy statement (web address)"),
            "profile_url": _("Mijn Bibliotheek profile (web address)"),
            "survey_url": _("Survey (web address)"),
            "track_opens": _("Count opened mails (needs the members' consent)"),
            "brand_colour": _("Brand colour"),
            "logo_url": _("Logo (web address)"),
        }
        help_texts = {
            "brand_colour": _("Like #1f5f8b."),
            "logo_url": _("The logo on the library's own site."),
        }
        widgets = {"brand_colour": forms.TextInput(attrs={"type": "color"})}


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
