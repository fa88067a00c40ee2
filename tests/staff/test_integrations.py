"""The Integrations screen: API tokens made (shown once) and revoked, webhooks added (their
secret shown once), changed, paused, resumed and removed, each change in the audit log; the
delivery log shows a notice's kind and fate, not what it said; a paused webhook is
announced on the dashboard."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patronflow.api.models import ApiToken
from patronflow.api.tokens import token_for
from patronflow.notices import LIST_LEFT, VOLUNTEER
from patronflow.privacy.models import AuditEntry
from patronflow.staff.integration_forms import DELIVERY_WORDS
from patronflow.webhooks.models import Delivery, Subscription
from patronflow.webhooks.subscriptions import create_subscription, pause_subscription

pytestmark = pytest.mark.django_db

RECEIVER = "https://bibliotheeksysteem.example/patronflow"


def make_token(staff_client, name="Website", scopes=("events",)):
    return staff_client.post(reverse("staff:token_new"), {"name": name, "scopes": list(scopes)})


def test_a_new_token_is_shown_once_and_works_until_it_is_revoked(staff_client, library):
    response = make_token(staff_client, scopes=["events", "read"])

    clear = response.context["clear"]
    assert clear in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = token_for(clear)
    assert token.library == library and token.scopes == ["events", "read"]
    listing = staff_client.get(reverse("staff:integrations")).content.decode()
    assert f"pf_{token.prefix}" in listing and clear not in listing

    assert staff_client.get(reverse("staff:token_revoke", args=[token.pk])).status_code == 200
    assert token_for(clear) is not None  # asking is not revoking
    staff_client.post(reverse("staff:token_revoke", args=[token.pk]))

    assert token_for(clear) is None
    subjects = AuditEntry.objects.filter(subject=f"API token Website ({token.prefix})")
    assert [(e.operator, e.changes["token"][1]) for e in subjects.order_by("pk")] == [
        ("staff:an", "created"),
        ("staff:an", "revoked"),
    ]


def test_the_api_takes_a_token_made_on_screen_until_it_is_revoked_there(staff_client, library):
    clear = make_token(staff_client, scopes=["read"]).context["clear"]
    token = token_for(clear)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")

    assert api.get("/api/v1/journeys").status_code == 200
    staff_client.post(reverse("staff:token_revoke", args=[token.pk]))
    assert api.get("/api/v1/journeys").status_code == 401


def test_a_token_needs_a_name_and_something_it_may_do(staff_client, library):
    response = make_token(staff_client, name="", scopes=[])

    form = response.context["form"]
    assert set(form.errors) == {"name", "scopes"}
    assert not ApiToken.objects.exists()


def test_a_webhook_is_added_with_its_secret_shown_once(staff_client, library):
    response = staff_client.post(
        reverse("staff:webhook_new"),
        {"url": RECEIVER, "kinds": [LIST_LEFT, VOLUNTEER], "description": "Bibliotheeksysteem"},
    )

    webhook = Subscription.objects.get(library=library)
    assert webhook.kinds == [LIST_LEFT, VOLUNTEER] and webhook.url == RECEIVER
    assert response.context["secret"] == webhook.secret
    assert "no-store" in response["Cache-Control"]
    assert (
        webhook.secret
        not in staff_client.get(reverse("staff:webhook", args=[webhook.pk])).content.decode()
    )
    entry = AuditEntry.objects.get(subject__startswith=f"webhook {webhook.pk} ")
    assert entry.operator == "staff:an" and webhook.secret not in str(entry.changes)


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://bibliotheeksysteem.example/hook", "gebruik https://"),
        ("https://user:pw@bibliotheeksysteem.example/hook", "gebruikersnaam"),
        ("bibliotheeksysteem.example", "volledig adres"),
    ],
)
def test_a_webhook_address_must_be_https_and_the_form_says_so_on_the_field(
    staff_client, library, url, words
):
    response = staff_client.post(reverse("staff:webhook_new"), {"url": url, "kinds": [LIST_LEFT]})

    errors = response.context["form"].errors
    assert list(errors) == ["url"] and words in errors["url"][0]
    assert not Subscription.objects.exists()


def test_an_address_inside_a_private_network_is_refused_on_the_field(staff_client, library):
    response = staff_client.post(
        reverse("staff:webhook_new"), {"url": "https://10.0.0.12:8443/admin", "kinds": [LIST_LEFT]}
    )

    errors = response.context["form"].errors
    assert list(errors) == ["url"] and "privé- of lokaal netwerk" in errors["url"][0]
    assert not Subscription.objects.exists()


def test_plain_http_goes_to_this_machine_only_where_the_operator_allows_it(
    staff_client, library, settings
):
    new = {"url": "http://127.0.0.1:9000/hook", "kinds": [LIST_LEFT]}
    response = staff_client.post(reverse("staff:webhook_new"), new)
    assert "gebruik https://" in response.context["form"].errors["url"][0]

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    staff_client.post(reverse("staff:webhook_new"), new)
    assert Subscription.objects.get().url == "http://127.0.0.1:9000/hook"


def test_a_webhook_pauses_and_resumes_and_what_waited_goes_out_at_once(staff_client, library):
    webhook, _secret = create_subscription(library=library, url=RECEIVER, kinds=[LIST_LEFT])
    later = timezone.now() + dt.timedelta(hours=3)
    waiting = Delivery.objects.create(
        subscription=webhook, kind=LIST_LEFT, payload={}, next_attempt_at=later
    )

    staff_client.post(reverse("staff:webhook_pause", args=[webhook.pk]))
    webhook.refresh_from_db()
    assert webhook.state == "paused" and "an" in webhook.paused_reason
    Subscription.objects.filter(pk=webhook.pk).update(
        failures_in_a_row=4, failing_since=timezone.now() - dt.timedelta(hours=5)
    )
    page = staff_client.get(reverse("staff:webhook", args=[webhook.pk])).content.decode()
    assert webhook.paused_reason in page

    before = timezone.now()
    staff_client.post(reverse("staff:webhook_resume", args=[webhook.pk]))

    webhook.refresh_from_db()
    waiting.refresh_from_db()
    assert (webhook.state, webhook.failures_in_a_row, webhook.paused_reason) == ("active", 0, "")
    assert webhook.failing_since is None
    assert before <= waiting.next_attempt_at < later
    states = [
        entry.changes["state"]
        for entry in AuditEntry.objects.filter(
            subject__startswith=f"webhook {webhook.pk} "
        ).order_by("pk")
        if "state" in entry.changes
    ]
    assert states == [["active", "paused"], ["paused", "active"]]


def test_a_webhook_changes_what_it_hears(staff_client, library):
    webhook, _secret = create_subscription(library=library, url=RECEIVER, kinds=[LIST_LEFT])

    staff_client.post(
        reverse("staff:webhook", args=[webhook.pk]),
        {"kinds": [VOLUNTEER], "description": "Focusgroep"},
    )

    webhook.refresh_from_db()
    assert (webhook.kinds, webhook.description) == ([VOLUNTEER], "Focusgroep")
    entry = AuditEntry.objects.filter(subject__startswith=f"webhook {webhook.pk} ").latest("pk")
    assert entry.changes["kinds"] == [LIST_LEFT, VOLUNTEER]


def test_a_removed_webhook_is_gone_with_its_deliveries(staff_client, library):
    webhook, _secret = create_subscription(library=library, url=RECEIVER, kinds=[LIST_LEFT])
    Delivery.objects.create(subscription=webhook, kind=LIST_LEFT, payload={})

    assert staff_client.get(reverse("staff:webhook_remove", args=[webhook.pk])).status_code == 200
    assert Subscription.objects.exists()  # asking is not removing
    staff_client.post(reverse("staff:webhook_remove", args=[webhook.pk]))

    assert not Subscription.objects.exists() and not Delivery.objects.exists()
    entry = AuditEntry.objects.filter(subject__startswith=f"webhook {webhook.pk} ").latest("pk")
    assert entry.changes == {"subscription": ["active", None]}


def test_the_delivery_log_shows_the_kind_and_fate_not_the_members_name(staff_client, library):
    webhook, _secret = create_subscription(library=library, url=RECEIVER, kinds=[VOLUNTEER])
    for number in range(55):
        Delivery.objects.create(
            subscription=webhook,
            kind=VOLUNTEER,
            payload={"name": f"Fatima Vermeulen {number}"},
            state=Delivery.State.FAILED,
            attempts=8,
            last_status=503 if number else None,
            last_error="" if number else "certificate not trusted",
        )

    first = staff_client.get(reverse("staff:webhook", args=[webhook.pk]))
    older = staff_client.get(reverse("staff:webhook", args=[webhook.pk]) + "?page=2")

    assert len(first.context["rows"]) == 50 and len(older.context["rows"]) == 5
    page = first.content.decode()
    assert "503" in page and "certificaat niet vertrouwd" in older.content.decode()
    assert "Fatima" not in page and "Fatima" not in older.content.decode()
    assert not AuditEntry.objects.filter(action="viewed").exists()


def test_the_dashboard_names_a_paused_webhook_and_links_to_it(staff_client, library):
    webhook, _secret = create_subscription(library=library, url=RECEIVER, kinds=[LIST_LEFT])
    pause_subscription(subscription=webhook, reason="Failed 10 times in a row.")

    page = staff_client.get(reverse("staff:dashboard")).content.decode()

    assert reverse("staff:webhook", args=[webhook.pk]) in page
    assert "Failed 10 times in a row." in page


def test_the_integrations_page_lists_tokens_and_webhooks_with_their_last_delivery(
    staff_client, library, other_library
):
    webhook, _secret = create_subscription(library=library, url=RECEIVER, kinds=[LIST_LEFT])
    Delivery.objects.create(
        subscription=webhook, kind=LIST_LEFT, payload={}, state="delivered", last_status=204
    )
    create_subscription(library=other_library, url="https://brugge.example/hook", kinds=[LIST_LEFT])
    make_token(staff_client, name="Website")

    response = staff_client.get(reverse("staff:integrations"))

    ((shown, _kinds, last),) = response.context["webhooks"]
    assert shown == webhook and last == DELIVERY_WORDS["delivered"] and shown.last_status == 204
    assert [token.name for token, _scopes in response.context["tokens"]] == ["Website"]
    assert "brugge.example" not in response.content.decode()
    assert "/api/v1/openapi.json" in response.content.decode()
