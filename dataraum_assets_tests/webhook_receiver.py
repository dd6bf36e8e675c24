"""A real HTTP webhook receiver on loopback that records what it was sent.

Paths choose the behaviour: ``/ok`` answers 200; ``/flaky/<n>`` answers 500 to the first ``n``
requests (per delivery id) and 200 afterwards; ``/gone`` answers 410.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures_served: dict[str, int] = field(default_factory=dict)

    def received(self, path_prefix: str = "") -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urlsplit(self.path).path
            status = 200
            if path.startswith("/flaky/"):
                fail_first = int(path.rsplit("/", 1)[1])
                key = f"{path}:{self.headers.get('X-Dataraum-Delivery')}"
                with receiver.lock:
                    served = receiver.failures_served.get(key, 0)
                    if served < fail_first:
                        receiver.failures_served[key] = served + 1
                        status = 500
            elif path == "/gone":
                status = 410
            with receiver.lock:
                receiver.requests.append(
                    Received(self.path, dict(self.headers.items()), body, status)
                )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
