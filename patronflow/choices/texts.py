"""The wording a member or contact chose through, by version: a consent record names one.

When the words on a page or in a form change in a way that changes what someone agrees to,
add a version here and point the page at it; earlier records keep naming the words they saw.
"""

TEXTS: dict[str, str] = {
    "one-click/1": (
        "RFC 8058 one-click unsubscribe in the mail program: leaves the list the mail's "
        "List-Id names (a service list's mail: stops all mail from the library)."
    ),
    "leave-link/1": (
        "Page behind the unsubscribe link of a mail of a list: 'De mails van «<lijst>» "
        "stoppen? Dan stuurt <bibliotheek> je geen mails van «<lijst>» meer. Andere mails van "
        "de bibliotheek krijg je gewoon nog.' and the button 'Ja, stop deze mails' / 'Stop the "
        "mails of «<list>»? Then <library> sends you no more mails of «<list>». You still get "
        "the library's other mails.' and the button 'Yes, stop these mails'."
    ),
    "stop-all-link/1": (
        "Page behind the unsubscribe link of a mail of a service list: 'Geen mails meer van de "
        "bibliotheek? Deze mail hoort bij «<lijst>»: berichten over je lidmaatschap zelf. Die "
        "kun je niet apart stopzetten. Als je ze stopt, stuurt <bibliotheek> je helemaal geen "
        "mails meer: ook geen welkomstmails, nieuwsbrief of andere mails.' and the button 'Ja, "
        "stuur me geen mails meer' / 'No more mails from the library? This mail belongs to "
        "«<list>»: messages about your membership itself. These cannot be stopped on their own. "
        "If you stop them, <library> sends you no mails at all any more: no welcome mails, "
        "newsletter or other mails either.' and the button 'Yes, send me no more mails'."
    ),
    "preferences/1": (
        "Preference page: one choice per list, with its name and description, and 'Geen mails "
        "meer van de bibliotheek' / 'No more mails from the library'."
    ),
    "mail-reply/1": "An unsubscribe mail to the List-Unsubscribe mailto address.",
}

ONE_CLICK = "one-click/1"
LEAVE_LINK = "leave-link/1"
STOP_ALL_LINK = "stop-all-link/1"
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
