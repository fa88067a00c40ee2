"""Members' own choices: the lists (topics) a library mails on, who left or joined which,
people who are not members and asked for one list, and the record of every choice.

A member who has chosen nothing for a list gets what the list does by default: the lists
members are on unless they leave (the welcome series, the newsletter) and the lists they are
only on when they ask (`members_join_by_default` off). A service list carries mail the
library sends about the membership itself: it cannot be left on its own, only with "no more
mails from the library" (Member.unsubscribed_at); docs/privacy.md says why.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language

from patronflow.members.models import Library, Member


class MailingList(models.Model):
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="mailing_lists")
    key = models.SlugField(max_length=50)
    # As members read it on the preference page, in Dutch and (when given) in English.
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=300, blank=True)
    description_en = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    service = models.BooleanField(
        default=False,
        help_text="Mail about the membership itself (e.g. the notice that an account will be "
        "removed): not left on its own, only with 'no more mails from the library'.",
    )
    members_join_by_default = models.BooleanField(
        default=True,
        help_text="On: every member receives it until they leave. Off: only members who "
        "join it (preference page or sign-up form).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["library", "key"], name="list_key_unique_per_library")
        ]
        ordering = ["library", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.library.code}/{self.key}"

    def name_in(self, language: str | None = None) -> str:
        english = (language or get_language() or "nl").startswith("en")
        return self.name_en if english and self.name_en else self.name

    def description_in(self, language: str | None = None) -> str:
        english = (language or get_language() or "nl").startswith("en")
        return self.description_en if english and self.description_en else self.description


class ListChoice(models.Model):
    """A member's own choice for one list; no row: the list's default."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="list_choices")
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="member_choices"
    )
    receives = models.BooleanField()
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "member"], name="one_choice_per_member_and_list"
            )
        ]
        indexes = [models.Index(fields=["member", "mailing_list"])]

    def __str__(self) -> str:
        return f"{self.member_id} {'receives' if self.receives else 'left'} {self.mailing_list_id}"


class Contact(models.Model):
    """Somebody who signed up for one list through the library's form and is not known as a
    member: an address, the list and the double opt-in's state, nothing more."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="contacts")
    mailing_list = models.ForeignKey(MailingList, on_delete=models.CASCADE, related_name="contacts")
    email = models.CharField(max_length=254)
    language = models.CharField(max_length=8, default="nl")
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "email"], name="one_contact_per_list_and_address"
            )
        ]

    def __str__(self) -> str:
        return f"contact {self.pk} of {self.mailing_list}"


class ConsentRecord(models.Model):
    """What was chosen, when, how and through which wording (choices/texts.py): the proof
    of each choice, kept with the member or contact it is about and erased with them."""

    class Choice(models.TextChoices):
        JOINED = "joined", "Joined the list"
        LEFT = "left", "Left the list"
        STOPPED_ALL = "stopped_all", "No more mails from the library"
        RESUMED_ALL = "resumed_all", "Mails from the library again"
        REQUESTED = "requested", "Asked to join (not yet confirmed)"
        CONFIRMED = "confirmed", "Confirmed the sign-up"

    class Source(models.TextChoices):
        ONE_CLICK = "one_click", "One-click unsubscribe (RFC 8058)"
        LINK = "link", "Link in a mail"
        PREFERENCES = "preferences", "Preference page"
        SIGNUP_FORM = "signup_form", "Sign-up form"
        CONFIRMATION = "confirmation", "Confirmation link"
        MAIL_REPLY = "mail_reply", "Unsubscribe by mail"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="consents")
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, null=True, blank=True, related_name="consents"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="consents"
    )
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The list's name when chosen: the record still reads after the list is renamed or gone.
    list_name = models.CharField(max_length=100, blank=True)
    choice = models.CharField(max_length=12, choices=Choice.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    text_version = models.CharField(max_length=40)
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["member", "chosen_at"]),
            models.Index(fields=["contact", "chosen_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=True) | models.Q(contact__isnull=True),
                name="consent_for_member_or_contact",
            )
        ]

    def __str__(self) -> str:
        return f"{self.choice} {self.list_name} via {self.source} ({self.text_version})"


class SignupAttempt(models.Model):
    """One sign-up request, survey response or focus-group sign-up, counted against its
    form's limits (choices/signup.py) under a keyed hash of the address or of the client's
    network address, never either in clear; kept for a day, so every server process counts
    the same attempts."""

    class Kind(models.TextChoices):
        ADDRESS = "address", "E-mail address"
        CLIENT = "client", "Client network address"
        SURVEY = "survey", "Client network address, survey response"
        VOLUNTEER = "focus", "Client network address, focus-group sign-up"

    kind = models.CharField(max_length=7, choices=Kind.choices)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "key", "at"], name="signup_attempt_lookup"),
            models.Index(fields=["at"], name="signup_attempt_age"),
        ]

    def __str__(self) -> str:
        return f"sign-up attempt by {self.kind} at {self.at:%Y-%m-%d %H:%M}"
