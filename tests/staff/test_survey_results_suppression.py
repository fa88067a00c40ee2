"""The survey results' small-number rule, property-tested: whatever the answers, no count
from 1 to 9 is shown, none can be had by one subtraction of shown figures, shown figures add
up, and no percentage or mean gives a withheld count away."""

from hypothesis import given, settings
from hypothesis import strategies as st

from patronflow.reports.suppression import Withheld
from patronflow.staff.survey_results import published
from patronflow.surveys.models import Question
from patronflow.surveys.queries import QuestionCounts, SurveyCounts

CHOICES = ["Romans", "Strips", "Kookboeken"]
counts = st.integers(min_value=0, max_value=40)


def is_small(figure) -> bool:
    return isinstance(figure, int) and 0 < figure < 10


@st.composite
def survey_counts(draw) -> SurveyCounts:
    channels = {"mail": draw(counts), "website": draw(counts), "desk": draw(counts)}
    responses = sum(channels.values())
    single = draw(st.lists(counts, min_size=3, max_size=3).filter(lambda c: sum(c) <= responses))
    scale = draw(st.lists(counts, min_size=5, max_size=5).filter(lambda c: sum(c) <= responses))
    ticked_by = draw(st.integers(min_value=0, max_value=responses))
    several = [draw(st.integers(min_value=0, max_value=ticked_by)) for _ in CHOICES]
    return SurveyCounts(
        responses=responses,
        channels=channels,
        questions=[
            QuestionCounts(Question(pk=1, kind="single", choices=CHOICES), sum(single),
                           dict(zip(CHOICES, single, strict=True))),
            QuestionCounts(Question(pk=2, kind="multiple", choices=CHOICES), ticked_by,
                           dict(zip(CHOICES, several, strict=True))),
            QuestionCounts(Question(pk=3, kind="scale"), sum(scale),
                           dict(zip("12345", scale, strict=True))),
        ],
    )  # fmt: skip


def shown(figure) -> bool:
    return not isinstance(figure, Withheld)


@settings(max_examples=300, deadline=None)
@given(survey_counts())
def test_no_small_count_is_shown_or_derivable_and_shown_figures_add_up(raw):
    results = published(raw)
    single, several, scale = results.questions
    figures = [results.responses, *(r.figure for r in results.channels)]
    for result in results.questions:
        figures += [result.answered, *(r.figure for r in result.rows)]
    assert not any(is_small(figure) for figure in figures)

    # (shown total, shown parts, true unshown values) of each sum a reader can use
    skipped = [raw.responses - q.answered for q in raw.questions]
    sums = [
        (results.responses, [r.figure for r in results.channels], list(raw.channels.values())),
        (single.answered, [r.figure for r in single.rows], list(raw.questions[0].values.values())),
        (scale.answered, [r.figure for r in scale.rows], list(raw.questions[2].values.values())),
    ]
    for result, skip in zip(results.questions, skipped, strict=True):
        sums.append((results.responses, [result.answered, Withheld.HIDDEN], [None, skip]))
    for row, ticked in zip(several.rows, raw.questions[1].values.values(), strict=True):
        sums.append((several.answered, [row.figure, Withheld.HIDDEN],
                     [ticked, raw.questions[1].answered - ticked]))  # fmt: skip
    for total, parts, true_parts in sums:
        cells = [total, *parts]
        hidden = [i for i, cell in enumerate(cells) if not shown(cell)]
        if not hidden:
            assert total == sum(parts)
        if len(hidden) == 1 and hidden[0] > 0:
            assert not is_small(true_parts[hidden[0] - 1])  # one subtraction would give it
        if hidden == [0]:
            assert not is_small(sum(parts))

    for result in (*results.questions, results):
        rows = result.channels if result is results else result.rows
        base = result.responses if result is results else result.answered
        for row in rows:
            assert row.percent is None or (shown(row.figure) and shown(base))
    withheld_scale = not shown(scale.answered) or any(not shown(r.figure) for r in scale.rows)
    assert scale.mean is None or not withheld_scale
