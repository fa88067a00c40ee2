"""Forms of the four-eyes and network-template screens (views/approvals.py, templates.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from patronflow.members.models import Library


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The colleague who asked reads it with your decision."),
    )


class OfferForm(forms.Form):
    """To whom the network admin offers a template: every library, or the ones ticked."""

    to_all = forms.TypedChoiceField(
        label=_("Offered to"),
        choices=[("yes", _("All libraries")), ("no", _("The libraries ticked below"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    libraries = forms.ModelMultipleChoiceField(
        label=_("Libraries"),
        queryset=Library.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("to_all") is False and not data.get("libraries"):
            self.add_error("libraries", _("Tick at least one library, or offer it to all."))
        return data


class TakeOverForm(forms.Form):
    move_members = forms.BooleanField(
        label=_("Move members on their way onto the new version"),
        required=False,
        help_text=_(
            "Otherwise they finish on the version they entered; new members get the new one."
        ),
    )
