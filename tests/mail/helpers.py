"""What several mail tests set up: a second library beside the `library` fixture's, and a
real `patronflow tick` process."""

import subprocess
import sys
from pathlib import Path

from patronflow.journeys.definitions import install_standard_journeys
from patronflow.journeys.models import Variant, Version
from patronflow.members.models import Library
from tests.conftest import subprocess_environment
from tests.factories import TODAY, LibraryFactory, MemberFactory, at

PATRONFLOW = str(Path(sys.executable).parent / "patronflow")


def second_library() -> Library:
    """Brugge, with the standard journeys and no control group, like the `library` fixture."""
    brugge = LibraryFactory(code="brugge", name="Bibliotheek Brugge")
    install_standard_journeys(brugge)
    Version.objects.filter(journey__library=brugge).update(holdout_percent=0)
    return brugge


def write_welcome_body(library: Library, body: str) -> None:
    """As if the check at saving had let it through: written to the database directly (as
    one HTML block, whose template is the body as it is)."""
    Variant.objects.filter(
        step__version__journey__library=library, step__version__journey__key="welcome"
    ).update(blocks=[{"type": "html", "html": body, "show_if": ""}])


def new_members_in(*libraries: Library, each: int = 5) -> None:
    for library in libraries:
        for n in range(each):
            MemberFactory(library=library, registered_on=TODAY, first_name=f"Lid {n}")


def run_tick() -> subprocess.CompletedProcess:
    """`patronflow tick` as cron runs it, against the test database (commit your data)."""
    return subprocess.run(
        [PATRONFLOW, "tick", "--now", at(TODAY).isoformat()],
        env=subprocess_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
