"""Hostile command lines and environments: exit 1 (never 2), one line naming what and where, nothing sent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

import test_bitget_e2e as bitget
from terminal import at_the_prompt, finish
from hostile.refusal import assert_one_clear_line, assert_refused

WORLD = "world.yaml"

# Each case: argv built from (desired-state file, tmp_path), and what the one line must say.
CASES = {
    "unknown flag": (lambda f, t: ["plan", f, "--bogus"], ["unrecognized arguments: --bogus"]),
    "unknown format": (lambda f, t: ["plan", f, "--format", "xml"], ["--format", "invalid choice: 'xml'"]),
    "format without a value": (lambda f, t: ["plan", f, "--format"], ["--format", "expected one argument"]),
    "no command": (lambda f, t: [], ["required"]),
    "unknown command": (lambda f, t: ["deploy", f], ["invalid choice: 'deploy'"]),
    "plan without a file": (lambda f, t: ["plan"], ["reconciler plan", "file"]),
    "a value for a switch": (lambda f, t: ["plan", f, "--detailed-exitcode=yes"], ["--detailed-exitcode"]),
    "a value for --auto-approve": (lambda f, t: ["apply", f, "--auto-approve=1"], ["--auto-approve"]),
    "account flag without a name": (lambda f, t: ["plan", f, "--account"], ["--account", "expected one argument"]),
    "import without --account": (lambda f, t: ["import", f], ["--account"]),
    "sim without --world": (lambda f, t: ["sim"], ["--world"]),
    "sim port above 65535": (lambda f, t: ["sim", "--world", WORLD, "--port", "70000"], ["--port", "1 to 65535"]),
    "sim port zero": (lambda f, t: ["sim", "--world", WORLD, "--port", "0"], ["--port", "1 to 65535"]),
    "sim port negative": (lambda f, t: ["sim", "--world", WORLD, "--port", "-1"], ["--port"]),
    "sim port not a number": (lambda f, t: ["sim", "--world", WORLD, "--port", "http"], ["--port", "'http'"]),
    "--out is a directory": (lambda f, t: ["plan", f, "--out", t], ["--out", "is a directory"]),
    "--out in a missing directory": (lambda f, t: ["plan", f, "--out", t / "nope" / "plan.json"],
                                     ["--out", "nope", "does not exist"]),
    "--journal is a directory": (lambda f, t: ["apply", f, "--auto-approve", "--journal", t],
                                 ["--journal", "is a directory"]),
    "--journal in a missing directory": (lambda f, t: ["apply", f, "--auto-approve", "--journal",
                                                       t / "nope" / "journal.jsonl"], ["--journal", "does not exist"]),
    "apply without a terminal": (lambda f, t: ["apply", f], ["no terminal", "--auto-approve"]),
    "unknown account": (lambda f, t: ["plan", f, "--account", "nobody"], ["desired.yaml", "no account named nobody"]),
    "unknown symbol": (lambda f, t: ["plan", f, "--symbol", "NOPEUSDT"], ["desired.yaml", "no symbol NOPEUSDT"]),
    "apply an unknown account": (lambda f, t: ["apply", f, "--auto-approve", "--account", "nobody"],
                                 ["no account named nobody"]),
    "import an unknown account": (lambda f, t: ["import", f, "--account", "nobody"], ["nobody"]),
    "validate a directory": (lambda f, t: ["validate", t], ["is a directory"]),
    "plan a missing file": (lambda f, t: ["plan", t / "missing.yaml"], ["missing.yaml: cannot read"]),
    "sim with a missing world": (lambda f, t: ["sim", "--world", t / "missing-world.yaml"], ["missing-world.yaml"]),
}

TIMEOUTS = ["abc", "-1", "0", "nan", "inf", "1e999", "10s", " ", "100000000"]


@pytest.fixture
def sim(start_sim):
    return start_sim(bitget.world())


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_command_line_is_refused_with_exit_1(case, sim, cli, tmp_path):
    build, expected = CASES[case]
    path = bitget.config(tmp_path, sim.url)
    sim.clear_calls("bitget")
    assert_refused(cli(*build(path, tmp_path)), *expected, sims=[sim])
    assert sim.calls("bitget") == []


@pytest.mark.parametrize("value", TIMEOUTS)
def test_a_bad_http_timeout_is_refused_before_any_request(value, sim, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILER_HTTP_TIMEOUT", value)
    path = bitget.config(tmp_path, sim.url)
    sim.clear_calls("bitget")
    assert_refused(cli("plan", path), "RECONCILER_HTTP_TIMEOUT: must be a number of seconds", repr(value), sims=[sim])
    assert sim.calls("bitget") == []


def test_a_usage_error_is_never_exit_2_which_means_changes(sim, cli, tmp_path):
    path = bitget.config(tmp_path, sim.url)
    assert cli("plan", path, "--detailed-exitcode")[0] == 2
    assert cli("plan", path, "--detailed-exitcode", "--bogus")[0] == 1


def run(args, cwd, **options) -> subprocess.CompletedProcess:
    env = {**os.environ, "RECONCILER_LOCK_DIR": str(cwd / "locks")}
    return subprocess.run([sys.executable, "-m", "reconciler", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, **options)


def test_sim_on_a_busy_port_is_one_line(tmp_path):
    world = bitget.config(tmp_path, "http://127.0.0.1:1").parent / "world.yaml"
    world.write_text("bitget: {contracts: [], accounts: []}\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run(["sim", "--world", world, "--port", busy.getsockname()[1]], tmp_path)
    assert_one_clear_line(result.returncode, result.stderr, "cannot listen on 127.0.0.1:")




def test_ctrl_d_at_the_prompt_cancels(sim, tmp_path):
    process, primary, seen = at_the_prompt(bitget.config(tmp_path, sim.url), tmp_path)
    sim.clear_calls("bitget")
    os.write(primary, b"\x04")
    code, text = finish(process, primary, seen)
    assert code == 1 and "Apply cancelled; nothing was sent." in text
    assert "Traceback" not in text and "internal error" not in text
    assert sim.calls("bitget") == []


def test_the_first_ctrl_c_at_the_prompt_cancels(sim, tmp_path):
    process, primary, seen = at_the_prompt(bitget.config(tmp_path, sim.url), tmp_path)
    sim.clear_calls("bitget")
    process.send_signal(signal.SIGINT)  # what the terminal sends for Ctrl-C, once
    code, text = finish(process, primary, seen)
    assert code == 1 and "Apply cancelled; nothing was sent." in text
    assert "Traceback" not in text and "internal error" not in text
    assert sim.calls("bitget") == []
