"""The README is part of the product: its examples parse and validate, and its exit-code table is what runs."""

from __future__ import annotations

import json
import re
import runpy
import textwrap
from pathlib import Path

import pytest
import yaml

import test_bitget_e2e as bitget
from conftest import writes
from reconciler.config import load
from reconciler.sim.world import load_world

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def fenced(language: str) -> list[str]:
    """The README's code blocks in one language, dedented (some sit inside a numbered list)."""
    pattern = re.compile(rf"^([ \t]*)```{language}\n(.*?)^\1```", re.S | re.M)
    return [textwrap.dedent(match[2]) for match in pattern.finditer(README)]


def is_desired_state(document) -> bool:
    return isinstance(document, dict) and "version" in document and "accounts" in document


YAML_BLOCKS = fenced("yaml")
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".yaml", ".yml"))


def test_the_readme_has_yaml_examples():
    assert YAML_BLOCKS and any(is_desired_state(yaml.safe_load(block)) for block in YAML_BLOCKS)


@pytest.mark.parametrize("index", range(len(YAML_BLOCKS)))
def test_every_readme_yaml_example_validates(index, tmp_path):
    block = YAML_BLOCKS[index]
    document = yaml.safe_load(block)  # any YAML example parses
    if is_desired_state(document):
        path = tmp_path / "desired.yaml"
        path.write_text(block)
        state = load(path)  # and a desired-state example passes the loader's every check
        assert state.accounts


@pytest.mark.parametrize("index", range(len(fenced("json"))))
def test_every_readme_json_example_parses(index):
    json.loads(fenced("json")[index])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_file_validates(path):
    document = yaml.safe_load(path.read_text())
    if is_desired_state(document):
        assert load(path).accounts
    elif "world" in path.name:
        assert load_world(path)
    else:
        assert isinstance(document, dict)


def documented_exit_codes() -> dict[str, set[int]]:
    """The README's exit-code table: command -> the codes it documents (non-empty cells)."""
    section = README.split("### Exit codes", 1)[1].lstrip("\n")
    rows = section.split("\n\n", 1)[0].splitlines()
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    table = {}
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        table[cells[0].strip("`")] = {int(code) for code, cell in zip(header[1:], cells[1:]) if cell}
    return table


IN_SYNC = {"DOGEUSDT": {"margin_mode": "cross", "leverage": 10}}
BROKEN = {"DOGEUSDT": {"margin_mode": "cross", "leverage": "1:20"}}

# (command, exit code) -> how to get it: the config's symbols, and the arguments after the file.
SCENARIOS = {
    ("plan", 0): (None, []),
    ("plan", 1): (BROKEN, []),
    ("plan", 2): (None, ["--detailed-exitcode"]),
    ("apply", 0): (IN_SYNC, ["--auto-approve"]),
    ("apply", 1): (BROKEN, ["--auto-approve"]),
    ("apply", 3): (None, ["--auto-approve"]),  # BTCUSDT's margin mode stays blocked by an open position
    ("others", 0): (None, "validate"),
    ("others", 1): (BROKEN, "validate"),
}


def test_the_exit_code_table_lists_exactly_the_codes_the_program_uses():
    documented = {(command, code) for command, codes in documented_exit_codes().items() for code in codes}
    assert documented == set(SCENARIOS)


@pytest.mark.parametrize("command,code", list(SCENARIOS))
def test_each_documented_exit_code_is_what_the_program_returns(command, code, start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    symbols, extra = SCENARIOS[(command, code)]
    path = bitget.config(tmp_path, sim.url, symbols=symbols)
    if symbols is BROKEN:  # a YAML 1.1 number, written as a user would (safe_dump would quote it)
        path.write_text(path.read_text().replace("'1:20'", "1:20"))
    args = [extra, path] if isinstance(extra, str) else [command, path, *extra]
    assert cli(*args)[0] == code


PYTHON_API = fenced("python")[0]


def run_readme_job(directory: Path, monkeypatch) -> int:
    monkeypatch.chdir(directory)
    job = directory / "premarket.py"
    job.write_text(PYTHON_API)
    with pytest.raises(SystemExit) as finished:
        runpy.run_path(str(job), run_name="__main__")
    return finished.value.code


def test_the_readme_python_job_applies_and_exits_as_apply_does(start_sim, tmp_path, monkeypatch, capsys):
    sim = start_sim(bitget.world())
    bitget.config(tmp_path, sim.url)  # desired.yaml, as the example reads
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    assert run_readme_job(tmp_path, monkeypatch) == 3  # BTCUSDT's margin mode stays blocked by an open position
    assert "bg/BTCUSDT/margin_mode blocked" in capsys.readouterr().out
    assert writes(sim.calls("bitget"))  # the rest was applied


def test_the_readme_python_job_reports_a_bad_file_in_one_line_and_returns_1(tmp_path, monkeypatch, capsys):
    bitget.config(tmp_path, "http://127.0.0.1:1", symbols=BROKEN)
    (tmp_path / "desired.yaml").write_text((tmp_path / "desired.yaml").read_text().replace("'1:20'", "1:20"))
    assert run_readme_job(tmp_path, monkeypatch) == 1
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "desired.yaml:" in printed[0] and "YAML 1.1" in printed[0]


def test_the_readme_python_job_passes_mypy_strict(tmp_path):
    from test_typed_api import mypy_strict
    job = tmp_path / "premarket.py"
    job.write_text(PYTHON_API)
    result = mypy_strict(job, tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_reconcile_answers_not_confirmed_with_a_report_and_sends_nothing(start_sim, tmp_path, monkeypatch):
    import asyncio

    import reconciler
    sim = start_sim(bitget.world())
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    state = reconciler.load(bitget.config(tmp_path, sim.url))
    sim.clear_calls("bitget")
    asked = []
    report = asyncio.run(reconciler.reconcile(state, confirm=lambda plan: asked.append(plan) or False,
                                              journal_path=str(tmp_path / "journal.jsonl")))
    assert isinstance(report, reconciler.NotConfirmed) and isinstance(report, reconciler.ApplyReport)
    assert report.plan is asked[0] and report.outcomes == {} and report.exit_code == 1
    assert writes(sim.calls("bitget")) == []


def readme_commands() -> list[list[str]]:
    """Every `reconciler ...` invocation in the README's shell blocks, as argument lists (after `reconciler`)."""
    import shlex

    commands = []
    for block in fenced("bash") + fenced("sh"):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.split(" #", 1)[0]
            for part in re.split(r"&&|\|\||;|\|", line):
                words = shlex.split(part.replace("$(", "").replace(")\"", "\""))
                for place, word in enumerate(words):
                    if word.endswith("reconciler") and word.rsplit("/", 1)[-1] == "reconciler" and place + 1 < len(words) \
                            and words[place - 1:place] not in (["register-python-argcomplete"], ["-t"]):
                        args = words[place + 1:]
                        commands.append([a for a in args if a not in (">",) and not a.startswith(".reconciler.")])
                        break
    return commands


def test_every_reconciler_command_line_in_the_readme_is_one_the_cli_takes():
    import contextlib
    import io

    from reconciler.cli import build_parser

    commands = readme_commands()
    assert len(commands) >= 8, commands
    for args in commands:
        if args == ["--version"]:
            continue
        with contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                build_parser().parse_args(args)
            except SystemExit as exc:
                raise AssertionError(f"README: reconciler {' '.join(args)} is refused: {err.getvalue()}") from exc


def test_the_readme_commands_that_need_no_account_run(cli, tmp_path):
    import shutil

    for name in ("quickstart.yaml", "quickstart-world.yaml"):  # a copy: the embedded simulator keeps state beside it
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    runnable = [args for args in readme_commands() if args in (["--version"], ["schema"])
                or args[:2] == ["plan", "examples/quickstart.yaml"]]
    assert ["schema"] in runnable and ["--version"] in runnable
    for args in runnable:
        args = [str(tmp_path / a.split("/", 1)[1]) if a.startswith("examples/") else a for a in args]
        try:
            code, _, err = cli(*args)
        except SystemExit as exc:  # --version prints and exits, as argparse does
            code, err = exc.code, ""
        assert code == 0, (args, err)
