"""Inputs that are not regular files, files that are not desired-state files, and outputs that cannot be written:
one line each, at once (a FIFO must not hang the run), with nothing of the file's content and nothing sent."""

from __future__ import annotations

import json
import os
import socket

import pytest

import test_bitget_e2e as bitget
from hostile.refusal import PLANTED, assert_refused

# argv of each command that reads a file, given (that file, the desired-state file, a saved plan of it)
READERS = {
    "validate FILE": lambda x, f, p: ["validate", x],
    "plan FILE": lambda x, f, p: ["plan", x],
    "apply FILE": lambda x, f, p: ["apply", x, "--auto-approve"],
    "import FILE": lambda x, f, p: ["import", x, "--account", "bg"],
    "show PLAN": lambda x, f, p: ["show", x],
    "validate --policy FILE": lambda x, f, p: ["validate", f, "--policy", x],
    "plan --policy FILE": lambda x, f, p: ["plan", f, "--policy", x],
    "apply PLAN --config FILE": lambda x, f, p: ["apply", p, "--config", x],
    "sim --world FILE": lambda x, f, p: ["sim", "--world", x, "--port", "1"],
    "history --journal FILE": lambda x, f, p: ["history", "--journal", x],
    "apply --journal FILE": lambda x, f, p: ["apply", f, "--auto-approve", "--journal", x],
}


def fifo(tmp_path):
    path = tmp_path / "input.json"
    os.mkfifo(path)
    return path


def unix_socket(tmp_path):
    path = tmp_path / "input.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return path


NOT_REGULAR = {
    "a FIFO": (fifo, "is a FIFO"),
    "/dev/zero": (lambda tmp_path: "/dev/zero", "is a device"),
    "/dev/null": (lambda tmp_path: "/dev/null", "is a device"),
    "a directory": (lambda tmp_path: tmp_path, "is a directory"),
    "a socket": (unix_socket, "is a socket"),
}


@pytest.fixture
def saved(start_sim, cli, tmp_path):
    """(simulator, desired-state file, saved plan), the call log cleared."""
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url)
    plan_path = tmp_path / "plan.json"
    assert cli("plan", path, "--out", plan_path)[0] == 0
    sim.clear_calls("bitget")
    return sim, path, plan_path


@pytest.mark.timeout(60)  # a FIFO opened for reading would wait for a writer for ever
@pytest.mark.parametrize("kind", list(NOT_REGULAR))
@pytest.mark.parametrize("reader", list(READERS))
def test_an_input_that_is_not_a_regular_file_is_refused_at_once(reader, kind, saved, cli, tmp_path):
    sim, path, plan_path = saved
    make, expected = NOT_REGULAR[kind]
    target = make(tmp_path)
    result = cli(*READERS[reader](target, path, plan_path))
    assert_refused(result, str(target), expected, sims=[sim])
    assert sim.calls("bitget") == []


# Files that are not desired-state files; each holds a secret that no message may show.
NOT_DESIRED_STATE = {
    ".env": f"OKX_SECRET={PLANTED}\nBG_KEY=abc\n",
    "shell exports": f"export OKX_SECRET='{PLANTED}'\nexport BG_KEY=abc\n",
    "JSON credentials": json.dumps({"api_key": "k", "secret": PLANTED}),
    "YAML credentials": f"api_key: k\nsecret: {PLANTED}\n",
    "a private key": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PLANTED}\n-----END OPENSSH PRIVATE KEY-----\n",
    "an ini file": f"[default]\naws_secret_access_key = {PLANTED}\n",
    "a shell script": f"#!/bin/sh\ncurl -H 'X-Token: {PLANTED}' https://example.com\n",
    "a CSV file": f"name,secret\nbg,{PLANTED}\n",
    "a compose file": f"services: {{db: {{environment: {{POSTGRES_PASSWORD: {PLANTED}}}}}}}\n",
    "a Kubernetes secret": f"apiVersion: v1\nkind: Secret\ndata: {{token: {PLANTED}}}\n",
    "a world file": f"bitget:\n  accounts:\n    - {{api_key: k, secret: {PLANTED}, passphrase: p}}\n",
    "broken YAML holding a secret": f"secret: \"{PLANTED}\n  : [\n",
    "a JSON list of secrets": json.dumps([PLANTED, PLANTED]),
    "a bare secret": f"{PLANTED}\n",
}
SAYS = {"broken YAML holding a secret": "not valid YAML", "an ini file": "not valid YAML"}


@pytest.mark.parametrize("command", ["validate", "plan", "apply", "import"])
@pytest.mark.parametrize("case", list(NOT_DESIRED_STATE))
def test_a_file_that_is_not_a_desired_state_is_refused_without_showing_it(case, command, saved, cli, tmp_path):
    sim, _, _ = saved
    path = tmp_path / "secrets.yaml"
    path.write_text(NOT_DESIRED_STATE[case])
    argv = {"validate": ["validate", path], "plan": ["plan", path], "apply": ["apply", path, "--auto-approve"],
            "import": ["import", path, "--account", "bg"]}[command]
    result = cli(*argv)
    assert_refused(result, "secrets.yaml:", SAYS.get(case, "not a desired-state file"), sims=[sim])


def test_a_saved_plan_given_as_the_desired_state_is_named_as_one(saved, cli):
    sim, _, plan_path = saved
    assert_refused(cli("plan", plan_path), "plan.json:1:", "this is a saved plan, not a desired-state file",
                   sims=[sim])


def test_a_world_file_that_is_not_one_is_one_line(saved, cli, tmp_path):
    sim, path, _ = saved
    assert_refused(cli("sim", "--world", path, "--port", "1"), "desired.yaml: not a world file", sims=[sim])
    broken = tmp_path / "world.yaml"
    broken.write_text(f"bitget: {{accounts: [{{secret: \"{PLANTED}\n")
    assert_refused(cli("sim", "--world", broken, "--port", "1"), "world.yaml:", "not valid YAML", sims=[sim])


# Outputs that cannot be written (/dev/full stands for a full disk): one line, and an apply sends nothing.
FULL = {
    "plan --out": lambda f, p: ["plan", f, "--out", "/dev/full"],
    "plan --report": lambda f, p: ["plan", f, "--report", "/dev/full"],
    "apply FILE --report": lambda f, p: ["apply", f, "--auto-approve", "--report", "/dev/full"],
    "apply PLAN --report": lambda f, p: ["apply", p, "--report", "/dev/full"],
    "apply PLAN --format json --report": lambda f, p: ["apply", p, "--format", "json", "--report", "/dev/full"],
    "apply FILE --journal": lambda f, p: ["apply", f, "--auto-approve", "--journal", "/dev/full"],
    "apply PLAN --journal": lambda f, p: ["apply", p, "--journal", "/dev/full"],
}


@pytest.mark.parametrize("case", list(FULL))
def test_an_output_on_a_full_disk_is_one_line_and_nothing_is_sent(case, saved, cli):
    sim, path, plan_path = saved
    assert_refused(cli(*FULL[case](path, plan_path)), "/dev/full", sims=[sim])
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")  # written to, never replaced


def test_a_report_to_dev_null_is_written_as_asked(saved, cli):
    sim, path, _ = saved
    code, out, err = cli("plan", path, "--report", "/dev/null", "--out", "/dev/null")
    assert code == 0, err
    assert not os.path.isfile("/dev/null")
