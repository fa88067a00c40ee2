"""The public sign-up form of a list and its double opt-in (docs/lists-and-signup.md).

`j/<library>/<list>` shows the form in the library's brand (GET) and takes a sign-up (POST),
from this page or from the same form embedded on the library's own website: so, like the
other public endpoints, no login, no cookies and no CSRF token (there is no session to ride
on). Every accepted request gets the same answer, "check your mailbox", whether the address
is a member's, is new, or confirmed the list before: the page never tells. The one mail a
request leads to is the confirmation, sent at once over the journeys' SMTP server; its link
`j/confirm/<token>` asks (GET: mail scanners follow links) and a press of the button (POST)
confirms. A filled-in honeypot is answered as a success and stores nothing.
"""

import logging
import uuid
from email.utils import formatdate

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patronflow.choices import signup
from patronflow.choices.models import Contact, MailingList
from patronflow.clients import request_client_address
from patronflow.mail import mime
from patronflow.mail.brand import brand_for
from patronflow.mail.dkim import signer_for
from patronflow.mail.smtp import SmtpServer, SmtpSession
from patronflow.privacy.models import Suppression
from patronflow.privacy.references import address_reference
from patronflow.tracking.services import choose_list
from patronflow.tracking.views import _invalid_link, _member_facing, _page

logger = logging.getLogger(__name__)
# The form's hidden field that people never see and robots fill in.
HONEYPOT = "website"


class SignupForm(forms.Form):
    email = forms.CharField(label=_("Je e-mailadres"), max_length=254)
    language = forms.ChoiceField(
        choices=[(code, code) for code in signup.LANGUAGES], required=False
    )

    def clean_email(self) -> str:
        address = signup.normalized_address(self.cleaned_data["email"])
        if address is None:
            raise forms.ValidationError(
                _("Dat is geen geldig e-mailadres. Kijk het even na, bv. naam@voorbeeld.be.")
            )
        return address


def _language(request: HttpRequest) -> str:
    asked = request.POST.get("language") or request.GET.get("lang") or ""
    return asked if asked in signup.LANGUAGES else signup.LANGUAGES[0]


def form_url(mailing_list: MailingList) -> str:
    """The form's absolute address, for the snippet on the library's website and the link."""
    return settings.BASE_URL + reverse(
        "tracking:signup", args=[mailing_list.library.code, mailing_list.key]
    )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_member_facing
def signup_form(request: HttpRequest, library: str, key: str) -> HttpResponse:
    mailing_list = signup.signup_list(library, key)
    if mailing_list is None:
        return _invalid_link(request)
    language = _language(request)

    def page(template: str, status: int = 200, **context) -> HttpResponse:
        return _page(
            request,
            template,
            mailing_list.library,
            status=status,
            language=language,
            mailing_list=mailing_list,
            list_name=mailing_list.name_in(language),
            list_description=mailing_list.description_in(language),
            **context,
        )

    if request.method != "POST":
        return page("tracking/signup.html", form=SignupForm(initial={"language": language}))
    if request.POST.get(HONEYPOT):
        return page("tracking/signup_sent.html")
    form = SignupForm(request.POST)
    if not form.is_valid():
        return page("tracking/signup.html", status=400, form=form)
    address = form.cleaned_data["email"]
    if not signup.attempt_allowed(address=address, client=request_client_address(request)):
        return page("tracking/signup_later.html", status=429, limited=True)
    contact = signup.request_signup(mailing_list, email=address, language=language)
    if contact is not None and not _suppressed(contact):
        try:
            send_confirmation(contact)
        except Exception:  # the request stays: asking again within the limits resends
            logger.exception("sign-up confirmation for %s could not be sent", mailing_list)
            return page("tracking/signup_later.html", status=503, limited=False)
    return page("tracking/signup_sent.html")


def _suppressed(contact: Contact) -> bool:
    """An address that bounced or complained at this library gets no confirmation either."""
    return Suppression.objects.filter(
        library_id=contact.library_id, address_ref=address_reference(contact.email)
    ).exists()


def confirmation_url(contact: Contact) -> str:
    return settings.BASE_URL + reverse(
        "tracking:signup_confirm", args=[signup.confirmation_token(contact)]
    )


def confirmation_mail(contact: Contact) -> bytes:
    """The confirmation mail's bytes: from the library, in the request's language, text and
    HTML, DKIM-signed when the library has a key. No tracking, no unsubscribe: it is the only
    mail an unconfirmed request ever gets."""
    mailing_list = contact.mailing_list
    library = mailing_list.library
    domain = library.sender_email.rpartition("@")[2]
    with translation.override(contact.language):
        context = {
            "library": library,
            "list_name": mailing_list.name_in(contact.language),
            "list_description": mailing_list.description_in(contact.language),
            "confirm_url": confirmation_url(contact),
            "days": signup.CONFIRM_WITHIN.days,
            "language": contact.language,
            "brand": brand_for(library),
        }
        subject = gettext("Bevestig je inschrijving voor %(list)s") % {"list": context["list_name"]}
        html = render_to_string("tracking/signup_mail.html", context | {"subject": subject})
        text = render_to_string("tracking/signup_mail.txt", context)
    headers = [
        ("From", mime.header_address(library.sender_name or library.name, library.sender_email)),
        ("To", mime.header_address("", contact.email)),
        ("Subject", mime.header_text(subject, "Subject")),
        ("Date", b" " + formatdate(usegmt=True).encode()),
        ("Message-ID", f" <pfs{contact.pk}.{uuid.uuid4().hex[:12]}@{domain}>".encode()),
        ("Auto-Submitted", b" auto-generated"),
        *mime.CONTENT_HEADERS,
    ]
    content = mime.body(text, html)
    signer = signer_for(domain, library.dkim_selector)
    prefix = signer.signature_header(headers, content) if signer else b""
    return mime.assemble(headers, content, prefix)


def send_confirmation(contact: Contact) -> None:
    """Send the one confirmation mail over the journeys' SMTP server (settings.SMTP_URL)."""
    library = contact.mailing_list.library
    with SmtpSession(SmtpServer.from_url(settings.SMTP_URL), timeout=15) as session:
        session.send(confirmation_mail(contact), library.sender_email, contact.email)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_member_facing
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners follow links); the button's POST confirms, once. A link with
    nothing behind it any more (erased, purged, already a member's choice, or a list that
    became service mail) gets a page that says just that, whichever it was."""
    found = signup.confirmation_for(token)
    if found is None:
        return _invalid_link(request)
    mailing_list = found.mailing_list
    if found.contact is None:
        return _page(request, "tracking/signup_gone.html", mailing_list.library)
    language = found.contact.language
    done = found.confirmed
    if request.method == "POST" and not done:
        signup.confirm(found.contact, choose=choose_list)
        done = True
    return _page(
        request,
        "tracking/signup_confirmed.html" if done else "tracking/signup_confirm.html",
        mailing_list.library,
        language=language,
        list_name=mailing_list.name_in(language),
    )
