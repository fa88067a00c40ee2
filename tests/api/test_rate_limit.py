"""Each token may make settings.API_RATE_LIMIT requests a minute, counted in the database for
all server processes together; over it: 429 problem with Retry-After."""

import datetime as dt

from django.utils import timezone

from patronflow.api.limits import forget_old_counts
from patronflow.api.models import RequestCount
from tests.api.checks import is_problem, within_one_window
from tests.api.factories import token


def test_a_token_over_its_limit_gets_429_with_retry_after(settings, api, client_for, api_library):
    settings.API_RATE_LIMIT = 3
    within_one_window()
    answers = [api.get("/journeys").status_code for _ in range(3)]

    over = api.get("/journeys")

    assert answers == [200, 200, 200]
    is_problem(over, 429)
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    # Another token of the same library has its own count.
    assert client_for(token(api_library, ["read"])).get("/journeys").status_code == 200


def test_old_counts_are_forgotten(api, api_library):
    api.get("/journeys")
    RequestCount.objects.update(window_start=timezone.now() - dt.timedelta(hours=2))
    api.get("/journeys")

    assert forget_old_counts(timezone.now()) == 1
    assert RequestCount.objects.count() == 1
