"""Security: a marketer of one library reaches nothing of another; CSP, CSRF, no inline script."""

import re

import pytest
from django.urls import URLPattern, get_resolver, reverse

from patronflow.choices.services import list_for
from patronflow.journeys.definitions import save_segment
from patronflow.journeys.models import Journey
from patronflow.operations.models import CalendarRun, ImportRecord
from patronflow.staff.services import add_seed
from patronflow.staff.views.journeys import DEFAULT_SEGMENT
from tests.factories import MemberFactory
from tests.staff.conftest import make_marketer
from tests.staff.integration_data import integration_scoping_ids
from tests.staff.review_data import scoping_ids
from tests.staff.survey_data import survey_scoping_ids
from tests.staff.test_images import stored
from tests.staff.test_mail_editor import html_block

pytestmark = pytest.mark.django_db

# Patterns without ids work on the user's own library (or on no data at all).
WITHOUT_IDS = {
    "templates", "approvals",
    "login", "verify", "second_factor", "logout", "language", "dashboard", "choose_library",
    "journeys", "segments", "tips", "imports", "report", "members", "settings", "accounts",
    "report_print", "report_export", "comparison_libraries",
    "seeds",
    "lists",
    "surveys", "volunteers", "volunteers_export",
    "images", "brand", "network_brand",
    "segment_new", "audience_count",
    "studio_new", "studio_start",
    "integrations", "token_new", "webhook_new",
}  # fmt: skip


def staff_patterns() -> list[URLPattern]:
    resolver = get_resolver()
    (staff,) = [p for p in resolver.url_patterns if getattr(p, "namespace", "") == "staff"]
    return list(staff.url_patterns)


def urls_with_ids_of(library, other_user) -> dict[str, str]:
    """Every staff URL that takes ids, filled with ids belonging to `library`."""
    journey = Journey.objects.get(library=library, key="welcome")
    member = MemberFactory(library=library)
    ids = {"pk": journey.pk, "position": 2, "segment": DEFAULT_SEGMENT}
    special = {
        "member": {"pk": member.pk},
        "member_export": {"pk": member.pk},
        "member_erase": {"pk": member.pk},
        "remove_account": {"pk": other_user.pk},
        **scoping_ids(library),
        **survey_scoping_ids(library),
        **integration_scoping_ids(library),
        "list": {"pk": list_for(library, "newsletter").pk},
        "list_move": {"pk": list_for(library, "newsletter").pk},
        "list_delete": {"pk": list_for(library, "newsletter").pk},
        "seed_remove": {
            "pk": add_seed(library, address="seed@example.org", label="", actor=None).pk
        },
        "image": {"pk": stored(library).pk},
        "image_delete": {"pk": stored(library).pk},
        "import_rejects": {
            "pk": ImportRecord.objects.create(
                library=library, kind="members", rejected=1, rejects="line,reason,row\n"
            ).pk
        },
        "segment": {"pk": save_segment(library, "scoping", "Scoping", {"max_age": 30}).pk},
    }
    urls = {}
    for pattern in staff_patterns():
        if pattern.name in WITHOUT_IDS:
            continue
        names = pattern.pattern.converters.keys()
        kwargs = special.get(pattern.name) or {name: ids[name] for name in names}
        urls[pattern.name] = reverse(f"staff:{pattern.name}", kwargs=kwargs)
    return urls


def test_every_staff_url_with_ids_is_known_to_this_test():
    names = {p.name for p in staff_patterns()}
    assert names - WITHOUT_IDS == {
        "template", "template_adopt", "approval", "journey_template", "journey_offer",
        "journey", "journey_status", "journey_holdout", "journey_archive", "mail", "preview",
        "preview_frame", "mail_spam",
        "journey_calendar",
        "journey_version_changes",
        "studio_edit", "studio_copy",
        "import_rejects",
        "seed_remove",
        "survey", "survey_status", "survey_results", "survey_qr", "survey_print",
        "volunteer_erase",
        "list", "list_move", "list_delete",
        "image", "image_delete",
        "journey_activate", "journey_reach", "broadcast_cancel",
        "mail_test", "comments", "member", "member_export", "member_erase", "remove_account",
        "segment",
        "token_revoke", "webhook", "webhook_pause", "webhook_resume", "webhook_remove",
    }  # fmt: skip


def test_a_marketer_of_library_a_reaches_nothing_of_library_b(staff_client, library, other_library):
    brugge_marketer = make_marketer(other_library, "dirk")
    urls = urls_with_ids_of(other_library, brugge_marketer)
    member_id = MemberFactory(library=other_library).pk
    for name, url in urls.items():
        for method in ("get", "post"):
            data = {
                "status": "paused", "subject": "x", **html_block("y"), "member": member_id,
                "holdout_percent": 20, "days": 7,
            }  # fmt: skip
            response = getattr(staff_client, method)(url, data)
            assert response.status_code in (403, 404, 405), (name, method, response.status_code)
            assert response.status_code != 405 or method == "get", (name, method)
    assert Journey.objects.get(library=other_library, key="welcome").status == "active"
    assert not CalendarRun.objects.exists()  # no dry run of the other library's journey


def test_previewing_as_a_member_of_another_library_is_not_found(
    staff_client, library, other_library
):
    journey = Journey.objects.get(library=library, key="welcome")
    stranger = MemberFactory(library=other_library)
    url = reverse("staff:preview", args=[journey.pk, 2, DEFAULT_SEGMENT])
    response = staff_client.post(
        url, {"subject": "Dag", **html_block("<p>x</p>"), "member": stranger.pk}
    )
    assert response.status_code == 404


def test_the_network_admin_pages_are_closed_to_marketers(staff_client):
    assert staff_client.get(reverse("staff:accounts")).status_code == 403
    assert staff_client.get(reverse("staff:comparison_libraries")).status_code == 403
    assert staff_client.post(reverse("staff:choose_library"), {"library": 1}).status_code == 403


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(client, library):
    journey = Journey.objects.get(library=library, key="welcome")
    for pattern in staff_patterns():
        if pattern.name in {"login", "logout", "language"}:
            continue
        kwargs = {n: {"pk": journey.pk, "position": 1, "segment": "default"}[n]
                  for n in pattern.pattern.converters}  # fmt: skip
        response = client.get(reverse(f"staff:{pattern.name}", kwargs=kwargs))
        assert response.status_code == 302, pattern.name
        assert response.url.startswith(reverse("staff:login"))


def test_a_django_user_without_a_staff_profile_gets_403(client, library, django_user_model):
    client.force_login(django_user_model.objects.create_user("intruder"))
    assert client.get(reverse("staff:dashboard")).status_code == 403


def test_pages_carry_a_content_security_policy_and_no_inline_script_or_style(staff_client, library):
    journey = Journey.objects.get(library=library, key="welcome")
    pages = [
        reverse("staff:dashboard"), reverse("staff:journey", args=[journey.pk]),
        reverse("staff:mail", args=[journey.pk, 2, "default"]), reverse("staff:imports"),
        reverse("staff:settings"), reverse("staff:members"), reverse("staff:report"),
    ]  # fmt: skip
    for url in pages:
        response = staff_client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        html = response.content.decode()
        # A JSON data block (the report's chart data) is never run, so the policy allows it.
        assert not re.search(r'<script(?![^>]*\b(src=|type="application/json"))', html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert not re.search(r"\sstyle=", html), url


def test_posts_without_a_csrf_token_are_refused(client, marketer, library):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(marketer)
    journey = Journey.objects.get(library=library, key="welcome")
    response = strict.post(reverse("staff:journey_status", args=[journey.pk]), {"status": "paused"})
    assert response.status_code == 403
    journey.refresh_from_db()
    assert journey.status == "active"
