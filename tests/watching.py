"""Helpers of the watch tests: the watcher as a real process, a webhook receiver, and reading /metrics."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


class Webhooks:
    """A local HTTP server that keeps every JSON body posted to it."""

    def __init__(self):
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, kind: str | None = None, item: str | None = None) -> list[dict]:
        return [e for e in list(self.received) if (kind is None or e.get("event") == kind)
                and (item is None or e.get("item") == item)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class WatchProcess:
    """`reconciler watch FILE ...` in a child process; its metrics URL read from its first line."""

    def __init__(self, path: Path, *args: str, cwd: Path, env: dict | None = None):
        self.log = open(cwd / f"watch-{time.monotonic_ns()}.log", "w+")
        environ = {**os.environ, "RECONCILER_LOCK_DIR": str(cwd / "locks"), **(env or {})}
        self.process = subprocess.Popen([sys.executable, "-m", "reconciler", "watch", str(path),
                                         "--metrics-port", "0", *args], cwd=cwd, env=environ,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("metrics on "):
            raise AssertionError(f"watch did not start: {line!r} {self.stderr()}")
        self.url = line.split()[-1].rsplit("/metrics", 1)[0]

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def metrics(self) -> dict[tuple, float]:
        """{(name, frozenset of label pairs): value} of /metrics."""
        samples = {}
        for line in self.get("/metrics")[1].splitlines():
            match = _SAMPLE.match(line)
            if match and not line.startswith("#"):
                labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
                samples[(match[1], labels)] = float(match[3])
        return samples

    def value(self, name: str, **labels) -> float:
        """The sum of `name`'s samples whose labels include `labels` (0 when there is none)."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.metrics().items() if n == name and wanted <= ls)

    def signal(self, signum=signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 30) -> int:
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stderr(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()


def within(seconds: float, check, step: float = 0.05):
    """Wait until check() is truthy (returning it) or `seconds` pass (then fail)."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s")
        time.sleep(step)
