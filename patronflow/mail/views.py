"""Operator endpoints: /healthz for load balancers and /metrics for Prometheus."""

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from patronflow.celery import configure
from patronflow.mail.models import Bounce, Message
from patronflow.mail.queries import outbox_figures


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and the broker, if one is configured) answer; 503 otherwise."""
    checks = {"database": "ok", "broker": "not configured"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any failure is the answer
        checks["database"] = f"failing: {error.__class__.__name__}"
    if settings.BROKER_URL:
        try:
            with configure().connection_for_read() as broker:
                broker.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as error:
            checks["broker"] = f"failing: {error.__class__.__name__}"
    healthy = all(value in {"ok", "not configured"} for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


def _line(name: str, labels: dict[str, str], value: float) -> str:
    text = ",".join(
        f'{key}="{str(val).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for key, val in labels.items()
    )
    return f"{name}{{{text}}} {value}"


_METRICS = {
    "patronflow_queue_depth": ("gauge", "Messages due now, waiting for a sender."),
    "patronflow_messages": ("gauge", "Messages in the outbox by status."),
    "patronflow_deferred_messages": ("gauge", "Queued messages waiting to retry after a 4xx."),
    "patronflow_sent_total": ("counter", "Mails delivered to the SMTP server."),
    "patronflow_failed_total": ("counter", "Mails failed for good (5xx, retries used up)."),
    "patronflow_uncertain_messages": (
        "gauge",
        "Mails whose sender stopped before recording the outcome: check and settle by hand.",
    ),
    "patronflow_bounces_total": ("counter", "Bounces and complaints received, by kind."),
    "patronflow_sending_paused": ("gauge", "1 when the library's sending is paused."),
}


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format. Library codes and counts only: nothing about a member.
    With PATRONFLOW_METRICS_TOKEN set, the scraper must send it as a bearer token."""
    token = settings.METRICS_TOKEN
    if token and not hmac.compare_digest(
        request.headers.get("Authorization", ""), f"Bearer {token}"
    ):
        return HttpResponse("metrics need the bearer token\n", status=401)
    figures = outbox_figures()
    samples: dict[str, list[str]] = {name: [] for name in _METRICS}
    codes = sorted(figures.paused)
    for code in codes:
        library = {"library": code}
        samples["patronflow_queue_depth"].append(
            _line("patronflow_queue_depth", library, figures.due_now.get(code, 0))
        )
        for status in Message.Status.values:
            count = figures.by_status.get((code, status), 0)
            samples["patronflow_messages"].append(
                _line("patronflow_messages", library | {"status": status}, count)
            )
        simple = {
            "patronflow_sent_total": Message.Status.SENT,
            "patronflow_failed_total": Message.Status.FAILED,
            "patronflow_uncertain_messages": Message.Status.UNCERTAIN,
        }
        for name, status in simple.items():
            samples[name].append(_line(name, library, figures.by_status.get((code, status), 0)))
        samples["patronflow_deferred_messages"].append(
            _line("patronflow_deferred_messages", library, figures.deferred.get(code, 0))
        )
        for kind in Bounce.Kind.values:
            count = figures.bounces.get((code, kind), 0)
            samples["patronflow_bounces_total"].append(
                _line("patronflow_bounces_total", library | {"kind": kind}, count)
            )
        samples["patronflow_sending_paused"].append(
            _line("patronflow_sending_paused", library, int(figures.paused[code]))
        )
    lines = []
    for name, (kind, text) in _METRICS.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *samples[name]]
    return HttpResponse(
        "\n".join(lines) + "\n", content_type="text/plain; version=0.0.4; charset=utf-8"
    )
