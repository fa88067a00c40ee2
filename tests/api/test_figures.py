"""The read scope: the library's journeys, and a journey's figures as the reports publish them,
small counts withheld (null and named in `suppressed`)."""

from patronflow.reports.exports import build_report, report_data
from tests.api.factories import token
from tests.reports.helpers import small_campaign


def test_journeys_are_listed_with_key_name_kind_status_and_list(library, client_for):
    client = client_for(token(library, ["read"]))

    journeys = client.get("/journeys").json()

    assert [(j["key"], j["kind"], j["status"]) for j in journeys] == [
        ("dormant", "journey", "active"), ("welcome", "journey", "active"),
    ]  # fmt: skip
    assert all(j["name"] and j["list"] for j in journeys)


def test_figures_are_the_reports_with_small_counts_withheld(library, client_for):
    small_campaign(library)  # 37 mails, 1 unsubscribe, 1 thumbs down, 3 held out
    client = client_for(token(library, ["read"]))

    figures = client.get("/journeys/dormant/figures").json()

    totals = figures["totals"]
    assert (totals["sent"], totals["delivered"]) == (37, 37)
    assert totals["unsubscribed"] is None and "unsubscribed" in totals["suppressed"]
    assert totals["thumbs_down"] is None and "thumbs_down" in totals["suppressed"]
    (step,) = figures["steps"]
    assert (step["step"], step["sent"]) == (1, 37)
    assert step["unsubscribed"] is None
    result = figures["result"]
    assert result["held_out_enrolments"] is None and "held_out_enrolments" in result["suppressed"]
    # The same figures as the report's JSON.
    report = report_data(build_report(library))
    (reported,) = [row for row in report["funnel"] if row["journey"] == "dormant"]
    assert reported["sent"] == step["sent"] and reported["unsubscribed"] is None


def test_a_journey_without_mails_has_no_figures_yet(library, client_for):
    figures = client_for(token(library, ["read"])).get("/journeys/welcome/figures").json()
    assert (figures["totals"], figures["steps"]) == (None, [])
