"""Progress people see on stderr during a long apply: counts, rates and an ETA that counts the rate windows;
plain lines without control characters when stderr is not a terminal, rich bars on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time

import pytest

from conftest import write_yaml
from reconciler.plan import Change, Plan
from reconciler.views.markdown import render_markdown
from reconciler.views.progress import RunProgress
from reconciler.views.text import render_plan
from test_bitget_e2e import KEY
from test_honest_checks import account, world

NAMES = [f"P{i:02d}USDT" for i in range(12)]
SLOW = {"POST /api/v2/mix/account/set-leverage": "1/1s", "GET /api/v2/mix/account/account": "4/1s"}


def slow_file(tmp_path, url):
    """12 leverage changes at 1 write per second, read at 4 per second: an apply of about 15 s."""
    return write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"bg": {
        **account(url, KEY, {s: {"margin_mode": "cross", "leverage": 20} for s in NAMES}), "rate_limits": SLOW}}})


@pytest.fixture
def slow_sim(start_sim):
    return start_sim({**world(NAMES), "rate_limits": SLOW})


def test_without_a_terminal_progress_is_plain_lines_with_counts_rates_and_time_left(slow_sim, cli, tmp_path):
    code, out, err = cli("apply", slow_file(tmp_path, slow_sim.url), "--auto-approve")
    assert code == 0, out + err
    assert "\033" not in err and "\r" not in err
    lines = err.splitlines()
    during = [line for line in lines if line.startswith("writing ")]  # the writes take 11 s: one line at 10 s
    assert during, err
    assert all("/12 changes (" in line and "/s)" in line and "verifying " in line for line in during)
    assert any(" left" in line for line in during)
    assert lines[-1].startswith("sent 12 changes and read ") and "back to verify them in" in lines[-1]


def test_the_time_left_counts_the_rate_windows_not_only_the_pace_so_far():
    now = [0.0]
    shown = Screen()
    progress = RunProgress(shown, terminal=False, clock=lambda: now[0])
    changes = [Change(f"bg/S{i}USDT/leverage/cross", "bg", "bitget", f"S{i}USDT", "leverage", None, "cross", "10",
                      "20") for i in range(300)]
    plan = Plan(changes=changes, observed={}, accounts={"bg": {"venue": "bitget", "environment": "sim"}},
                estimates={"bg": {"seconds": 90.0, "why": "", "write_seconds": 60.0, "verify_seconds": 30.0,
                                  "verify_reads": 300}})
    progress.applying(plan)
    for done in range(1, 6):  # the first window lets five through at once
        now[0] += 0.02
        progress.step(done, 300, changes[done - 1].id)
    assert 58 <= progress.eta() <= 60  # 295 writes at 5/s, the 300 reads back alongside; not 295 x 0.02 s
    now[0] = 59.0
    for done in range(6, 301):
        progress.step(done, 300, changes[done - 1].id)
    assert 29 <= progress.eta() <= 31  # what is left is the verification (none of it answered yet)
    progress.waiting("bg", "GET /api/v2/mix/account/account", 3.0)
    assert "bg waits 3 s for the GET /api/v2/mix/account/account rate window" in progress.status_text()
    progress.finish()
    assert shown.text.splitlines()[-1] == "sent 300 changes and read 0 back to verify them in 59.0 s"


def test_on_a_terminal_progress_is_drawn_with_bars(slow_sim, tmp_path):
    primary, secondary = pty.openpty()
    env = {**os.environ, "RECONCILER_LOCK_DIR": str(tmp_path / "locks"), "COLUMNS": "160"}
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(slow_file(tmp_path, slow_sim.url)),
                                "--auto-approve"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 60
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        assert time.monotonic() < deadline
    out = process.stdout.read().decode()
    assert process.wait(timeout=30) == 0, out + seen.decode(errors="replace")
    screen = seen.decode(errors="replace")
    assert "━" in screen and "writing" in screen and "verifying" in screen and "12/12" in screen
    assert " left" in screen or "almost done" in screen
    assert "sent 12 changes and read " in screen  # the bars go, the phase's closing line stays
    assert "Verified: everything in the file now holds." in out and "━" not in out


class Screen:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_the_estimate_counts_the_plan_apply_makes_again_its_writes_and_the_verification(slow_sim, cli, tmp_path):
    code, out, err = cli("plan", slow_file(tmp_path, slow_sim.url), "--format", "json")
    assert code == 0, err
    estimate = json.loads(out)["estimates"]["bg"]
    # 12 account reads at 4/1s, 12 leverage writes at 1/1s, the 12 symbols read back at 4/1s as their writes end
    assert (estimate["plan_seconds"], estimate["write_seconds"], estimate["verify_seconds"]) == (2.0, 11.0, 2.0)
    assert estimate["seconds"] == 13.0  # the reads back go while the writes wait for their window
    assert estimate["why"].startswith("bitget accepts 4 GET /api/v2/mix/account/account calls per 1 s, and "
                                      "planning again reads 12; then bitget accepts 1 POST")


def test_several_slow_accounts_are_estimated_each_on_its_own_and_one_venue_account_together():
    estimates = {"bg": {"seconds": 14.0, "why": "", "plan_seconds": 6.0, "write_seconds": 5.0, "verify_seconds": 3.0},
                 "ol": {"seconds": 31.0, "why": "", "plan_seconds": 1.0, "write_seconds": 30.0, "verify_seconds": 0.0}}
    plan = Plan(changes=[], observed={}, accounts={"bg": {"venue": "bitget"}, "ol": {"venue": "orderly"}},
                estimates=estimates)
    assert ("Applying all of it will take about 31 s: each account is read again and then writes and verifies on "
            "its own, without waiting for the others (ol takes longest).") in render_plan(plan)
    assert "Applying all of it will take about 31 s" in render_markdown(plan)
    # a reviewed plan is sent whole: the slowest read again (bg: 6 s), then the slowest apply (ol: 30 s)
    assert "From a saved plan, or after a yes, about 36 s" in render_plan(plan)
    plan.accounts = {"bg": {"venue": "bitget", "identity": "one"}, "ol": {"venue": "bitget", "identity": "one"}}
    assert "about 36 s" in render_plan(plan)  # one venue account under two names: both wait for the slower plan
