"""Shared fixtures: a simulator on a loopback port in a background thread, and the CLI run in-process."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml

from reconciler.cli import main
from reconciler.sim.server import SimServer


class RunningSim:
    """A SimServer in its own thread and event loop, with a small synchronous admin client."""

    def __init__(self, world: dict):
        self.world = world
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.server = SimServer(world)
        self.url = self._run(self.server.start("127.0.0.1", 0))

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def stop(self) -> None:
        self._run(self.server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()  # its selector and self-pipe: left open, a test worker ran past a thousand descriptors

    def admin(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def calls(self, venue: str) -> list[dict]:
        return [c for c in self.admin("GET", f"/__sim/{venue}/calls")]

    def clear_calls(self, venue: str) -> None:
        self.admin("DELETE", f"/__sim/{venue}/calls")

    def state(self, venue: str) -> dict:
        return self.admin("GET", f"/__sim/{venue}/state")

    def put_state(self, venue: str, section: dict) -> dict:
        return self.admin("PUT", f"/__sim/{venue}/state", section)

    def faults(self, venue: str, faults: list[dict]):
        return self.admin("POST", f"/__sim/{venue}/faults", faults)


@pytest.fixture
def start_sim():
    """start_sim(world_dict) -> RunningSim; stopped after the test."""
    running = []

    def start(world: dict) -> RunningSim:
        sim = RunningSim(world)
        running.append(sim)
        return sim

    yield start
    for sim in running:
        sim.stop()


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """cli(*args, stdin_tty=False) -> (exit code, stdout, stderr); runs in tmp_path (journal, locks)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
        return code, out.getvalue(), err.getvalue()

    return run


def writes(calls: list[dict]) -> list[dict]:
    """The calls of a simulator log that change something (everything but GET)."""
    return [c for c in calls if c["method"] != "GET"]


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
