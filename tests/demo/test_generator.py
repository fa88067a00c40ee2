"""The synthetic library the demo runs on: the import format, its shares and its consistency."""

import csv
import time
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from email_validator import EmailNotValidError, validate_email

from patronflow.demo.catalogue import works
from patronflow.demo.generator import GeneratedLibrary, generate_library
from patronflow.profiles.models import Segment
from patronflow.profiles.rules import item_is_fiction, segment_for

START = date(2026, 3, 1)
DAYS = 60
MEMBER_HEADER = (
    "member_id,first_name,last_name,email,birth_date,registered_on,last_activity_on,"
    "online_profile,membership_ends_on"
)
ITEM_HEADER = "item_id,title,author,isbn,material,siso,nur,genre,fiction"
LOAN_HEADER = "loan_id,member_id,item_id,loaned_on"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> GeneratedLibrary:
    return generate_library(tmp_path_factory.mktemp("library"), members=2000, start=START)


@pytest.fixture(scope="module")
def members(library) -> list[dict[str, str]]:
    return read(library.members_csv)


@pytest.fixture(scope="module")
def well_formed(library, members) -> list[dict[str, str]]:
    malformed = {row.member_id for row in library.malformed}
    return [member for member in members if member["member_id"] not in malformed]


@pytest.fixture(scope="module")
def items(library) -> list[dict[str, str]]:
    return read(library.items_csv)


@pytest.fixture(scope="module")
def loans(library) -> list[dict[str, str]]:
    return read(library.loans_csv)


@pytest.fixture(scope="module")
def later_loans(library) -> list[dict[str, str]]:
    return read(library.later_loans_csv)


def day(text: str) -> date:
    return date.fromisoformat(text)


def age_on_start(birth: str) -> int:
    born = day(birth)
    return START.year - born.year - ((START.month, START.day) < (born.month, born.day))


def last_loans(loans) -> dict[str, date]:
    latest: dict[str, date] = {}
    for loan in loans:
        loaned_on = day(loan["loaned_on"])
        latest[loan["member_id"]] = max(loaned_on, latest.get(loan["member_id"], loaned_on))
    return latest


def test_files_have_exactly_the_import_format_headers(library):
    for path, header in (
        (library.members_csv, MEMBER_HEADER),
        (library.arrivals_csv, MEMBER_HEADER),
        (library.items_csv, ITEM_HEADER),
        (library.loans_csv, LOAN_HEADER),
        (library.later_loans_csv, LOAN_HEADER),
    ):
        assert path.read_text(encoding="utf-8").splitlines()[0] == header


def test_counts_returned_match_the_rows_written(library, members, items, loans, later_loans):
    assert (library.members, library.items, library.loans) == (len(members), len(items), len(loans))
    assert library.arrivals == len(read(library.arrivals_csv))
    assert library.later_loans == len(later_loans)


def test_same_seed_writes_identical_files_and_another_seed_different_ones(tmp_path):
    first = generate_library(tmp_path / "a", members=300, start=START, seed=7)
    again = generate_library(tmp_path / "b", members=300, start=START, seed=7)
    other = generate_library(tmp_path / "c", members=300, start=START, seed=8)
    for name in ("members.csv", "arrivals.csv", "items.csv", "loans.csv", "later_loans.csv"):
        assert (first.directory / name).read_bytes() == (again.directory / name).read_bytes()
        assert (first.directory / name).read_bytes() != (other.directory / name).read_bytes()


def test_shares_of_children_dormant_members_and_arrivals_are_realistic(library, well_formed):
    size = library.members
    children = sum(age_on_start(member["birth_date"]) < 16 for member in well_formed)
    year_ago = START - timedelta(days=365)
    dormant = sum(day(member["last_activity_on"]) < year_ago for member in well_formed)
    assert 0.08 <= children / size <= 0.12
    assert 0.25 <= dormant / size <= 0.30
    assert 0.04 <= library.arrivals / size <= 0.06


def test_about_forty_percent_have_an_online_profile_but_few_new_arrivals_do(library, members):
    with_profile = sum(member["online_profile"] == "ja" for member in members)
    assert 0.37 <= with_profile / len(members) <= 0.43
    arrivals = read(library.arrivals_csv)
    assert sum(arrival["online_profile"] == "ja" for arrival in arrivals) / len(arrivals) < 0.2


def test_a_handful_have_no_address_and_a_few_an_ended_membership(members):
    without_email = sum(not member["email"] for member in members)
    ended = sum(
        bool(member["membership_ends_on"]) and day(member["membership_ends_on"]) < START
        for member in members
    )
    assert 1 <= without_email <= 0.004 * len(members)
    assert 1 <= ended <= 0.03 * len(members)


def test_every_address_is_valid_and_at_an_example_domain(well_formed, library):
    arrivals = read(library.arrivals_csv)
    addresses = [row["email"] for row in well_formed + arrivals if row["email"]]
    assert len(set(addresses)) == len(addresses)
    for address in addresses:
        normalized = validate_email(address, check_deliverability=False).normalized
        assert normalized.split("@")[1] in {"example.org", "example.net", "example.com"}


def test_the_deliberately_bad_rows_are_there_and_counted(library, members):
    assert 3 <= len(library.malformed) <= 5
    lines = library.members_csv.read_text(encoding="utf-8").splitlines()
    for bad in library.malformed:
        row = next(csv.DictReader([lines[0], lines[bad.line - 1]]))
        assert row["member_id"] == bad.member_id
        assert row[bad.column] == bad.value
    assert {bad.column for bad in library.malformed} >= {"email", "birth_date", "registered_on"}
    bad_emails = [bad.value for bad in library.malformed if bad.column == "email"]
    for address in bad_emails:
        with pytest.raises(EmailNotValidError):
            validate_email(address, check_deliverability=False)
    bad_dates = [bad.value for bad in library.malformed if bad.column != "email"]
    for text in bad_dates:
        with pytest.raises(ValueError):
            date.fromisoformat(text)


def test_no_other_member_row_is_malformed(well_formed):
    for member in well_formed:
        for column in ("birth_date", "registered_on", "last_activity_on"):
            day(member[column])
        assert member["online_profile"] in {"ja", "nee"}
        assert day(member["birth_date"]) < day(member["registered_on"]) <= START


def test_every_loan_refers_to_a_well_formed_member_and_an_item_and_is_no_later_than_start(
    well_formed, items, loans
):
    member_ids = {member["member_id"] for member in well_formed}
    item_ids = {item["item_id"] for item in items}
    for loan in loans:
        assert loan["member_id"] in member_ids
        assert loan["item_id"] in item_ids
        assert day(loan["loaned_on"]) <= START
    assert len({loan["loan_id"] for loan in loans}) == len(loans)


def test_a_default_library_has_about_a_year_of_loans(loans, library):
    per_member = len(loans) / library.members
    assert 10 <= per_member <= 18
    recent = sum(day(loan["loaned_on"]) >= START - timedelta(days=365) for loan in loans)
    assert recent / len(loans) > 0.8


def loans_per_day(loans, first: date, last: date) -> float:
    return sum(first <= day(loan["loaned_on"]) <= last for loan in loans) / (last - first).days


def test_the_history_reaches_back_whole_to_the_month_a_year_before_the_launch(loans):
    """The baseline sets the months since the launch against the same months a year earlier."""
    year = loans_per_day(loans, START - timedelta(days=365), START - timedelta(days=1))
    month_before = loans_per_day(loans, START - timedelta(days=395), START - timedelta(days=366))
    assert month_before == pytest.approx(year, rel=0.2)


def test_members_borrow_on_through_the_simulated_days_as_in_the_year_before(
    library, loans, later_loans
):
    days = Counter(day(loan["loaned_on"]) for loan in later_loans)
    assert sorted(days) == [START + timedelta(days=n) for n in range(1, DAYS + 1)]
    year = loans_per_day(loans, START - timedelta(days=365), START - timedelta(days=1))
    assert len(later_loans) / DAYS == pytest.approx(year, rel=0.15)
    assert {loan["loan_id"] for loan in loans}.isdisjoint(loan["loan_id"] for loan in later_loans)


def test_only_members_who_still_come_borrow_in_the_simulated_days(
    library, well_formed, later_loans
):
    year_ago = START - timedelta(days=365)
    stayed_away = {
        member["member_id"]
        for member in well_formed
        if member["membership_ends_on"] or day(member["last_activity_on"]) < year_ago
    }
    arrivals = {arrival["member_id"] for arrival in read(library.arrivals_csv)}
    borrowers = {loan["member_id"] for loan in later_loans}
    assert borrowers <= {member["member_id"] for member in well_formed} | arrivals
    assert borrowers.isdisjoint(stayed_away)


def test_many_new_members_take_something_home_on_the_day_they_register(library, later_loans):
    registered = {row["member_id"]: row["registered_on"] for row in read(library.arrivals_csv)}
    theirs = [loan for loan in later_loans if loan["member_id"] in registered]
    assert all(loan["loaned_on"] == registered[loan["member_id"]] for loan in theirs)
    assert 0.45 <= len({loan["member_id"] for loan in theirs}) / len(registered) <= 0.75


def test_last_activity_is_never_before_the_last_loan(well_formed, loans):
    latest = last_loans(loans)
    for member in well_formed:
        if member["member_id"] in latest:
            assert day(member["last_activity_on"]) >= latest[member["member_id"]]


def test_dormant_members_last_borrowed_13_to_30_months_ago(well_formed, loans):
    latest = last_loans(loans)
    year_ago = START - timedelta(days=365)
    dormant = [member for member in well_formed if day(member["last_activity_on"]) < year_ago]
    borrowed = [latest[m["member_id"]] for m in dormant if m["member_id"] in latest]
    assert len(borrowed) > 0.8 * len(dormant)
    for last_loan in borrowed:
        assert 13 * 30 <= (START - last_loan).days <= 31 * 30


def test_items_without_fiction_flag_are_classified_by_nur_siso_or_genre(items):
    kind_of = {(work.title, work.author): work.fiction for work in works()}
    unflagged = [item for item in items if item["fiction"] == ""]
    assert 0.25 <= len(unflagged) / len(items) <= 0.42
    for item in unflagged:
        assert item["nur"] or item["siso"] or item["genre"]
        verdict = item_is_fiction(None, item["nur"], item["siso"], item["genre"])
        assert verdict is kind_of[(item["title"], item["author"])]


def test_catalogue_holds_every_material_fiction_and_non_fiction(items):
    assert 300 <= len(items) <= 2000
    materials = Counter(item["material"] for item in items)
    assert set(materials) == {"book", "ebook", "eaudiobook", "audiobook", "comic", "film"}
    assert Counter(item["fiction"] for item in items).keys() == {"ja", "nee", ""}
    assert len({(work.title, work.author) for work in works()}) == len(works()) >= 200


def test_reading_profiles_form_four_segments_of_different_sizes_and_an_unknown_one(
    well_formed, items, loans
):
    by_id = {item["item_id"]: item for item in items}
    counts: dict[str, list[int]] = {}
    for loan in loans:
        item = by_id[loan["item_id"]]
        flag = {"ja": True, "nee": False, "": None}[item["fiction"]]
        fiction = item_is_fiction(flag, item["nur"], item["siso"], item["genre"])
        digital = item["material"] in {"ebook", "eaudiobook"}
        tally = counts.setdefault(loan["member_id"], [0, 0, 0, 0])
        tally[0 if fiction else 1] += 1
        tally[2 if digital else 3] += 1
    segments = Counter(
        segment_for(*counts.get(member["member_id"], [0, 0, 0, 0])) for member in well_formed
    )
    shares = {segment: segments[segment] / len(well_formed) for segment in Segment}
    assert all(share >= 0.05 for share in shares.values())
    named = sorted(shares[segment] for segment in Segment if segment != Segment.UNKNOWN)
    assert all(larger - smaller >= 0.03 for smaller, larger in pairwise(named))
    assert shares[Segment.FICTION_PHYSICAL] == named[-1]


def test_arrivals_register_during_the_simulated_period_in_order(library, members):
    arrivals = read(library.arrivals_csv)
    registered = [day(arrival["registered_on"]) for arrival in arrivals]
    assert registered == sorted(registered)
    assert registered[0] > START
    assert registered[-1] <= START + timedelta(days=DAYS)
    assert all(arrival["last_activity_on"] == arrival["registered_on"] for arrival in arrivals)
    existing = {member["member_id"] for member in members}
    assert existing.isdisjoint(arrival["member_id"] for arrival in arrivals)


def test_a_library_can_export_without_bad_rows(tmp_path):
    generated = generate_library(tmp_path, members=300, start=START, malformed_rows=0)
    assert generated.malformed == ()
    for row in read(generated.members_csv):
        if row["email"]:
            validate_email(row["email"], check_deliverability=False)
        for column in ("birth_date", "registered_on"):
            date.fromisoformat(row[column])


def test_a_library_too_small_to_show_its_shares_is_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_library(tmp_path, members=10, start=START)


def test_a_small_library_is_generated_well_under_a_second(tmp_path):
    began = time.perf_counter()
    generated = generate_library(tmp_path, members=300, start=START)
    assert time.perf_counter() - began < 0.5
    assert generated.members == 300
