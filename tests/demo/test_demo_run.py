"""`patronflow demo` end to end at a small size, as a newcomer runs it."""

import email
import email.policy
import mailbox
import os
import re
import sqlite3
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    environment = {**os.environ, "PATRONFLOW_VAR_DIR": str(var)}
    environment.pop("PATRONFLOW_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "patronflow.cli", "demo", "--members", "1000", "--days", "10"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, var / "demo"


def test_demo_finishes_and_prints_the_report(demo_run):
    result, _ = demo_run
    assert result.returncode == 0, result.stderr
    output = result.stdout
    for code in ("zonnedorp", "heidebeek", "molenaarde"):
        assert f"Library {code}" in output
    for journey_step in ("1. Welkom", "1. We missen je"):
        assert journey_step in output
    assert "mails delivered" in output
    assert "dormant members came back" in output


def test_demo_prints_the_effect_the_baseline_and_the_benchmark_of_its_network(demo_run):
    result, _ = demo_run
    output = result.stdout
    assert re.search(r"Effect of .* mailed against held out", output)
    assert "Baseline for zonnedorp" in output
    benchmark = output[output.index("Benchmark: members per library") :]
    for library in ("zonnedorp", "heidebeek", "molenaarde", "total"):
        assert re.search(rf"│ {library} +│", benchmark), library
    assert "heidebeek 300 (does not run the dormant journey)" in output
    assert re.search(r"new members without a profile who make one .*: 50% against 20%", output)


def test_demo_writes_its_report_as_one_html_file(demo_run):
    result, directory = demo_run
    report = directory / "report.html"
    assert str(report) in result.stdout.replace("\n", "")
    html = report.read_text(encoding="utf-8")
    sections = re.findall(r"<h2[^>]*>([^<]+)</h2>", html)
    for section in ("Did it work?", "Loans per month", "Libraries side by side"):
        assert any(heading.startswith(section) for heading in sections), section
    benchmark = html[html.index(">Libraries side by side</h2>") :]
    for code in ("zonnedorp", "heidebeek", "molenaarde"):
        assert code in benchmark


def test_demo_shows_the_rows_its_importer_rejected(demo_run):
    result, directory = demo_run
    rejected = [line for line in result.stdout.splitlines() if line.strip().startswith("rejected")]
    assert len(rejected) == 4
    assert all(f"{directory}/exports/zonnedorp/members.csv:" in line for line in rejected)


def test_demo_leaves_real_mails_in_a_maildir_for_a_person_to_open(demo_run):
    result, directory = demo_run
    mails = mailbox.Maildir(directory / "mail", create=False)
    parsed = [
        email.message_from_bytes(mails.get_bytes(k), policy=email.policy.default)
        for k in mails.iterkeys()
    ]
    assert len(parsed) > 20
    assert f"{len(parsed)} mails delivered" in result.stdout
    assert {"welcome", "dormant"} <= {m["Feedback-ID"].split(".")[0] for m in parsed}
    senders = {m["From"].addresses[0].domain for m in parsed}
    assert {"zonnedorp.bibliotheek.example", "molenaarde.bibliotheek.example"} <= senders
    for journey in ("welcome", "dormant"):  # one example mail of each journey, by its key
        assert (directory / "examples" / f"{journey}.html").read_text().startswith("<!DOCTYPE")
    assert str(directory / "mail") in result.stdout.replace("\n", "")


def test_demo_members_acted_through_the_tracking_endpoints(demo_run):
    _, directory = demo_run
    database = sqlite3.connect(directory / "patronflow.sqlite3")
    events = dict(database.execute("SELECT kind, COUNT(*) FROM tracking_event GROUP BY kind"))
    # Each one-click leaves the mail's list (or, on a service list, stops all mail) once.
    left = database.execute(
        "SELECT COUNT(*) FROM choices_consentrecord"
        " WHERE source = 'one_click' AND choice IN ('left', 'stopped_all')"
    ).fetchone()[0]
    database.close()
    assert events.get("open", 0) > 0
    assert events.get("click", 0) > 0
    assert events.get("unsubscribe", 0) == left


def test_demo_members_answered_the_librarys_survey_from_their_mails(demo_run):
    result, directory = demo_run
    database = sqlite3.connect(directory / "patronflow.sqlite3")
    channels = dict(
        database.execute("SELECT channel, COUNT(*) FROM surveys_response GROUP BY channel")
    )
    volunteers = database.execute("SELECT COUNT(*) FROM surveys_volunteer").fetchone()[0]
    database.close()
    output = " ".join(result.stdout.split())  # the console wraps long lines
    answered = re.search(r"(\d+) answered the survey", output)
    assert answered and int(answered.group(1)) == channels.get("mail") > 0
    assert set(channels) == {"mail"}
    joined = re.search(r"(\d+) joined the focus group", output)
    assert volunteers == (int(joined.group(1)) if joined else 0)


def test_demo_prints_a_marketer_and_a_network_admin_login(demo_run):
    result, directory = demo_run
    output = result.stdout.replace("\n", "")
    assert "user name demo (a marketer of Bibliotheek Zonnedorp)" in output
    assert "netwerk (the network admin" in output
    database = sqlite3.connect(directory / "patronflow.sqlite3")
    roles = dict(
        database.execute(
            "SELECT auth_user.username, staff_staffprofile.role FROM auth_user "
            "JOIN staff_staffprofile ON staff_staffprofile.user_id = auth_user.id"
        )
    )
    database.close()
    assert roles == {"demo": "marketer", "netwerk": "admin"}
