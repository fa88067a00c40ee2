"""The snapshot of answers staff may see, property-tested on the database: answers come in
day after day, and whenever staff look, what they see leaves out today's answers and differs
from anything they saw before, or will see later, by no answers or by at least ten. So
comparing two views never singles out one person's answers."""

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patronflow.reports.suppression import SMALL_CELL
from patronflow.surveys import queries, services
from patronflow.surveys.models import Question, Response, Survey
from tests.factories import LibraryFactory

FIRST_DAY = dt.date(2026, 3, 30)
# Per day: the answers in before staff look at the results that day, and those after.
DAY = st.tuples(st.integers(0, 12), st.integers(0, 12))


def _answer(survey: Survey, question: Question, day: dt.date, count: int) -> None:
    for number in range(count):
        services.submit_response(
            survey=survey,
            channel="website",
            answers={question.pk: [f"{day.isoformat()} #{number}"]},
            today=day,
        )


@given(days=st.lists(DAY, max_size=10))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_two_views_are_equal_or_ten_answers_apart_and_never_show_todays(db, days):
    survey = services.create_survey(library=LibraryFactory(), actor=None, title="Hoe vind je ons?")
    question = services.add_question(
        survey=survey, actor=None, kind="open", text="Wat kan beter?", choices=[], required=False
    )
    views = []
    for offset, (before, after) in enumerate([*days, (0, 0)]):
        today = FIRST_DAY + dt.timedelta(days=offset)
        for count in (before, after):
            _answer(survey, question, today, count)
            shown = queries.snapshot(survey=survey, today=today, batch=SMALL_CELL)
            counts = queries.survey_counts(survey=survey, through=shown.through)
            views.append((today, shown, counts))

    for today, shown, counts in views:
        assert shown.through is None or shown.through < today
        assert counts.responses == shown.responses
        days_shown = {text.split(" ")[0] for text in counts.questions[0].texts}
        assert len(counts.questions[0].texts) == shown.responses
        assert today.isoformat() not in days_shown
        if shown.through is not None:
            assert max(days_shown) <= shown.through.isoformat()
            assert (
                shown.responses
                == Response.objects.filter(survey=survey, submitted_on__lte=shown.through).count()
            )
    for (_, one, _), (_, other, _) in itertools.combinations(views, 2):
        assert one == other or abs(one.responses - other.responses) >= SMALL_CELL
        assert one.responses <= other.responses  # the snapshot only moves forward


def test_the_snapshot_moves_the_day_after_the_tenth_new_answer(db):
    survey = services.create_survey(library=LibraryFactory(), actor=None, title="Hoe vind je ons?")
    question = services.add_question(
        survey=survey, actor=None, kind="open", text="Wat kan beter?", choices=[], required=False
    )
    monday = dt.date(2026, 11, 30)
    for day, count in ((0, 7), (1, 5), (2, 9), (3, 1)):
        _answer(survey, question, monday + dt.timedelta(days=day), count)

    seen = [
        queries.snapshot(survey=survey, today=monday + dt.timedelta(days=day), batch=SMALL_CELL)
        for day in range(6)
    ]

    tuesday, thursday = monday + dt.timedelta(days=1), monday + dt.timedelta(days=3)
    assert seen == [
        queries.Snapshot(),  # Monday: nothing before it
        queries.Snapshot(),  # Tuesday: Monday brought 7, not yet 10
        queries.Snapshot(tuesday, 12),  # Wednesday: Tuesday brought the total to 12
        queries.Snapshot(tuesday, 12),  # Thursday: 9 new, so still up to Tuesday
        queries.Snapshot(thursday, 22),  # Friday: 10 new by Thursday
        queries.Snapshot(thursday, 22),
    ]
