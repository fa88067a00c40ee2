"""The public endpoints behind the links in every mail.

The signed token is the only authority: these views need no login and set no cookies, and
the ones that take a POST are exempt from CSRF (an RFC 8058 one-click unsubscribe arrives
with neither cookie nor form token, and there is no session for a forged request to ride on).
Anything a token does not vouch for answers 404 and writes nothing.
"""

import re
from functools import wraps

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from patronflow.clients import client_address
from patronflow.tracking import queries, services
from patronflow.tracking.hits import PIXEL, Hits
from patronflow.tracking.models import Feedback

# Straight to the database (a failed write is a 500, never an acknowledgement). The server
# (tracking/asgi.py) answers valid pixel loads and clicks before they reach Django, with
# cached message facts and batched writes.
hits = Hits()
VOTES = {"up": Feedback.Vote.UP, "down": Feedback.Vote.DOWN}
BRAND_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOUR = "#0b5563"
# Pages load nothing from anywhere (inline CSS only) and post only to themselves.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Wil je er nog iets over kwijt?"),
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
    """A member-facing page in the library's name and brand colour (a checked #rrggbb only:
    it goes into the page's CSS); in `language` when given (the language of the mail it came
    from, whatever the browser asks for), else in the browser's."""
    colour = getattr(library, "brand_colour", "")
    context |= {
        "library": library,
        "brand_colour": colour if BRAND_COLOUR.fullmatch(colour or "") else DEFAULT_COLOUR,
    }
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
    """GET only asks (mail scanners follow links); any POST, one-click included, unsubscribes."""
    message = queries.message_for_token("unsubscribe", token)
    if message is None:
        return _invalid_link(request)
    member = message.enrolment.member
    if request.method == "POST":
        services.unsubscribe_member(message)
        template = "tracking/unsubscribed.html"
    elif member.unsubscribed_at is not None:
        template = "tracking/unsubscribed.html"
    else:
        template = "tracking/unsubscribe_confirm.html"
    return _page(request, template, message.library, language=message.step.version.language)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_member_facing
def feedback(request: HttpRequest, token: str, vote: str) -> HttpResponse:
    """GET casts the vote; POST to the same link adds the optional comment."""
    message = queries.message_for_token("feedback", token)
    if message is None or vote not in VOTES:
        return _invalid_link(request)
    comment_saved = False
    if request.method == "POST":
        form = CommentForm(request.POST)
        if form.is_valid():
            services.add_feedback_comment(message, VOTES[vote], form.cleaned_data["comment"])
            comment_saved = True
    else:
        services.record_feedback(message, VOTES[vote])
        form = CommentForm()
    other_vote = "down" if vote == "up" else "up"
    return _page(
        request,
        "tracking/feedback.html",
        message.library,
        language=message.step.version.language,
        vote=vote,
        form=form,
        comment_saved=comment_saved,
        other_vote=other_vote,
        other_vote_url=reverse("tracking:feedback", args=[token, other_vote]),
    )
