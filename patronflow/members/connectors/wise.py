"""Wise (OCLC), the library system of the Flemish public libraries: changed and deleted patrons
from its Rest-API, the route OCLC documents for keeping a marketing tool in sync.

What the OCLC help pages (help.wise.oclc.org, "Wise Rest-API") document, and this follows:
  - every request carries a WISE_KEY header: "<API-ID>:" + hex HMAC-SHA256, keyed with the
    API-KEY, of the UTC epoch day followed by the ApplicationName;
  - staff endpoints also need a token from logging in as a staff user at /login, sent as
    `Authorization: <token>`; it is valid until 23:59:59 the same day;
  - GET /patronmanagement/patron/library/{libraryId}/updatedpatron?date=yyyy-mm-dd lists the
    patron system ids created or updated since that date;
  - GET /patron/{patronSystemId}/library/{libraryId}/patroninformation gives one patron's name,
    address and membership ("subscription") information;
  - GET /patronmanagement/patron/library/{libraryId}/deletedpatron lists deleted patrons.

What could not be verified (the endpoint reference is a Swagger page that was not available)
and is therefore ASSUMED: the /login request body and answer, the JSON shape of the three
answers, paging (offset/limit, as the documented patron search uses), and whether
deletedpatron takes a date. Every such assumption is in the "Answer shapes" section at the end
of this file, so that correcting it against a real Wise system is a change to that section.
"""

import hashlib
import hmac
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from patronflow.members.connectors.base import ConnectorError, Settings
from patronflow.members.connectors.jsonclient import HttpStatusError, JsonClient

SETTINGS = (
    "base_url",
    "library_id",
    "application_name",
    "api_id_env",
    "api_key_env",
    "username_env",
    "password_env",
    "page_size",
    "timeout",
    "attempts",
    "retry_delay",
)


class WiseConnector:
    def __init__(
        self,
        client: JsonClient,
        *,
        library_id: str,
        application_name: str,
        api_id: str,
        api_key: str,
        username: str,
        password: str,
        page_size: int = 500,
        source: str = "wise",
        utc_today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self.client = client
        self.library_id = library_id
        self.application_name = application_name
        self.api_id = api_id
        self.api_key = api_key
        self.username = username
        self.password = password
        self.page_size = page_size
        self.source = source
        self.utc_today = utc_today
        self._token: str | None = None

    @classmethod
    def from_settings(
        cls, values: Mapping[str, Any], *, source: str, environ: Mapping[str, str]
    ) -> "WiseConnector":
        settings = Settings(values, SETTINGS)
        client = JsonClient(
            settings.text("base_url"),
            timeout=settings.number("timeout", 30),
            attempts=int(settings.number("attempts", 4)) or 1,
            retry_delay=settings.number("retry_delay", 1),
        )
        return cls(
            client,
            library_id=settings.text("library_id"),
            application_name=settings.text("application_name"),
            api_id=settings.secret("api_id", "PATRONFLOW_WISE_API_ID", environ),
            api_key=settings.secret("api_key", "PATRONFLOW_WISE_API_KEY", environ),
            username=settings.secret("username", "PATRONFLOW_WISE_USERNAME", environ),
            password=settings.secret("password", "PATRONFLOW_WISE_PASSWORD", environ),
            page_size=int(settings.number("page_size", 500)) or 500,
            source=source,
        )

    def changed_members(self, since: date) -> Iterator[dict[str, str]]:
        path = f"/patronmanagement/patron/library/{self.library_id}/updatedpatron"
        for patron_id in self._paged_ids(path, since):
            try:
                answer = self._get(
                    f"/patron/{patron_id}/library/{self.library_id}/patroninformation"
                )
            except HttpStatusError as error:
                if error.status == 404:  # deleted since it was listed: deletedpatron has it
                    continue
                raise
            yield member_row(patron_id, answer)

    def ended_members(self, since: date) -> Iterator[str]:
        path = f"/patronmanagement/patron/library/{self.library_id}/deletedpatron"
        yield from self._paged_ids(path, since)

    def wise_key(self) -> str:
        """The WISE_KEY of today (UTC), as OCLC's appendix computes it."""
        message = f"{(self.utc_today() - date(1970, 1, 1)).days}{self.application_name}"
        signature = hmac.new(self.api_key.encode(), message.encode(), hashlib.sha256)
        return f"{self.api_id}:{signature.hexdigest()}"

    def _paged_ids(self, path: str, since: date) -> Iterator[str]:
        """Ids page by page until a short page. A server that ignores offset/limit gives the
        same page again, or one longer than asked: then that page was all there is."""
        offset, previous = 0, None
        while True:
            params = {
                "date": since.isoformat(),
                "offset": str(offset),
                "limit": str(self.page_size),
            }
            page = patron_ids(self._get(path, params))
            if page == previous:
                return
            yield from page
            if len(page) != self.page_size:
                return
            offset, previous = offset + len(page), page

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET as the logged-in staff user. The token lasts until midnight, so a token that
        worked and is then refused is renewed once; a fresh one refused means bad credentials."""
        fresh = self._token is None
        if fresh:
            self._login()
        try:
            return self.client.get(path, params, self._headers())
        except HttpStatusError as error:
            if fresh or error.status not in (401, 403):
                raise self._refused(error) from None
        self._login()
        try:
            return self.client.get(path, params, self._headers())
        except HttpStatusError as error:
            raise self._refused(error) from None

    def _login(self) -> None:
        self._token = None
        try:
            answer = self.client.post(
                "/login", login_body(self.username, self.password), self._headers()
            )
        except HttpStatusError as error:
            raise self._refused(error) from None
        self._token = token(answer)

    def _headers(self) -> dict[str, str]:
        headers = {"WISE_KEY": self.wise_key()}
        if self._token:
            headers["Authorization"] = self._token
        return headers

    def _refused(self, error: HttpStatusError) -> ConnectorError:
        if error.status in (401, 403):
            return ConnectorError(
                f"Wise refused the request (HTTP {error.status}) at {error.url}: check the "
                "API-ID, API-KEY and application_name (they make the WISE_KEY), the staff "
                "user's login and its permission ACTOREN Read on the library organization. "
                f"Wise said: {error.body[:300] or '(nothing)'}"
            )
        return error


# Answer shapes. ASSUMED, not verified against a Wise system (see the module docstring and
# docs/library-systems.md); the recordings in tests/members/recordings/wise/ follow them.


def login_body(username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": password}


def token(answer: Any) -> str:
    """The staff token: the answer itself when it is text, else its "token"."""
    value = answer.get("token") if isinstance(answer, dict) else answer
    if not isinstance(value, str) or not value:
        raise ConnectorError(f"Wise /login answered without a token: {str(answer)[:200]!r}")
    return value


def patron_ids(answer: Any) -> list[str]:
    """A JSON list of patron system ids, given as plain ids or as {"patronSystemId": ...}."""
    if not isinstance(answer, list):
        raise ConnectorError(f"expected a list of patron ids from Wise, got {str(answer)[:200]!r}")
    ids = []
    for entry in answer:
        value = entry.get("patronSystemId") if isinstance(entry, dict) else entry
        if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
            raise ConnectorError(f"not a patron system id in Wise's list: {entry!r}")
        ids.append(str(value))
    return ids


def member_row(patron_id: str, answer: Any) -> dict[str, str]:
    """patroninformation in patronflow's member columns; the patron system id is the key,
    because it is the id deletedpatron gives back too. Only what patroninformation is
    documented to hold (name, contact, membership) is synced: last activity and the Mijn
    Bibliotheek profile stay with the CSV import rather than being emptied every night."""
    if not isinstance(answer, dict):
        raise ConnectorError(f"unexpected patroninformation for {patron_id}: {answer!r}")
    subscription = answer.get("subscription") or {}
    return {
        "member_id": patron_id,
        "first_name": _text(answer.get("firstName")),
        "last_name": _text(answer.get("lastName")),
        "email": _text(answer.get("email")),
        "birth_date": _text(answer.get("dateOfBirth")),
        "registered_on": _text(subscription.get("startDate")),
        "membership_ends_on": _text(subscription.get("endDate")),
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
