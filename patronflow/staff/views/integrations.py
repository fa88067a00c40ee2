"""Integrations: the library's API tokens and the webhooks that tell its own systems what
members chose. A token's and a webhook's secret are shown once, on the page that answers
their creation, which no browser or proxy keeps (never_cache: Cache-Control: no-store).

The delivery log shows each notice's kind, id and fate, not its contents: a notice may
name a member (a volunteer's name), and the receiving system already has it; leaving the
contents out keeps a look at the log from being a look at members' data."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from patronflow.api.models import ApiToken
from patronflow.api.tokens import create_token, revoke_token
from patronflow.staff.access import get_scoped, scoped, staff_view
from patronflow.staff.integration_forms import (
    DELIVERY_WORDS,
    KIND_WORDS,
    SubscriptionForm,
    TokenForm,
    kinds_in_words,
    scopes_in_words,
)
from patronflow.webhooks import subscriptions
from patronflow.webhooks.models import Delivery, Subscription

DELIVERIES_PER_PAGE = 50


def api_addresses() -> dict[str, str]:
    """Where the library's systems find the API, its schema and its documentation."""
    base = f"{settings.BASE_URL}/api/v1/"
    return {"base": base, "schema": f"{base}openapi.json", "docs": f"{base}docs"}


def with_last_delivery(queryset: QuerySet[Subscription]) -> QuerySet[Subscription]:
    latest = Delivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at", "-pk")
    return queryset.annotate(
        last_state=Subquery(latest.values("state")[:1]),
        last_status=Subquery(latest.values("last_status")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
    )


@staff_view
def integrations(request: HttpRequest) -> HttpResponse:
    tokens = scoped(request, ApiToken.objects.select_related("created_by"))
    webhooks = with_last_delivery(scoped(request, Subscription.objects.all()))
    return render(
        request,
        "staff/integrations.html",
        {
            "tokens": [(token, scopes_in_words(token.scopes)) for token in tokens],
            "webhooks": [
                (webhook, kinds_in_words(webhook.kinds), DELIVERY_WORDS.get(webhook.last_state))
                for webhook in webhooks
            ],
            "api": api_addresses(),
        },
    )


@staff_view
@never_cache
def token_new(request: HttpRequest) -> HttpResponse:
    """The form; its answer shows the new token once."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, clear = create_token(
            library=request.library,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            actor=request.user,
        )
        return render(
            request,
            "staff/token_created.html",
            {"token": token, "clear": clear, "scopes": scopes_in_words(token.scopes)},
        )
    return render(request, "staff/token_new.html", {"form": form})


@staff_view
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks; POST revokes the token from its next request on."""
    token = get_scoped(request, ApiToken.objects.select_related("library"), pk=pk)
    if request.method == "POST":
        revoke_token(token=token, actor=request.user)
        messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
        return redirect("staff:integrations")
    return render(
        request,
        "staff/token_revoke.html",
        {"token": token, "scopes": scopes_in_words(token.scopes)},
    )


@staff_view
@never_cache
def webhook_new(request: HttpRequest) -> HttpResponse:
    """The form; its answer shows the signing secret once."""
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook, secret = subscriptions.create_subscription(
                library=request.library, actor=request.user, **form.cleaned_data
            )
        except subscriptions.SubscriptionError as error:
            form.add_error(error.field, _(str(error)))
        else:
            return render(
                request,
                "staff/webhook_created.html",
                {"webhook": webhook, "secret": secret, "kinds": kinds_in_words(webhook.kinds)},
            )
    return render(request, "staff/webhook_new.html", {"form": form})


def _scoped_webhook(request: HttpRequest, pk: int) -> Subscription:
    return get_scoped(request, Subscription.objects.select_related("library"), pk=pk)


@staff_view
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A webhook: its state, its notices and description (changed here), and its delivery
    log, newest first, 50 to a page."""
    webhook = _scoped_webhook(request, pk)
    form = SubscriptionForm(
        request.POST or None,
        new=False,
        initial={"kinds": webhook.kinds, "description": webhook.description},
    )
    if request.method == "POST" and form.is_valid():
        try:
            subscriptions.update_subscription(
                subscription=webhook, actor=request.user, **form.cleaned_data
            )
        except subscriptions.SubscriptionError as error:
            form.add_error(error.field, _(str(error)))
        else:
            messages.success(request, _("The webhook is saved."))
            return redirect("staff:webhook", pk=webhook.pk)
    deliveries = Paginator(
        webhook.deliveries.order_by("-created_at", "-pk"), DELIVERIES_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/webhook.html",
        {
            "webhook": webhook,
            "kinds": kinds_in_words(webhook.kinds),
            "form": form,
            "deliveries": deliveries,
            "rows": [
                (
                    delivery,
                    KIND_WORDS.get(delivery.kind, delivery.kind),
                    DELIVERY_WORDS[delivery.state],
                )
                for delivery in deliveries
            ],
        },
    )


@staff_view
@require_POST
def webhook_pause(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _scoped_webhook(request, pk)
    reason = _("Paused by %(user)s.") % {"user": request.user.get_username()}
    subscriptions.pause_subscription(subscription=webhook, reason=reason, actor=request.user)
    messages.success(request, _("The webhook is paused: notices wait until you resume it."))
    return redirect("staff:webhook", pk=webhook.pk)


@staff_view
@require_POST
def webhook_resume(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _scoped_webhook(request, pk)
    subscriptions.resume_subscription(subscription=webhook, actor=request.user)
    messages.success(request, _("The webhook is active again: waiting notices go out now."))
    return redirect("staff:webhook", pk=webhook.pk)


@staff_view
def webhook_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks; POST removes the webhook with its deliveries."""
    webhook = _scoped_webhook(request, pk)
    if request.method == "POST":
        subscriptions.remove_subscription(subscription=webhook, actor=request.user)
        messages.success(request, _("The webhook %(url)s is removed.") % {"url": webhook.url})
        return redirect("staff:integrations")
    return render(
        request,
        "staff/webhook_remove.html",
        {
            "webhook": webhook,
            "waiting": webhook.deliveries.filter(state=Delivery.State.PENDING).count(),
        },
    )
