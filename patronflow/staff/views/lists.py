"""The library's lists (topics): their order, who left and joined them, their names and who
receives them, and each list's sign-up form for the library's website."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from patronflow.choices import lists
from patronflow.choices.models import MailingList
from patronflow.reports.suppression import Withheld, is_small
from patronflow.staff.access import get_scoped, staff_view
from patronflow.staff.list_forms import ListForm, refusal
from patronflow.tracking.signup import HONEYPOT, form_url

SNIPPET_LANGUAGES = (("nl", gettext_lazy("Dutch")), ("en", gettext_lazy("English")))


def _shown(count: int) -> int | str:
    """A count of members as staff see it: from 1 to 9 as "< 10", as on every other screen."""
    return Withheld.SMALL if is_small(count) else count


@staff_view
def list_list(request: HttpRequest) -> HttpResponse:
    form = ListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = lists.create_list(request.library, values=form.values(), actor=request.user)
        messages.success(request, _("The list %(name)s is added.") % {"name": made.name})
        return redirect("staff:list", pk=made.pk)
    rows = [
        {
            "row": row,
            "left": _shown(row.left),
            "joined": _shown(row.joined),
            "contacts": _shown(row.contacts),
        }
        for row in lists.list_rows(request.library)
    ]
    return render(request, "staff/lists.html", {"rows": rows, "form": form})


def snippet(mailing_list: MailingList, language: str) -> str:
    """The sign-up form as plain HTML for the library's website: it posts to our form's
    address, needs no script and no style of ours (the honeypot is `hidden`)."""
    with translation.override(language):
        return render_to_string(
            "tracking/signup_snippet.html",
            {
                "action": form_url(mailing_list),
                "language": language,
                "field": f"pf-{mailing_list.library.code}-{mailing_list.key}",
                "honeypot": HONEYPOT,
                "list_name": mailing_list.name_in(language),
                "library": mailing_list.library,
            },
        ).strip()


@staff_view
def list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mailing_list = get_scoped(request, MailingList.objects.select_related("library"), pk=pk)
    form = ListForm.for_list(mailing_list, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lists.update_list(mailing_list, values=form.values(), actor=request.user)
        except lists.MembersLeft as left:  # somebody left it since the form was checked
            mailing_list.refresh_from_db()
            form.add_error("receivers", refusal(left.count))
        else:
            messages.success(
                request, _("The list %(name)s is saved.") % {"name": mailing_list.name}
            )
            return redirect("staff:list", pk=mailing_list.pk)
    snippets = []
    if not mailing_list.service:
        snippets = [
            {
                "language": language,
                "label": label,
                "html": snippet(mailing_list, language),
                "link": form_url(mailing_list) + ("" if language == "nl" else f"?lang={language}"),
            }
            for language, label in SNIPPET_LANGUAGES
        ]
    keeps = lists.what_keeps(mailing_list)
    return render(
        request,
        "staff/list.html",
        {
            "mailing_list": mailing_list,
            "form": form,
            "snippets": snippets,
            "keeps": keeps,
            "choices": _shown(keeps.choices),
            "contacts": _shown(keeps.contacts),
        },
    )


@staff_view
@require_POST
def list_move(request: HttpRequest, pk: int) -> HttpResponse:
    mailing_list = get_scoped(request, MailingList.objects.select_related("library"), pk=pk)
    lists.move_list(mailing_list, up=request.POST.get("direction") == "up", actor=request.user)
    return redirect("staff:lists")


@staff_view
@require_POST
def list_delete(request: HttpRequest, pk: int) -> HttpResponse:
    mailing_list = get_scoped(request, MailingList.objects.select_related("library"), pk=pk)
    try:
        lists.delete_list(mailing_list, actor=request.user)
    except lists.ListKept:
        messages.error(
            request,
            _("%(name)s is not removed: the page says why.") % {"name": mailing_list.name},
        )
        return redirect("staff:list", pk=mailing_list.pk)
    messages.success(request, _("The list %(name)s is removed.") % {"name": mailing_list.name})
    return redirect("staff:lists")
