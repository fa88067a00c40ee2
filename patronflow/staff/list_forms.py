"""The form of a library's list: its names and descriptions in Dutch and English, and who
receives it (one choice for the two settings it stands for)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from patronflow.choices.lists import members_who_left
from patronflow.choices.models import MailingList
from patronflow.reports.suppression import is_small

EVERYONE, WHO_JOINS, SERVICE = "everyone", "who_joins", "service"
RECEIVERS = {
    EVERYONE: {"service": False, "members_join_by_default": True},
    WHO_JOINS: {"service": False, "members_join_by_default": False},
    SERVICE: {"service": True, "members_join_by_default": True},
}


def _length(name: str) -> int:
    return MailingList._meta.get_field(name).max_length


class ListForm(forms.Form):
    # The list being edited (ListForm.for_list); None for a new one.
    mailing_list: MailingList | None = None
    name = forms.CharField(label=_("Name (Dutch)"), max_length=_length("name"))
    name_en = forms.CharField(
        label=_("Name (English)"),
        max_length=_length("name_en"),
        required=False,
        help_text=_("Members who read their mails in English see this; empty: the Dutch name."),
    )
    description = forms.CharField(
        label=_("Description (Dutch)"),
        max_length=_length("description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One sentence on what the list brings, on the sign-up form and the preference page."
        ),
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        max_length=_length("description_en"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    receivers = forms.ChoiceField(
        label=_("Who receives it"),
        widget=forms.RadioSelect,
        initial=EVERYONE,
        help_text=_(
            "A change counts at once: members who never chose for this list get what it now "
            "does by default. A list that members left cannot become a service list."
        ),
        choices=[
            (EVERYONE, _("Every member, unless they leave it (e.g. the newsletter)")),
            (WHO_JOINS, _("Only who joins it: on the preference page or the sign-up form")),
            (
                SERVICE,
                _(
                    "Service mail about the membership itself (e.g. that an account will be "
                    "removed): every member who wants mail from the library gets it; it "
                    "cannot be left on its own and has no sign-up form"
                ),
            ),
        ],
    )

    @classmethod
    def for_list(cls, mailing_list: MailingList, data=None) -> "ListForm":
        receivers = next(
            key
            for key, settings in RECEIVERS.items()
            if settings
            == {
                "service": mailing_list.service,
                "members_join_by_default": mailing_list.members_join_by_default
                or mailing_list.service,
            }
        )
        initial = {
            "name": mailing_list.name,
            "name_en": mailing_list.name_en,
            "description": mailing_list.description,
            "description_en": mailing_list.description_en,
            "receivers": receivers,
        }
        form = cls(data, initial=initial)
        form.mailing_list = mailing_list
        return form

    def clean_receivers(self) -> str:
        """A service list reaches every member who wants mail, so it would mail again the
        members who left this list: refused while anybody has left it."""
        receivers = self.cleaned_data["receivers"]
        current = self.mailing_list
        if receivers == SERVICE and current is not None and not current.service:
            left = members_who_left(current)
            if left:
                raise forms.ValidationError(refusal(left))
        return receivers

    def values(self) -> dict:
        """What choices/lists.py stores."""
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "name_en": data["name_en"].strip(),
            "description": data["description"].strip(),
            "description_en": data["description_en"].strip(),
            **RECEIVERS[data["receivers"]],
        }


def refusal(left: int) -> str:
    """Why a list that members left stays what it is; from 1 to 9 as "fewer than 10", as
    every count of members on the staff's screens."""
    if is_small(left):
        return str(
            _(
                "Fewer than 10 members left this list: as service mail it would reach them "
                "again. Put the service mail on a list of its own."
            )
        )
    return ngettext(
        "%(count)s member left this list: as service mail it would reach them again. Put "
        "the service mail on a list of its own.",
        "%(count)s members left this list: as service mail it would reach them again. Put "
        "the service mail on a list of its own.",
        left,
    ) % {"count": left}
