"""Lock-out after guessing, per login and client address: behind a reverse proxy the address
is the one the proxy saw, so a guesser locks only their own address out of a login."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.staff.conftest import PASSWORD

PROXY = "10.0.0.2"  # every request reaches patronflow from here behind the reverse proxy
GUESSER = "203.0.113.66"
COLLEAGUE = "198.51.100.14"


def _log_in(address: str, password: str, *, forged: str = "", peer: str = PROXY) -> int:
    """A login attempt as the reverse proxy passes it on: it appends the address it saw to
    whatever X-Forwarded-For the client sent."""
    forwarded = f"{forged}, {address}" if forged else address
    response = Client().post(
        reverse("staff:login"),
        {"username": "an", "password": password},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return response.status_code


@pytest.mark.django_db
def test_behind_a_proxy_a_guesser_locks_their_own_address_and_not_the_login(settings, marketer):
    settings.TRACKING_BEHIND_PROXY = True
    for attempt in range(5):
        # A different made-up address before the proxy's entry each time changes nothing.
        _log_in(GUESSER, "wrong", forged=f"192.0.2.{attempt}")

    assert _log_in(GUESSER, PASSWORD, forged="192.0.2.99") in (403, 429)
    assert _log_in(COLLEAGUE, PASSWORD) == 302


@pytest.mark.django_db
def test_without_the_proxy_setting_a_made_up_forwarded_address_does_not_escape_a_lock(
    settings, marketer
):
    settings.TRACKING_BEHIND_PROXY = False
    for _ in range(5):
        _log_in(GUESSER, "wrong", peer=GUESSER)

    assert _log_in(COLLEAGUE, PASSWORD, peer=GUESSER) in (403, 429)
