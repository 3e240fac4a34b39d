"""A small webhook receiver for the offline demo: prints every newswatch event it gets.

    python scripts/demo_receiver.py PORT [--seconds N] [--secret-env NAME] [--ready-file FILE]

Listens on 127.0.0.1:PORT (0: any free port) and answers each ``POST`` the way a real receiver should
(docs/webhooks.md): the signature is checked over the raw body with ``monitor.alerts.channels.webhook.verify_signature``
before the JSON is parsed (401 when it does not match), events are de-duplicated by id, and every
accepted request gets a quick 204. One line is printed per request, e.g.

    webhook 6: signature verified, article.changed, change class addition, title 中美元首会晤...

The secret is read from the environment variable named by ``--secret-env`` (default
``NEWSWATCH_WEBHOOK_SECRET``), the same one the newswatch channel's ``secret_env`` names. The receiver
exits after ``--seconds`` (default 600) or on SIGTERM/SIGINT, printing a summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from newswatch.monitor.alerts.channels.webhook import verify_signature


class Tally:
    """What the receiver saw, shared between the request threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.verified = 0
        self.rejected = 0
        self.ids: set[str] = set()


def describe(payload: dict[str, Any]) -> str:
    """The event in one line: type, change class (or anomaly reason), title."""
    parts = [str(payload.get("type"))]
    change = payload.get("change") or {}
    if change.get("change_class"):
        parts.append(f"change class {change['change_class']}")
    if payload.get("anomaly"):
        parts.append(f"anomaly {payload['anomaly']}")
    article = payload.get("article") or {}
    title = article.get("title") or payload.get("detail") or ""
    if title:
        parts.append(f"title {title}")
    if article.get("version") is not None:
        parts.append(f"version {article['version']}")
    return ", ".join(parts)


def make_handler(secret: str, tally: Tally) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per event below
            pass

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with tally.lock:
                tally.requests += 1
                number = tally.requests
            # verify the raw bytes first, parse afterwards
            if not verify_signature(secret, body, dict(self.headers.items())):
                with tally.lock:
                    tally.rejected += 1
                print(f"webhook {number}: signature INVALID, rejected with 401", flush=True)
                self._answer(401)
                return
            try:
                payload = json.loads(body)
            except ValueError:
                print(f"webhook {number}: signature verified, but the body is not JSON", flush=True)
                self._answer(400)
                return
            event_id = str(payload.get("id"))
            with tally.lock:
                duplicate = event_id in tally.ids
                tally.ids.add(event_id)
                tally.verified += 1
            note = " (duplicate id, ignored)" if duplicate else ""
            print(f"webhook {number}: signature verified, {describe(payload)}{note}", flush=True)
            self._answer(204)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print and verify newswatch webhooks (demo receiver).")
    parser.add_argument("port", type=int, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--seconds", type=float, default=600.0, help="exit after this long (default 600)")
    parser.add_argument("--secret-env", default="NEWSWATCH_WEBHOOK_SECRET",
                        help="environment variable holding the shared secret")
    parser.add_argument("--ready-file", type=Path,
                        help="write the receiver's URL here once it listens (for scripts)")
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env, "")
    if not secret:
        print(f"demo_receiver: set {args.secret_env} to the webhook secret", file=sys.stderr)
        return 2

    tally = Tally()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(secret, tally))
    server.daemon_threads = True
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"receiver listening on {url} (secret from ${args.secret_env})", flush=True)
    if args.ready_file is not None:
        temporary = args.ready_file.with_name(args.ready_file.name + ".tmp")
        temporary.write_text(url + "\n", encoding="utf-8")
        temporary.replace(args.ready_file)  # atomic: a reader never sees half a URL
    stop.wait(args.seconds)
    server.shutdown()
    server.server_close()
    print(f"receiver stopped: {tally.requests} requests, {tally.verified} signature-verified, "
          f"{len(tally.ids)} distinct events, {tally.rejected} rejected", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
