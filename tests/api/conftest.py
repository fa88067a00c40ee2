"""The API over real HTTP: a live server (pytest-django's, in a thread of the test process)
and a client that speaks to it with a token, as the library's systems do."""

from dataclasses import dataclass

import pytest
import requests

from tests.api.factories import token
from tests.factories import LibraryFactory


@dataclass
class Client:
    base_url: str
    token: str | None

    def request(self, method: str, path: str, *, headers: dict | None = None, **kwargs):
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        return requests.request(
            method, f"{self.base_url}/api/v1{path}", headers=sent, timeout=30, **kwargs
        )

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)


@pytest.fixture
def api_library(transactional_db):
    return LibraryFactory(code="gent", name="Bibliotheek Gent")


@pytest.fixture
def client_for(live_server):
    """A client of the live server with the given token (None: no Authorization header)."""
    return lambda clear_token: Client(live_server.url, clear_token)


@pytest.fixture
def api(client_for, api_library):
    """A client with a token of every scope for the library `gent`."""
    return client_for(token(api_library))
