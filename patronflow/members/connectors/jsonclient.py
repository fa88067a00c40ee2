"""A small JSON-over-HTTPS client for connectors: timeouts, retries with backoff, clear errors.

Standard library only (urllib): a nightly sync makes a few thousand plain GETs, which needs no
connection pool or async client. A server error (5xx, 429) or a dropped connection is retried
with exponential backoff, because library systems restart and proxies time out at night; any
other 4xx is a mistake on our side (a bad key, a wrong library id) and fails at once with the
server's own words.
"""

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from patronflow.members.connectors.base import ConnectorError

USER_AGENT = "patronflow-sync/1"
SHOWN_BODY_CHARS = 300


class HttpStatusError(ConnectorError):
    """The server answered with a status we do not retry (a 4xx other than 429)."""

    def __init__(self, status: int, url: str, body: str) -> None:
        self.status = status
        self.url = url
        self.body = body
        super().__init__(f"HTTP {status} from {url}: {body[:SHOWN_BODY_CHARS] or '(no body)'}")


class JsonClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        attempts: int = 4,
        retry_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.sleep = sleep

    def get(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return self.request("GET", path, params=params, headers=headers)

    def post(self, path: str, body: Any, headers: Mapping[str, str] | None = None) -> Any:
        return self.request("POST", path, body=body, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty body). Retries 5xx, 429 and connection
        failures `attempts` times in all, waiting retry_delay, then twice as long, and so on."""
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            attempt += 1
            request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return _decoded(response.read(), url)
            except urllib.error.HTTPError as error:
                text = error.read().decode("utf-8", "replace").strip()
                if error.code < 500 and error.code != 429:
                    raise HttpStatusError(error.code, url, text) from None
                problem = f"HTTP {error.code}"
            except (http.client.HTTPException, OSError) as error:  # URLError, timeouts too
                reason = getattr(error, "reason", error)
                problem = f"connection failed ({reason})"
            if attempt >= self.attempts:
                raise ConnectorError(
                    f"{method} {url}: {problem}, still after {self.attempts} attempts"
                )
            self.sleep(self.retry_delay * 2 ** (attempt - 1))


def _decoded(raw: bytes, url: str) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ConnectorError(f"{url} did not answer JSON: {raw[:SHOWN_BODY_CHARS]!r}") from None
