"""Staff accounts: two marketers per library at most, strong hashes, lock-out after guessing."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from patronflow.staff.models import StaffProfile
from patronflow.staff.services import StaffError, add_staff, remove_staff
from tests.staff.conftest import PASSWORD, make_marketer

pytestmark = pytest.mark.django_db


def test_a_library_has_room_for_two_marketers_and_refuses_a_third_in_dutch(library):
    make_marketer(library, "an")
    make_marketer(library, "bart")
    with translation.override("nl"), pytest.raises(StaffError) as refused:
        make_marketer(library, "carla")
    assert "Bibliotheek Gent heeft al 2 marketeer-accounts" in str(refused.value)
    assert not get_user_model().objects.filter(username="carla").exists()


def test_the_refusal_reads_in_english_too(library):
    make_marketer(library, "an")
    make_marketer(library, "bart")
    with translation.override("en"), pytest.raises(StaffError, match="already has 2 marketer"):
        make_marketer(library, "carla")


def test_the_database_itself_refuses_a_third_seat(library):
    first = make_marketer(library, "an")
    second = get_user_model().objects.create_user("bart")
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffProfile.objects.create(user=second, role="marketer", library=library, seat=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffProfile.objects.create(user=second, role="marketer", library=library, seat=3)
    assert first.staff_profile.seat == 1


def test_removing_a_marketer_frees_a_seat(library):
    make_marketer(library, "an")
    bart = make_marketer(library, "bart")
    remove_staff(bart)
    assert make_marketer(library, "carla").staff_profile.seat == 2


def test_another_library_has_its_own_two_seats(library, other_library):
    make_marketer(library, "an")
    make_marketer(library, "bart")
    assert make_marketer(other_library, "dirk").staff_profile.library == other_library


def test_a_network_admin_belongs_to_no_library(library):
    admin = add_staff(
        "netwerk", email="n@example.org", password=PASSWORD, role="admin", library=library
    )
    assert admin.staff_profile.library is None
    assert admin.staff_profile.is_admin


def test_passwords_are_hashed_with_argon2_and_weak_ones_are_refused(library):
    assert make_marketer(library, "an").password.startswith("argon2")
    with pytest.raises(StaffError):
        add_staff("bart", email="", password="12345", role="marketer", library=library)


def test_the_command_adds_a_marketer(library, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    call_command("staff", "add", "an", "--library", "gent", "--role", "marketer",
                 "--email", "an@gent.be", "--password-stdin")  # fmt: skip
    assert "Added an (marketer of gent)" in capsys.readouterr().out
    profile = StaffProfile.objects.get(user__username="an")
    assert (profile.library, profile.user.email) == (library, "an@gent.be")


def test_the_command_says_why_a_third_marketer_is_refused(library, monkeypatch):
    make_marketer(library, "an")
    make_marketer(library, "bart")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    with pytest.raises(CommandError, match=r"marketeer-accounts|marketer accounts"):
        call_command("staff", "add", "carla", "--library", "gent", "--password-stdin")


def test_five_wrong_passwords_lock_the_login(client, marketer):
    login = reverse("staff:login")
    for _ in range(5):
        client.post(login, {"username": "an", "password": "wrong"})
    locked = client.post(login, {"username": "an", "password": PASSWORD})
    assert locked.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_the_right_password_logs_in_and_lands_on_the_dashboard(client, marketer):
    response = client.post(reverse("staff:login"), {"username": "an", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("staff:dashboard")
