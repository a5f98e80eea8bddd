"""A receiving system for the tests: ``http.server`` in a thread on 127.0.0.1, which keeps the idempotency keys
it accepted (a key is taken once: sent again, it is answered as accepted and not recorded twice), fails a share
of the calls chosen by a seeded random generator (half of the failures before taking the message, half after —
the answer lost on the way back), refuses the keys it is told to refuse (400 with an OperationOutcome), and can
answer with a fixed body (a DHIS2 import summary)."""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Stub:
    def __init__(self, *, fail_share: float = 0.0, seed: int = 24, port: int = 0):
        self.fail_share = fail_share
        self.random = random.Random(seed)
        self.accepted: list[str] = []  # the keys taken, in order, each once
        self.bodies: dict[str, bytes] = {}
        self.calls: list[dict] = []  # every request: path, headers, outcome
        self.refuse: set[str] = set()
        self.answer_body: bytes | None = None
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Idempotency-Key", "")
                status, answer = stub.take(self.path, dict(self.headers), key, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def take(self, path: str, headers: dict, key: str, body: bytes) -> tuple[int, bytes]:
        with self.lock:
            call = {"path": path, "headers": headers, "key": key}
            self.calls.append(call)
            if key in self.refuse:
                call["outcome"] = "refused"
                return 400, json.dumps({"resourceType": "OperationOutcome", "issue": [{
                    "severity": "error", "code": "invalid", "expression": ["Bundle.entry[0]"],
                    "diagnostics": "unknown disease code"}]}).encode()
            draw = self.random.random()
            if draw < self.fail_share / 2:
                call["outcome"] = "failed before taking"
                return 503, b'{"error": "unavailable"}'
            if key not in self.bodies:
                self.accepted.append(key)
                self.bodies[key] = body
            if draw < self.fail_share:
                call["outcome"] = "taken, answer lost"
                return 502, b'{"error": "bad gateway"}'
            call["outcome"] = "taken"
            return 200, self.answer_body or b'{"status": "OK"}'

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
