"""`patronflow demo` end to end at a small size, as a newcomer runs it."""

import email
import email.policy
import mailbox
import os
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
        [sys.executable, "-m", "patronflow.cli", "demo", "--members", "300", "--days", "25"],
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
    assert "Library zonnedorp" in output
    for journey_step in ("1. Welkom", "2. Lezen zoals jij wil", "1. We missen je"):
        assert journey_step in output
    assert "mails delivered" in output
    assert "came back and borrowed again" in output


def test_demo_shows_the_rows_its_importer_rejected(demo_run):
    result, directory = demo_run
    rejected = [line for line in result.stdout.splitlines() if line.strip().startswith("rejected")]
    assert len(rejected) == 4
    assert all(f"{directory}/exports/members.csv:" in line for line in rejected)


def test_demo_leaves_real_mails_in_a_maildir_for_a_person_to_open(demo_run):
    result, directory = demo_run
    mails = mailbox.Maildir(directory / "mail", create=False)
    parsed = [
        email.message_from_bytes(mails.get_bytes(k), policy=email.policy.default)
        for k in mails.iterkeys()
    ]
    assert len(parsed) > 20
    assert f"{len(parsed)} mails delivered" in result.stdout
    assert {"welcome", "dormant"} <= {m["List-Id"].split("<")[1].split(".")[0] for m in parsed}
    assert (directory / "examples" / "welcome.html").read_text().startswith("<!DOCTYPE html>")
    assert str(directory / "mail") in result.stdout.replace("\n", "")


def test_demo_members_acted_through_the_tracking_endpoints(demo_run):
    _, directory = demo_run
    database = sqlite3.connect(directory / "patronflow.sqlite3")
    events = dict(database.execute("SELECT kind, COUNT(*) FROM tracking_event GROUP BY kind"))
    unsubscribed = database.execute(
        "SELECT COUNT(*) FROM members_member WHERE unsubscribed_at IS NOT NULL"
    ).fetchone()[0]
    database.close()
    assert events.get("open", 0) > 0
    assert events.get("click", 0) > 0
    assert events.get("unsubscribe", 0) == unsubscribed
