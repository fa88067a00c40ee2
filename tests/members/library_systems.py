"""Library systems as the tests meet them: a real HTTP server on 127.0.0.1 that replays the
recorded Wise answers in tests/members/recordings/ (see the README there), and a folder of
dropped export files. The connectors' tests and the sync's use them."""

import datetime as dt
import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

RECORDINGS = Path(__file__).with_name("recordings")
SINCE = dt.date(2026, 5, 1)
SECRETS = {
    "PATRONFLOW_WISE_API_ID": "patronflow-test-id",
    "PATRONFLOW_WISE_API_KEY": "s3cret-api-key",
    "PATRONFLOW_WISE_USERNAME": "api-patronflow",
    "PATRONFLOW_WISE_PASSWORD": "staff-password",
}


class ReplayServer:
    """Answers each request with the first unused recorded exchange that matches it."""

    def __init__(self) -> None:
        self.exchanges: list[dict] = []
        self.requests: list[dict] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/restapi"

    def play(self, scenario: str) -> None:
        recording = json.loads((RECORDINGS / f"{scenario}.json").read_text(encoding="utf-8"))
        self.exchanges = recording["exchanges"]
        self.requests = []

    @property
    def unplayed(self) -> list[dict]:
        return [exchange["request"] for exchange in self.exchanges if not exchange.get("used")]

    def paths(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.requests]

    def _answer(self, method: str, target: str, headers, body: bytes) -> tuple[int, bytes]:
        url = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.requests.append(
            {"method": method, "path": url.path, "query": query, "headers": headers, "body": body}
        )
        for exchange in self.exchanges:
            wanted = exchange["request"]
            if exchange.get("used") or (wanted["method"], wanted["path"]) != (method, url.path):
                continue
            if wanted.get("query", {}) != query:
                continue
            exchange["used"] = True
            answer = exchange["response"]
            return answer["status"], json.dumps(answer["body"]).encode()
        return 404, json.dumps({"message": f"no recording for {method} {target}"}).encode()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, data = server._answer(self.command, self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *args) -> None:
                pass

        return Handler


@pytest.fixture
def wise_server():
    server = ReplayServer()
    thread = threading.Thread(target=server.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def write_drop(folder: Path, name: str, text: str, modified: dt.date, encoding="utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    moment = dt.datetime.combine(modified, dt.time(3, 0)).timestamp()
    os.utime(path, (moment, moment))
    return path


@pytest.fixture
def drop(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    header = "Lenersnummer;Voornaam;Familienaam;Inschrijvingsdatum;Mijn Bibliotheek-profiel\n"
    write_drop(
        folder,
        "members-2026-04-20.csv",
        header + "500;Oud;Bestand;01/01/2020;N\n",
        dt.date(2026, 4, 20),
    )
    write_drop(
        folder,
        "members-2026-05-01.csv",
        header + "501;Anna;Peeters;01/02/2020;J\n\n502;Zoë;Maes;15/03/2026;N\n",
        SINCE,
        encoding="cp1252",
    )
    write_drop(folder, "members-2026-05-02.csv", header + "503;Bart\n", dt.date(2026, 5, 2))
    write_drop(
        folder,
        "ended-2026-05-02.csv",
        "Lenersnummer;Reden\n600;verhuisd\n601;\n",
        dt.date(2026, 5, 2),
    )
    return folder
