"""The forms of the Integrations screen: an API token's name and scopes, a webhook's address,
notices and description; and the words staff read for scopes, notices and delivery states."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patronflow import notices
from patronflow.api.models import ApiToken
from patronflow.webhooks.models import Delivery, Subscription
from patronflow.webhooks.subscriptions import SubscriptionError, checked_url

SCOPE_WORDS = {
    ApiToken.Scope.READ: gettext_lazy(
        "Read the campaign figures: totals per journey and mail, small numbers left out; "
        "no member's data."
    ),
    ApiToken.Scope.WRITE_MEMBERS: gettext_lazy(
        "Write members, items, loans and visits: what the nightly import does, as it happens."
    ),
    ApiToken.Scope.EVENTS: gettext_lazy(
        "Send events, such as a registration for an activity: they can start a journey."
    ),
}
SCOPE_NAMES = {
    ApiToken.Scope.READ: gettext_lazy("read figures"),
    ApiToken.Scope.WRITE_MEMBERS: gettext_lazy("write members"),
    ApiToken.Scope.EVENTS: gettext_lazy("send events"),
}
KIND_WORDS = {
    notices.LIST_LEFT: gettext_lazy("A member leaves a list"),
    notices.LIST_JOINED: gettext_lazy("A member joins a list"),
    notices.ALL_MAIL_STOPPED: gettext_lazy("A member stops all mail"),
    notices.ALL_MAIL_RESUMED: gettext_lazy("A member wants mail again"),
    notices.ADDRESS_SUPPRESSED: gettext_lazy("An address is no longer mailed (bounces)"),
    notices.COMPLAINT: gettext_lazy("A member marks a mail as spam"),
    notices.VOLUNTEER: gettext_lazy("Someone volunteers for the focus group"),
}
DELIVERY_WORDS = {
    Delivery.State.PENDING: gettext_lazy("waiting"),
    Delivery.State.DELIVERED: gettext_lazy("delivered"),
    Delivery.State.FAILED: gettext_lazy("given up"),
}


def scopes_in_words(scopes: list[str]) -> str:
    return ", ".join(str(SCOPE_NAMES.get(scope, scope)) for scope in scopes)


def kinds_in_words(kinds: list[str]) -> list[str]:
    return [str(KIND_WORDS.get(kind, kind)) for kind in kinds]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=gettext_lazy("Who uses it, e.g. “Website activities” or “Library system”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What it may do"),
        choices=list(SCOPE_WORDS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one thing it may do.")},
        help_text=gettext_lazy("Tick only what the system that uses it needs."),
    )


class SubscriptionForm(forms.Form):
    """A webhook's notices and description; a new one's address too."""

    url = forms.CharField(
        label=gettext_lazy("Address (URL)"),
        max_length=Subscription._meta.get_field("url").max_length,
        help_text=gettext_lazy(
            "Where patronflow posts each notice, e.g. https://bibliotheeksysteem.example/"
            "patronflow. It must start with https://."
        ),
        widget=forms.URLInput,
    )
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Notices it hears"),
        choices=list(KIND_WORDS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one of the notices.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description (optional)"),
        required=False,
        max_length=Subscription._meta.get_field("description").max_length,
        help_text=gettext_lazy("For colleagues: which system listens, and who looks after it."),
    )

    def __init__(self, *args, new: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not new:
            del self.fields["url"]

    def clean_url(self) -> str:
        try:
            return checked_url(self.cleaned_data["url"])
        except SubscriptionError as error:
            raise forms.ValidationError(_(str(error))) from None
