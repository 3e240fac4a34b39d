"""A webhook receiver on loopback for delivery tests: it answers from a script of behaviours.

    receiver = Receiver(["500", "hang", "200"])   # first request 500, second hangs, then 200 for ever
    receiver.start(port)                          # a port chosen in advance (so it can start "late")
    receiver.delivered                            # event ids it acknowledged with 2xx, in order
    receiver.seen                                 # every request (headers, body)

Like a real receiver it de-duplicates: ``unique`` is the set of event ids acknowledged.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Receiver:
    script: list[str]
    seen: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    def _next(self) -> str:
        with self.lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def start(self, port: int) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
                behaviour = receiver._next()
                if behaviour == "hang":
                    receiver.release.wait(30)
                    self.close_connection = True
                    return
                status = int(behaviour)
                if 200 <= status < 300:
                    with receiver.lock:
                        receiver.delivered.append(json.loads(body)["id"])
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def unique(self) -> set[str]:
        return set(self.delivered)
