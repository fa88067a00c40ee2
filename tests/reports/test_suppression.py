"""The small-numbers rule on plain sums: a count from 1 to 9 is withheld, and then as few
other cells as it takes so that none can be worked out — by subtraction, from what a "< 10"
or a "·" tells, or along a chain of sums."""

from patronflow.reports.suppression import Sum, Withheld, withhold

SMALL, HIDDEN = Withheld.SMALL, Withheld.HIDDEN


def test_a_small_week_is_protected_by_the_next_smallest_week_not_by_the_total():
    weeks = {"week 1": 3, "week 2": 20, "week 3": 30, "week 4": 0}
    values = {"variant": 53, **weeks}

    withheld = withhold(values, [Sum("variant", tuple(weeks))], values)

    assert withheld == {"week 1": SMALL, "week 2": HIDDEN}  # 0 is published as 0


def test_a_part_of_10_does_not_protect_a_part_of_1_since_a_dot_means_10_or_more():
    values = {"total": 11, "one": 1, "ten": 10}

    withheld = withhold(values, [Sum("total", ("one", "ten"))], values)

    assert withheld == {"one": SMALL, "total": HIDDEN}


def test_parts_of_1_adding_up_to_a_shown_total_are_protected_by_withholding_it():
    values = {"total": 12, **{f"week {n}": 1 for n in range(12)}}

    withheld = withhold(values, [Sum("total", tuple(values)[1:])], values)

    assert withheld["total"] is HIDDEN  # twelve weeks under 10 adding up to 12: each is 1


def test_a_withheld_total_that_its_own_total_gives_away_is_protected_up_the_chain():
    values = {"step": 41, "variant a": 11, "variant b": 30, "week 1": 1, "week 2": 10}
    sums = [Sum("step", ("variant a", "variant b")), Sum("variant a", ("week 1", "week 2"))]

    withheld = withhold(values, sums, values)

    # Variant a alone would be 41 - 30; with variant b withheld too, week 2 can stay.
    assert withheld == {"week 1": SMALL, "variant a": HIDDEN, "variant b": HIDDEN}


def test_a_small_difference_of_two_published_counts_is_protected():
    values = {"enrolments": 40, "mailed": 37, "held out": 3}

    withheld = withhold(
        values, [Sum("enrolments", ("mailed", "held out"))], {"enrolments", "mailed"}
    )

    assert withheld == {"mailed": HIDDEN}  # else 40 - 37 gives the held-out 3 away


def test_the_total_goes_first_where_the_parts_are_what_the_reader_came_for():
    values = {"enrolments": 40, "mailed": 37, "held out": 3}
    groups = Sum("enrolments", ("mailed", "held out"), spare_total=True)

    assert withhold(values, [groups], values) == {"held out": SMALL, "enrolments": HIDDEN}
    assert withhold(values, [Sum(groups.total, groups.parts)], values) == {
        "held out": SMALL,
        "mailed": HIDDEN,
    }
