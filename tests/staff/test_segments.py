"""The segment screens: a marketer builds an audience from rows of conditions, sees its size
while editing, and saves it as a named segment; the builder works without script."""

import datetime as dt

import pytest
import time_machine
from django.http import QueryDict
from django.urls import reverse

from patronflow.journeys.audiences import CONDITIONS, SAVED_SEGMENT
from patronflow.journeys.definitions import save_segment
from patronflow.journeys.models import SavedSegment
from patronflow.privacy.models import AuditEntry
from patronflow.profiles.models import ReadingProfile
from patronflow.staff.audience_builder import VALUE_LABELS, AudienceBuilder, tree_from_conditions
from tests.factories import TODAY, MemberFactory, at


@pytest.fixture(autouse=True)
def on_today():
    with time_machine.travel(at(TODAY, 9), tick=False):
        yield


def rows(**fields) -> dict:
    """POST fields of a builder under the "audience" prefix: {"r": "group:all", "r.0":
    ("active_within_days", "30")}."""
    data = {}
    for path, spec in fields.items():
        path = path.replace("_", ".")
        if isinstance(spec, str) and spec.startswith("group:"):
            data[f"audience-{path}-kind"] = "group"
            data[f"audience-{path}-mode"] = spec.removeprefix("group:")
        else:
            condition, value = spec
            data[f"audience-{path}-kind"] = "condition"
            data[f"audience-{path}-condition"] = condition
            data[f"audience-{path}-shown"] = condition
            data[f"audience-{path}-value"] = value
    return data


def reader(library, segment: str, **fields):
    member = MemberFactory(library=library, **fields)
    ReadingProfile.objects.create(member=member, segment=segment)
    return member


def test_a_marketer_creates_a_segment_with_an_or_group(staff_client, library):
    reader(library, "fiction_digital", last_activity_on=TODAY - dt.timedelta(days=900))
    reader(library, "fiction_physical", last_activity_on=TODAY - dt.timedelta(days=5))
    reader(library, "nonfiction_physical", last_activity_on=TODAY - dt.timedelta(days=900))
    data = {
        "name": "Leest e-boeken",
        "key": "ebook-readers",
        **rows(
            r="group:any",
            r_0=("reading_segments", ["fiction_digital", "nonfiction_digital"]),
            r_1=("active_within_days", "730"),
        ),
    }

    response = staff_client.post(reverse("staff:segment_new"), data, follow=True)

    saved = SavedSegment.objects.get(library=library, key="ebook-readers")
    assert saved.conditions == {
        "any": [
            {"reading_segments": ["fiction_digital", "nonfiction_digital"]},
            {"active_within_days": 730},
        ]
    }
    page = response.content.decode()
    assert "Leest e-boeken" in page
    assert AuditEntry.objects.filter(library_code="gent", subject__contains="ebook-readers")


def test_the_buttons_add_and_remove_rows_without_saving(staff_client, library):
    url = reverse("staff:segment_new")
    data = {"name": "Jong", "key": "jong", **rows(r="group:all", r_0=("max_age", "30"))}

    added = staff_client.post(url, {**data, "audience-action": "add-group:r"})
    page = added.content.decode()
    assert 'name="audience-r.1-mode"' in page and 'name="audience-r.1.0-condition"' in page
    assert 'value="30"' in page
    assert not SavedSegment.objects.filter(key="jong").exists()
    assert "audience-r.1.0-condition-error" not in page  # no errors on rows while building

    removed = staff_client.post(url, {**data, "audience-action": "remove:r.0"})
    assert 'name="audience-r.0-condition"' not in removed.content.decode()
    assert not SavedSegment.objects.exists()


def test_problems_are_shown_on_the_row_they_concern(staff_client, library):
    data = {
        "name": "Jong",
        "key": "Jonge Lezers",
        **rows(r="group:all", r_0=("max_age", "dertig"), r_1=("reading_segments", [])),
    }
    page = staff_client.post(reverse("staff:segment_new"), data).content.decode()

    assert 'id="audience-r.0-value-error"' in page
    assert "Geef een geheel getal van 0 of meer." in page
    assert "Vink minstens één leesprofiel aan." in page
    assert "Alleen kleine letters, cijfers en koppeltekens." in page
    assert not SavedSegment.objects.exists()


def test_editing_a_segment_shows_its_rows_and_keeps_its_key(staff_client, library):
    segment = save_segment(
        library, "slapers", "Slapers", {"inactive_for_days": 365, "not": {"max_age": 25}}
    )
    url = reverse("staff:segment", args=[segment.pk])
    page = staff_client.get(url).content.decode()
    assert 'value="365"' in page and 'name="audience-r.1-mode"' in page

    data = {
        "name": "Lang niet gezien",
        "key": "iets-anders",
        **rows(
            r="group:all",
            r_0=("inactive_for_days", "500"),
            r_1="group:none",
            r_1_0=("max_age", "25"),
        ),
    }
    staff_client.post(url, data)

    segment.refresh_from_db()
    assert (segment.key, segment.name) == ("slapers", "Lang niet gezien")
    assert segment.conditions == {"inactive_for_days": 500, "not": {"max_age": 25}}


def test_another_librarys_segment_is_not_found(staff_client, other_library):
    theirs = save_segment(other_library, "jong", "Jong", {"max_age": 30})
    assert staff_client.get(reverse("staff:segment", args=[theirs.pk])).status_code == 404
    assert staff_client.post(reverse("staff:segment", args=[theirs.pk]), {}).status_code == 404


def test_a_new_segment_may_not_take_an_existing_key(staff_client, library):
    save_segment(library, "jong", "Jong", {"max_age": 30})
    data = {"name": "Ander", "key": "jong", **rows(r="group:all", r_0=("max_age", "20"))}
    page = staff_client.post(reverse("staff:segment_new"), data).content.decode()
    assert "Deze bibliotheek heeft al een segment met deze sleutel." in page
    assert SavedSegment.objects.get(key="jong").conditions == {"max_age": 30}


def test_the_count_says_how_many_match_and_may_be_mailed_per_reading_profile(staff_client, library):
    reader(library, "fiction_digital")
    reader(library, "fiction_digital", email="")
    reader(library, "nonfiction_physical")
    MemberFactory(library=library, birth_date=TODAY.replace(year=TODAY.year - 12))
    data = {"prefix": "audience", **rows(r="group:all", r_0=("active_within_days", "30"))}

    response = staff_client.post(reverse("staff:audience_count"), data)

    count = response.context["builder"].count
    assert (count.members, count.mailable) == (4, 2)
    by_segment = {row.segment: (row.members, row.mailable) for row in count.by_segment}
    assert by_segment["fiction_digital"] == (2, 1)
    assert by_segment["nonfiction_physical"] == (1, 1)
    assert by_segment["unknown"] == (1, 0)
    page = response.content.decode()
    assert "Leden die nu voldoen" in page and "Fictie, digitaal" in page


def test_the_count_of_incomplete_rows_says_what_is_missing(staff_client, library):
    data = {"prefix": "entry", "entry-r-kind": "group", "entry-r-mode": "all"}
    data["entry-r.0-kind"] = "condition"
    page = staff_client.post(reverse("staff:audience_count"), data).content.decode()
    assert "Nog niet geteld" in page and "Kies een voorwaarde." in page


def test_rows_and_stored_conditions_turn_into_each_other():
    stored = {
        "inactive_for_days": 365,
        "any": [{"reading_segments": ["fiction_digital"]}, {"min_age": 60, "max_age": 70}],
        "not": {"any": [{"has_online_profile": True}, {"segment": "jong"}]},
        "all": [{"any": [{"max_age": 20}]}, {"any": [{"min_age": 80}]}],
    }
    root = tree_from_conditions(stored)
    # Conditions first, then groups, whatever order the database keeps the keys in.
    assert [child.mode or child.condition for child in root.children] == [
        "inactive_for_days",
        "all",
        "any",
        "none",
    ]
    assert [child.condition for child in root.children[3].children] == [
        "has_online_profile",
        "segment",
    ]


def test_a_post_of_the_rows_gives_back_the_stored_conditions(library):
    save_segment(library, "jong", "Jong", {"max_age": 30})
    stored = {
        "inactive_for_days": 365,
        "any": [{"reading_segments": ["fiction_digital"]}, {"min_age": 60, "max_age": 70}],
        "not": {"any": [{"has_online_profile": True}, {"segment": "jong"}]},
        "all": [{"any": [{"max_age": 20}]}, {"not": {"min_age": 80}}],
    }
    shown = AudienceBuilder(prefix="entry", initial=stored, library=library)
    data = _as_post(shown.root, "entry")

    builder = AudienceBuilder(data=data, prefix="entry", library=library)

    assert builder.is_valid(), builder.errors
    assert builder.conditions == stored


def _as_post(node, prefix: str) -> QueryDict:
    data = QueryDict(mutable=True)

    def add(node):
        field = f"{prefix}-{node.path}-"
        data[field + "kind"] = node.kind
        if node.is_group:
            data[field + "mode"] = node.mode
            for child in node.children:
                add(child)
        else:
            data[field + "condition"] = data[field + "shown"] = node.condition
            if isinstance(node.value, list):
                data.setlist(field + "value", node.value)
            else:
                data[field + "value"] = node.value

    add(node)
    return data


def test_an_empty_group_is_refused_on_the_group(staff_client, library):
    data = {
        "name": "Leeg",
        "key": "leeg",
        **rows(r="group:all", r_0=("min_age", "18"), r_1="group:any"),
    }
    page = staff_client.post(reverse("staff:segment_new"), data).content.decode()

    assert 'id="audience-r.1-mode-error"' in page
    assert "Voeg een voorwaarde toe aan deze groep, of verwijder de groep." in page
    assert not SavedSegment.objects.exists()


def test_none_of_these_at_the_top_is_a_not(staff_client, library):
    data = {
        "name": "Geen jongeren",
        "key": "geen-jongeren",
        **rows(r="group:none", r_0=("max_age", "25"), r_1=("has_online_profile", "yes")),
    }
    staff_client.post(reverse("staff:segment_new"), data)

    assert SavedSegment.objects.get(key="geen-jongeren").conditions == {
        "not": {"any": [{"max_age": 25}, {"has_online_profile": True}]}
    }


def test_every_condition_of_the_format_can_be_chosen_in_the_builder(library):
    builder = AudienceBuilder(prefix="entry", library=library)

    assert {name for name, _label in builder.condition_choices} == {*CONDITIONS, SAVED_SEGMENT}
    assert all(VALUE_LABELS[name] for name in (*CONDITIONS, SAVED_SEGMENT))
