"""API tokens and webhooks for the staff pages' walks: ids by URL name (test_scoping.py) and
by kind of page (test_every_page.py), with a paused webhook and deliveries to show."""

from patronflow.api.tokens import create_token
from patronflow.notices import LIST_LEFT, VOLUNTEER
from patronflow.webhooks.delivery import TIMED_OUT
from patronflow.webhooks.models import Delivery
from patronflow.webhooks.subscriptions import create_subscription, pause_subscription


def integrations_of(library):
    """A token, and a webhook that failed and was paused, with a delivered and a failed notice."""
    token, _clear = create_token(library=library, name="Website", scopes=["events", "read"])
    webhook, _secret = create_subscription(
        library=library,
        url=f"https://{library.code}.bibliotheeksysteem.example/patronflow/notices",
        kinds=[LIST_LEFT, VOLUNTEER],
        description="Bibliotheeksysteem",
    )
    Delivery.objects.create(
        subscription=webhook, kind=LIST_LEFT, payload={}, state="delivered", attempts=1,
        last_status=204,
    )  # fmt: skip
    Delivery.objects.create(
        subscription=webhook, kind=VOLUNTEER, payload={}, state="failed", attempts=8,
        last_error=TIMED_OUT,
    )  # fmt: skip
    pause_subscription(subscription=webhook, reason="Failed 10 times in a row.")
    return token, webhook


def integration_scoping_ids(library) -> dict[str, dict[str, int]]:
    token, webhook = integrations_of(library)
    ids = {"pk": webhook.pk}
    return {
        "token_revoke": {"pk": token.pk},
        "webhook": ids, "webhook_pause": ids, "webhook_resume": ids, "webhook_remove": ids,
    }  # fmt: skip


def integration_page_ids(library) -> dict[str, dict[str, int]]:
    token, webhook = integrations_of(library)
    return {"token": {"pk": token.pk}, "webhook": {"pk": webhook.pk}}
