"""Small builders the journey tests share: a definition to install and what a member received."""

import subprocess
import sys
from typing import Any

from patronflow.journeys.definitions import install_journey
from patronflow.journeys.models import Journey
from patronflow.members.models import Library

PATRONFLOW = [sys.executable, "-m", "patronflow.cli"]


def step(
    name: str, wait_days: int = 0, subject: str | None = None, **variants: str
) -> dict[str, Any]:
    """A step with a fallback variant (subject `subject` or the step's name) and, for each
    keyword segment=subject, a variant for that reading segment."""
    return {
        "name": name,
        "wait_days": wait_days,
        "variants": [
            {"segment": "", "subject": subject or name, "body": f"<p>{name}</p>"},
            *(
                {"segment": segment, "subject": text, "body": f"<p>{text}</p>"}
                for segment, text in variants.items()
            ),
        ],
    }


def definition(key: str = "test", steps: list[dict] | None = None, **fields: Any) -> dict:
    """An active journey definition for everyone mailable, one mail on entry unless told."""
    return {
        "key": key,
        "name": fields.pop("name", key.title()),
        "status": fields.pop("status", "active"),
        "entry": fields.pop("entry", {}),
        "steps": steps or [step("Mail 1")],
        **fields,
    }


def install(library: Library, key: str = "test", steps: list[dict] | None = None, **fields):
    return install_journey(library, definition(key, steps, **fields))


def only(library: Library, *keys: str) -> None:
    """Pause the library's other journeys, so a test hears only the ones it is about."""
    library.journeys.exclude(key__in=keys).filter(status=Journey.Status.ACTIVE).update(
        status=Journey.Status.PAUSED
    )


def addresses(smtp_server) -> list[str]:
    return [mail["To"].addresses[0].addr_spec for mail in smtp_server.messages]


def subjects_to(smtp_server, email: str) -> list[str]:
    return [str(mail["Subject"]) for mail in smtp_server.to(email)]


def run_racing_ticks(count: int, now: str, environment: dict) -> list[str]:
    """`patronflow tick --now NOW` in `count` processes at once; each must succeed. Their
    printed summaries, in order."""
    processes = [
        subprocess.Popen(
            [*PATRONFLOW, "tick", "--now", now],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    outcomes = [process.communicate(timeout=120) for process in processes]
    for process, (_, errors) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, errors
    return [output for output, _ in outcomes]
