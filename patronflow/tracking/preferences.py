"""The preference page behind the footer link of every mail (p/<token>): the member's lists
with a choice each, and "no more mails from the library", which can be taken back here.

Like the other pages behind a mail's links (tracking/views.py), the signed token is the
only authority: no login, no cookies, the form posts back to the page itself with no CSRF
token (there is no session to ride on), and a link that is not ours answers 404 and writes
nothing. GET only shows (mail scanners follow links); a POST changes something only when it
carries the page's own form, so a bare POST cannot take a member off every list.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patronflow.choices.queries import member_lists
from patronflow.mail.models import Message
from patronflow.privacy.rules import is_suppressed
from patronflow.tracking import queries, services
from patronflow.tracking.views import _invalid_link, _member_facing, _page

# The hidden field the page's form posts: a POST without it changes nothing.
FROM_THE_PAGE = "choices"


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_member_facing
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    message = queries.message_for_token("preferences", token)
    if message is None:
        return _invalid_link(request)
    saved = request.method == "POST" and FROM_THE_PAGE in request.POST
    if saved:
        services.save_preferences(
            message,
            receiving=set(request.POST.getlist("list")),
            no_mail=request.POST.get("no_mail") == "yes",
        )
    return _preference_page(request, message, saved=saved)


def _preference_page(request: HttpRequest, message: Message, *, saved: bool) -> HttpResponse:
    member = message.enrolment.member
    language = message.step.version.language
    stopped = member.unsubscribed_at is not None
    lists = [
        {
            "key": state.mailing_list.key,
            "name": state.mailing_list.name_in(language),
            "description": state.mailing_list.description_in(language),
            "service": state.mailing_list.service,
            # A service list comes with any mail at all: on exactly when mail is.
            "receives": not stopped if state.mailing_list.service else state.receives,
        }
        for state in member_lists(member)
    ]
    return _page(
        request,
        "tracking/preferences.html",
        message.library,
        language=language,
        lists=lists,
        stopped=stopped,
        # Bounced, reported as spam or listed by staff: no list's mail reaches the address,
        # whatever is ticked, and only the library can take it off that list.
        suppressed=is_suppressed(member),
        saved=saved,
        from_the_page=FROM_THE_PAGE,
    )
