"""The wording a member or contact chose through, by version: a consent record names one.

When the words on a page or in a form change in a way that changes what someone agrees to,
add a version here and point the page at it; earlier records keep naming the words they saw.
"""

TEXTS: dict[str, str] = {
    "one-click/1": (
        "RFC 8058 one-click unsubscribe in the mail program: leaves the list the mail's "
        "List-Id names."
    ),
    "leave-link/1": (
        "'Stop these mails?' page behind the unsubscribe link of a mail: "
        "'Je krijgt geen mails meer van deze lijst' / 'You will get no more mails from this "
        "list'."
    ),
    "preferences/1": (
        "Preference page: one choice per list, with its name and description, and 'Geen mails "
        "meer van de bibliotheek' / 'No more mails from the library'."
    ),
    "mail-reply/1": "An unsubscribe mail to the List-Unsubscribe mailto address.",
}

ONE_CLICK = "one-click/1"
LEAVE_LINK = "leave-link/1"
PREFERENCES = "preferences/1"
MAIL_REPLY = "mail-reply/1"

# Sign-up forms with double opt-in (choices/signup.py, docs/lists-and-signup.md).
SIGNUP_FORM = "signup-form/1"
CONFIRMATION = "confirmation/1"
TEXTS[SIGNUP_FORM] = (
    "Sign-up form of one list (on the library's website or patronflow's own page): e-mail "
    "address and 'Ja, ik wil de mails van <lijst> van <bibliotheek> ontvangen. Je krijgt eerst "
    "een mail om dat te bevestigen; uitschrijven kan altijd.' / 'Yes, I want to receive "
    "<list> from <library>. You first get a mail to confirm it; you can always leave.'"
)
TEXTS[CONFIRMATION] = (
    "Confirmation page behind the link in the one confirmation mail: 'Ja, ik wil deze mails "
    "ontvangen' / 'Yes, I want to receive these mails' button."
)
