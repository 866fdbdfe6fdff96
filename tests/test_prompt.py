"""`apply FILE` on a terminal asks for `yes` and applies only after it (driven through a pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

import test_bitget_e2e as bitget


def apply_on_a_terminal(path, answer: str, cwd, while_waiting=None) -> tuple[int, str]:
    """Run `apply FILE` on a pseudo-terminal, answer the prompt; `while_waiting()` runs while it waits."""
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
    if while_waiting:
        while_waiting()
    os.write(primary, answer.encode() + b"\n")
    while True:  # read until the process closes the terminal
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=30)
    os.close(primary)
    return process.returncode, seen.decode(errors="replace")


def test_yes_applies(start_sim, tmp_path):
    sim = start_sim(bitget.world())
    code, text = apply_on_a_terminal(bitget.config(tmp_path, sim.url), "yes", tmp_path)
    assert code == 3, text
    assert "Plan: 7 to change" in text and "Apply: 7 applied" in text
    assert len([c for c in sim.calls("bitget") if c["method"] == "POST"]) == 5


def test_anything_but_yes_sends_nothing(start_sim, tmp_path):
    sim = start_sim(bitget.world())
    code, text = apply_on_a_terminal(bitget.config(tmp_path, sim.url), "y", tmp_path)
    assert code == 1 and "Apply cancelled; nothing was sent." in text
    assert [c for c in sim.calls("bitget") if c["method"] == "POST"] == []
