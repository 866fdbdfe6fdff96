"""Hostile `--policy FILE`s: each is one line naming the policy file (with its line where it has one), for
validate, plan and apply alike, and nothing is read or sent."""

from __future__ import annotations

import pytest

import test_bitget_e2e as bitget
from hostile.refusal import PLANTED, assert_refused

POLICIES = {
    "negative max_leverage": ("max_leverage: -3\n", ["risk.yaml:1: max_leverage", "must be a positive number"]),
    "zero max_margin_move": ("max_margin_move: 0\n", ["risk.yaml:1: max_margin_move"]),
    "misspelt rule": ("max_levrage: 5\n", ["risk.yaml:1: (top level): unknown key 'max_levrage'"]),
    "unknown venue": ("venues: {kraken: {max_leverage: 5}}\n", ["risk.yaml:1: venues", "(got 'kraken')"]),
    "margin mode that is none": ("allowed_margin_modes: [portfolio]\n", ["risk.yaml:1: allowed_margin_modes"]),
    "window in 12-hour time": ("change_windows: ['Mon-Fri 9am-5pm']\n", ["risk.yaml:1: change_windows.0"]),
    "window on day eight": ("change_windows: ['Day8 06:00-07:00']\n", ["risk.yaml:1: change_windows.0"]),
    "hex max_leverage": ("max_leverage: 0x10\n", ["risk.yaml:1: max_leverage", "hexadecimal"]),
    "5,000-digit max_leverage": ("max_leverage: " + "9" * 5000 + "\n", ["risk.yaml:1: max_leverage", "at most 40 digits"]),
    "alias bomb": ("".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else 'x'}]\n" for i in range(10)),
                   ["risk.yaml:", "alias bomb"]),
    "python tag": ("max_leverage: !!python/object/apply:os.system ['true']\n", ["risk.yaml:1: max_leverage", "unknown tag"]),
    "two documents": ("max_leverage: 5\n---\nmax_leverage: 50\n", ["risk.yaml:2:", "more than one YAML document"]),
    "a list": ("- max_leverage: 5\n", ["risk.yaml:1: (top level)"]),
    "version 2": ("version: 2\nmax_leverage: 5\n", ["risk.yaml:1: version"]),
    "a .env file": (f"RISK_TOKEN={PLANTED}\n", ["risk.yaml:1: (top level)"]),
    "broken YAML holding a secret": (f"token: \"{PLANTED}\n  : [\n", ["risk.yaml:", "not valid YAML"]),
    "UTF-16": ("max_leverage: 5\n".encode("utf-16"), ["risk.yaml:1:", "UTF-8"]),
    "a NUL byte": (b"max_leverage: 5\0\n", ["risk.yaml:1:", "NUL"]),
    "empty": ("", ["risk.yaml:1: the file is empty"]),
}


@pytest.fixture
def sim(start_sim):
    return start_sim(bitget.world())


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
@pytest.mark.parametrize("case", list(POLICIES))
def test_a_hostile_policy_file_is_one_line_and_nothing_is_read(case, command, sim, cli, tmp_path):
    content, expected = POLICIES[case]
    policy = tmp_path / "risk.yaml"
    policy.write_bytes(content if isinstance(content, bytes) else content.encode())
    path = bitget.config(tmp_path, sim.url)
    args = [command, path, "--policy", policy] + (["--auto-approve"] if command == "apply" else [])
    assert_refused(cli(*args), *expected, sims=[sim])
    assert sim.calls("bitget") == []


def test_a_missing_policy_file_is_named(sim, cli, tmp_path):
    path = bitget.config(tmp_path, sim.url)
    assert_refused(cli("plan", path, "--policy", tmp_path / "nope.yaml"), "nope.yaml: no such policy file", sims=[sim])
