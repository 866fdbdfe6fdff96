"""Drives `apply FILE` on a pseudo-terminal, as a person at the yes prompt."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest


def at_the_prompt(path, cwd):
    """apply FILE on a pseudo-terminal, stopped at the yes prompt: (process, terminal, text so far)."""
    primary, secondary = pty.openpty()
    env = {**os.environ, "RECONCILER_LOCK_DIR": str(cwd / "locks"), "NO_COLOR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(path)], cwd=cwd, env=env,
                               stdin=secondary, stdout=secondary, stderr=secondary)
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 30
    while b"Only 'yes' is accepted" not in seen:
        assert time.monotonic() < deadline, seen.decode(errors="replace")
        seen += os.read(primary, 4096)
    return process, primary, seen


def finish(process, primary, seen: bytes) -> tuple[int, str]:
    """Read until the process closes the terminal; a process still waiting after 20 s is a failure."""
    deadline = time.monotonic() + 20
    ready = select.poll()  # not select.select: a test worker may hold more than 1024 descriptors by now
    ready.register(primary, select.POLLIN)
    while time.monotonic() < deadline:
        if not ready.poll(500):
            continue
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    else:
        process.kill()
        pytest.fail("still running after the answer: " + seen.decode(errors="replace"))
    process.wait(timeout=30)
    os.close(primary)
    return process.returncode, seen.decode(errors="replace")
