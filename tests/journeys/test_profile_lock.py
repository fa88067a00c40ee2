"""A journey recounting its entrants' reading profiles takes the library's policy lock first,
as imports (marking profiles for a recount) and the daily refresh do: the two queue one
behind the other instead of interleaving their writes, and can never deadlock.

PostgreSQL only: there each transaction locks rows of its own, while SQLite's IMMEDIATE
transactions admit one writer at a time anyway."""

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence

import pytest
from django.db import connection, connections, transaction

from patronflow.journeys.models import Enrolment
from patronflow.journeys.services import enrol_eligible
from patronflow.profiles.models import ReadingProfile
from patronflow.profiles.services import rebuild_profiles, recount_at_next_refresh
from tests.factories import TODAY, LibraryFactory, MemberFactory, at
from tests.journeys.helpers import install

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks of concurrent transactions need PostgreSQL "
        "(PATRONFLOW_DATABASE_URL=postgresql://...; CI always runs it); SQLite's IMMEDIATE "
        "transactions let one writer in at a time",
    ),
]

WAIT = 30  # seconds: a bound for what should take milliseconds, never a pause


class InThread:
    """Run `work` on a thread with its own database connection; its backend pid, result
    and error are kept for the test's thread."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.work = work
        self.pid: int | None = None
        self.result: object = None
        self.error: BaseException | None = None
        self.connected = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        assert self.connected.wait(WAIT)

    def _run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.connected.set()
            self.result = self.work()
        except BaseException as error:  # reported on the test's thread
            self.error = error
        finally:
            self.connected.set()
            connections.close_all()

    def join(self) -> object:
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        return self.result


def blocked_by(pid: int) -> list[int]:
    """The backends whose locks the backend `pid` is waiting for."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_blocking_pids(%s)", [pid])
        return list(cursor.fetchone()[0])


def waiting_for(waiter: "InThread", holder: "InThread") -> bool:
    """Whether `waiter` comes to wait for `holder`'s locks (False as soon as it has finished
    without waiting)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and waiter.thread.is_alive():
        if blocked_by(waiter.pid) == [holder.pid]:
            return True
        time.sleep(0.02)
    return False


class ImportChunk:
    """An import's chunk transaction, stopped where it has marked profiles for a recount
    (recount_at_next_refresh: the policy lock, then the profiles) and not yet committed."""

    def __init__(self, library, first: list[int]) -> None:
        self.go_on = threading.Event()
        self.marked = threading.Event()
        self.then: list[int] = []

        def chunk() -> None:
            with transaction.atomic():
                recount_at_next_refresh(library, first)
                self.marked.set()
                assert self.go_on.wait(WAIT)
                recount_at_next_refresh(library, self.then)

        self.run = InThread(chunk)
        assert self.marked.wait(WAIT)

    def commit(self, then: Sequence[int] = ()) -> None:
        self.then = list(then)
        self.go_on.set()
        self.run.join()


@pytest.fixture
def readers():
    """Two members a journey enrols and one it does not (unsubscribed), all with profiles
    counted by the nightly rebuild."""
    library = LibraryFactory()
    install(library, "test")
    first, second = MemberFactory.create_batch(2, library=library)
    other = MemberFactory(library=library, unsubscribed_at=at(TODAY - dt.timedelta(days=3)))
    rebuild_profiles(library, TODAY)
    return library, first, second, other


def test_a_journey_recounting_profiles_waits_for_an_import_holding_the_policy_lock(readers):
    library, first, second, other = readers
    journey = library.journeys.get(key="test")
    importing = ImportChunk(library, [other.pk])  # none of the journey's members

    entering = InThread(lambda: enrol_eligible(journey, at(TODAY)))

    # It waits for the import's transaction, not for any profile row of the import's.
    assert waiting_for(entering, importing.run), (
        "the journey recounted profiles while an import held the library's policy lock"
    )
    assert entering.thread.is_alive()
    assert not Enrolment.objects.exists()
    importing.commit()
    assert entering.join() == (2, 0)
    journey_counted = ReadingProfile.objects.filter(member__in=[first, second])
    assert set(journey_counted.values_list("outside_refresh", flat=True)) == {True}
    assert ReadingProfile.objects.get(member=other).outside_refresh  # the import's mark


def test_an_import_marking_the_entrants_in_the_other_order_never_deadlocks(readers):
    """The import marks the second member, then (once the journey is waiting) the first:
    had the journey written the first member's profile before waiting, each would wait for
    the other."""
    library, first, second, _ = readers
    journey = library.journeys.get(key="test")
    importing = ImportChunk(library, [second.pk])

    entering = InThread(lambda: enrol_eligible(journey, at(TODAY)))
    assert waiting_for(entering, importing.run)
    importing.commit(then=[first.pk])  # raises if PostgreSQL broke a deadlock

    assert entering.join() == (2, 0)
    assert Enrolment.objects.filter(journey=journey).count() == 2
