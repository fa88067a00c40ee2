"""The public endpoints behind the links in every mail.

The signed token is the only authority: these views need no login and set no cookies, and
the ones that take a POST are exempt from CSRF (an RFC 8058 one-click unsubscribe arrives
with neither cookie nor form token, and there is no session for a forged request to ride on).
Anything a token does not vouch for answers 404 and writes nothing.
"""

from functools import partial, wraps

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from patronflow.choices import texts
from patronflow.choices.models import ConsentRecord
from patronflow.choices.queries import receives
from patronflow.clients import client_address
from patronflow.mail.brand import brand_for
from patronflow.mail.tokens import make_token
from patronflow.surveys.queries import survey_address
from patronflow.tracking import machines, queries, services
from patronflow.tracking.hits import PIXEL, Hits
from patronflow.tracking.models import Feedback

# Straight to the database (a failed write is a 500, never an acknowledgement). The server
# (tracking/asgi.py) answers valid pixel loads and clicks before they reach Django, with
# cached message facts and batched writes.
hits = Hits()
VOTES = {"up": Feedback.Vote.UP, "down": Feedback.Vote.DOWN}
# The field our "stop these mails?" page posts: a POST without it that says
# List-Unsubscribe=One-Click came from a mail program's one-click button.
FROM_OUR_PAGE = "confirmed"
# A page that no library's link led to (an invalid link) wears patronflow's own colour.
DEFAULT_COLOUR = "#0b5563"
# Pages load nothing from anywhere (inline CSS only) and post only to themselves.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


class VoteForm(forms.Form):
    vote = forms.ChoiceField(
        label=_("Je mening"),
        choices=[("up", _("Goed")), ("down", _("Niet goed"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Wil je er nog iets over kwijt? (Dat hoeft niet.)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _member_facing(view):
    """Headers for every tracking response: never cached, never indexed, token never leaked."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    return wrapper


def _page(
    request: HttpRequest,
    template: str,
    library,
    status: int = 200,
    language: str | None = None,
    **context,
):
    """A member-facing page in the library's name and the brand colour its mails wear
    (mail/brand.py: a checked #rrggbb only, it goes into the page's CSS); in `language` when
    given (the language of the mail it came from, whatever the browser asks for), else in the
    browser's."""
    colour = brand_for(library).colour if library is not None else DEFAULT_COLOUR
    context |= {"library": library, "brand_colour": colour}
    if language is None:
        return render(request, template, context, status=status)
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    return response


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return _page(request, "tracking/invalid_link.html", None, status=404)


@require_safe
@_member_facing
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    ours = hits.open(
        token,
        method=request.method,
        user_agent=request.headers.get("User-Agent", ""),
        address=client_address(
            request.headers,
            request.META.get("REMOTE_ADDR", ""),
            behind_proxy=settings.TRACKING_BEHIND_PROXY,
        ),
    )
    if not ours:
        return HttpResponseNotFound()
    return HttpResponse(PIXEL, content_type="image/gif")


@require_safe
@_member_facing
def click(request: HttpRequest, token: str) -> HttpResponse:
    destination = hits.click(
        token, method=request.method, user_agent=request.headers.get("User-Agent", "")
    )
    if destination is None:
        return _invalid_link(request)
    return HttpResponseRedirect(destination)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_member_facing
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET only asks (mail scanners follow links); any POST leaves the list the mail went out
    on, while the library's other lists go on. A service list is not left on its own: its
    page says that stopping means no more mails from the library at all, and a POST does
    that. A mail program's one-click (RFC 8058: the body List-Unsubscribe=One-Click, not our
    page's form) is recorded as such."""
    message = queries.message_for_token("unsubscribe", token)
    if message is None:
        return _invalid_link(request)
    member = message.enrolment.member
    mailing_list = message.step.version.journey.mailing_list
    if request.method == "POST":
        one_click = (
            request.POST.get("List-Unsubscribe") == "One-Click"
            and FROM_OUR_PAGE not in request.POST
        )
        if one_click:
            wording = texts.ONE_CLICK
        else:
            wording = texts.STOP_ALL_LINK if mailing_list.service else texts.LEAVE_LINK
        services.leave_list_of(
            message,
            source=ConsentRecord.Source.ONE_CLICK if one_click else ConsentRecord.Source.LINK,
            text_version=wording,
        )
    left = member.unsubscribed_at is not None or not receives(member, mailing_list)
    language = message.step.version.language
    return _page(
        request,
        "tracking/unsubscribed.html" if left else "tracking/unsubscribe_confirm.html",
        message.library,
        language=language,
        list_name=mailing_list.name_in(language),
        service=mailing_list.service,
        all_mail=member.unsubscribed_at is not None,
        from_our_page=FROM_OUR_PAGE,
        preferences_url=reverse(
            "tracking:preferences", args=[make_token("preferences", message.pk)]
        ),
    )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_member_facing
def feedback(request: HttpRequest, token: str, vote: str) -> HttpResponse:
    """GET only asks, with the link's vote ticked (link scanners follow every link in a mail,
    👍 and 👎 alike); the member's button press, a POST, votes."""
    message = queries.message_for_token("feedback", token)
    if message is None or vote not in VOTES:
        return _invalid_link(request)
    page = partial(_page, request, library=message.library, language=message.step.version.language)
    if request.method != "POST":
        return page("tracking/feedback.html", form=VoteForm(initial={"vote": vote}))
    # The ticked choice wins; a bare POST to the link (no form fields) votes as the link says.
    form = VoteForm({"vote": vote} | request.POST.dict())
    if not form.is_valid():
        return page("tracking/feedback.html", form=form)
    chosen, comment = form.cleaned_data["vote"], form.cleaned_data["comment"]
    services.record_vote(
        message,
        VOTES[chosen],
        comment,
        machine=machines.classify_vote(user_agent=request.headers.get("User-Agent", "")),
    )
    other_vote = "down" if chosen == "up" else "up"
    return page(
        "tracking/feedback_thanks.html",
        vote=chosen,
        comment_saved=bool(comment),
        other_vote=other_vote,
        other_vote_url=reverse("tracking:feedback", args=[token, other_vote]),
        survey_url=survey_address(library=message.library),
    )
