"""The little things: --version, help with examples, validate as JSON and annotations, --parallelism, completion."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

import test_bitget_e2e as bitget
from conftest import write_yaml
from reconciler.cli import COMMANDS

ROOT = Path(__file__).parent.parent
BROKEN = """version: 1
accounts:
  bg:
    venue: bitget
    environment: sim
    base_url: http://127.0.0.1:1
    product_type: USDT-FUTURES
    credentials: {api_key: k, secret: s, passphrase: p}
    symbols:
      BTCUSDT: {margin_mode: crossed, leverage: 5}
      ETHUSDT: {leverage: -2}
"""


def test_version_is_the_installed_distributions(cli):
    with pytest.raises(SystemExit) as exited:
        cli("--version")
    assert exited.value.code == 0
    done = subprocess.run([sys.executable, "-m", "reconciler", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"reconciler {version('margin-reconciler')}\n"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_help_says_what_it_does_and_shows_an_example(command):
    done = subprocess.run([sys.executable, "-m", "reconciler", command, "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    description = done.stdout.split("\n\n")[1]
    assert len(description.split()) >= 4, done.stdout
    assert f"example:\n  reconciler {command} " in done.stdout


def test_validate_json_lists_each_problem_with_file_line_and_key_path(cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text(BROKEN)
    code, out, err = cli("validate", path, "--format", "json")
    assert code == 1
    problems = json.loads(out)
    by_path = {p["path"]: p for p in problems}
    assert by_path["accounts.bg.symbols.BTCUSDT.margin_mode"]["line"] == 10
    assert by_path["accounts.bg.symbols.ETHUSDT.leverage"]["line"] == 11
    assert all(p["file"] == str(path) and p["message"] for p in problems)
    assert "positive" in by_path["accounts.bg.symbols.ETHUSDT.leverage"]["message"]


def test_validate_json_of_a_good_file_is_an_empty_list(cli):
    code, out, _ = cli("validate", ROOT / "examples" / "quickstart.yaml", "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_validate_github_prints_workflow_annotations(cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text(BROKEN)
    code, out, _ = cli("validate", path, "--format", "github")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 2
    assert lines[1].startswith(f"::error file={path},line=11::accounts.bg.symbols.ETHUSDT.leverage: ")


def test_validate_github_of_an_unreadable_file_names_the_file_without_a_line(cli, tmp_path):
    code, out, _ = cli("validate", tmp_path, "--format", "github")
    assert code == 1 and out == f"::error file={tmp_path}::is a directory, not a file\n"


def test_parallelism_must_be_a_positive_whole_number(cli, tmp_path):
    code, _, err = cli("plan", "x.yaml", "--parallelism", "0")
    assert code == 1 and "--parallelism" in err and "1 or more" in err


ACCOUNTS = 4


def several_accounts(tmp_path, url) -> Path:
    """Four Bitget accounts (one simulated venue, four keys), each with one change to apply."""
    one = yaml.safe_load(bitget.config(tmp_path, url, symbols={"SOLUSDT": {"margin_mode": "cross",
                                                                            "leverage": 20}}).read_text())
    template = one["accounts"]["bg"]
    accounts = {}
    for index in range(ACCOUNTS):
        spec = copy.deepcopy(template)
        spec["credentials"]["api_key"] = f"key-{index}"
        accounts[f"bg{index}"] = spec
    return write_yaml(tmp_path / "many.yaml", {"version": 1, "accounts": accounts})


@pytest.fixture
def many(start_sim):
    world = bitget.world()
    account = world["bitget"]["accounts"][0]
    world["bitget"]["accounts"] = [{**copy.deepcopy(account), "api_key": f"key-{index}", "uid": str(3000 + index)}
                                   for index in range(ACCOUNTS)]
    return start_sim(world)


def signed(calls: list[dict]) -> list[dict]:
    """The account's own requests (public market data is read once per run, by no account)."""
    return [call for call in calls if call["account"] is not None]


def most_accounts_at_once(calls: list[dict]) -> int:
    """Accounts whose first-to-last request spans overlap, at most, in the simulator's call log order."""
    calls = signed(calls)
    spans: dict[str, list[int]] = {}
    for position, call in enumerate(calls):
        spans.setdefault(call["account"], [position, position])[1] = position
    return max(sum(1 for first, last in spans.values() if first <= position <= last) for position in range(len(calls)))


@pytest.mark.parametrize("cap", [1, 2])
def test_parallelism_caps_the_accounts_a_plan_reads_at_once(cap, many, cli, tmp_path):
    code, _, err = cli("plan", several_accounts(tmp_path, many.url), "--parallelism", cap)
    assert code == 0, err
    calls = signed(many.calls("bitget"))
    assert len({c["account"] for c in calls}) == ACCOUNTS
    assert most_accounts_at_once(calls) <= cap


def test_without_parallelism_the_accounts_are_read_at_once(many, cli, tmp_path):
    """The check above can fail: uncapped, the four accounts' reads interleave."""
    assert cli("plan", several_accounts(tmp_path, many.url))[0] == 0
    assert most_accounts_at_once(many.calls("bitget")) > 2


def test_parallelism_caps_the_accounts_an_apply_writes_at_once(many, cli, tmp_path):
    path = several_accounts(tmp_path, many.url)
    assert cli("plan", path, "--out", tmp_path / "plan.json")[0] == 0
    many.clear_calls("bitget")
    code, out, err = cli("apply", tmp_path / "plan.json", "--parallelism", 1)
    assert code == 0, out + err
    calls = many.calls("bitget")
    writes = [c for c in calls if c["method"] == "POST"]
    assert len(writes) == ACCOUNTS
    # the saved plan is checked against a fresh read (all accounts), then each account writes and reads back
    apply_phase = calls[calls.index(writes[0]):]
    assert most_accounts_at_once(apply_phase) == 1


def test_completion_answers_when_the_shell_asks(tmp_path):
    answer = tmp_path / "answer"
    environment = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": "reconciler validate x --fo", "COMP_POINT": "26",
                   "_ARGCOMPLETE_STDOUT_FILENAME": str(answer)}
    done = subprocess.run([sys.executable, "-m", "reconciler"], env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert answer.read_text().split() == ["--format"]
