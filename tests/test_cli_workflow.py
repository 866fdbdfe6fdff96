"""The example GitHub workflow, its steps run against the simulator: applies queue and are never cancelled, a plan of
another file is stopped, a stale plan is planned again for a person, a denied change fails the pull request."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import test_bitget_e2e as bitget
from conftest import writes

ROOT = Path(__file__).parent.parent
WORKFLOW = yaml.safe_load((ROOT / "examples" / "github-actions.yml").read_text())
JOBS = WORKFLOW["jobs"]


def step(job: str, name: str) -> str:
    return next(s["run"] for s in JOBS[job]["steps"] if s.get("name") == name)


def test_plan_and_apply_have_separate_concurrency_groups_and_apply_is_never_cancelled():
    assert "concurrency" not in WORKFLOW  # a workflow-level group would put plans and applies together
    groups = {job: JOBS[job]["concurrency"]["group"] for job in JOBS}
    assert len({groups["plan"], groups["apply"], groups["drift"]}) == 3
    for job in ("apply", "replan"):  # whatever writes to a venue queues in one group, never cancelled
        assert JOBS[job]["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    assert "pull_request.number" in groups["plan"]


def test_every_job_installs_the_pinned_release_of_this_package():
    pinned = WORKFLOW["env"]["RECONCILER_VERSION"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert pinned == project["version"]
    for job in JOBS.values():
        installs = [s["run"] for s in job["steps"] if "pip install" in s.get("run", "")]
        assert installs == [f'pip install "{project["name"]}==${{RECONCILER_VERSION}}"']
    assert "git+" not in (ROOT / "examples" / "github-actions.yml").read_text()


FAKE_GH = """#!/usr/bin/env bash
# Stands in for the GitHub CLI: serves comments.json through the real jq (as gh -q does), records each write.
echo "$*" >> gh.log
if [ "$2" = --paginate ]; then jq -r "$5" comments.json; exit; fi   # gh api --paginate PATH -q FILTER
if [ "$2" = -X ]; then cp "${6#body=@}" sent-body.md; fi            # gh api -X METHOD PATH -F body=@FILE
"""
MARKER = "<!-- reconciler-plan -->"


def comment_step(tmp_path: Path, comments: list[dict]) -> tuple[list[str], str]:
    """Runs the comment step on PR 5 with the given existing comments: the gh calls made and the body sent."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    (tmp_path / "comments.json").write_text(json.dumps(comments))
    (tmp_path / "plan.md").write_text("**Plan: 1 to change**\n")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PR": "5", "REPO": "desk/settings"}
    result = subprocess.run(["bash", "-e", "-c", step("plan", "Comment the plan on the pull request")], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return (tmp_path / "gh.log").read_text().splitlines(), (tmp_path / "sent-body.md").read_text()


def by(login: str, body: str, id: int) -> dict:
    return {"id": id, "user": {"login": login}, "body": body}


@pytest.mark.skipif(not shutil.which("jq"), reason="jq (what gh -q runs) is not installed")
def test_the_plan_comment_edits_only_the_workflows_own_marked_comment(tmp_path):
    calls, body = comment_step(tmp_path, [by("alice", f"{MARKER} quoted by a person", 1),
                                          by("github-actions[bot]", "another workflow's comment", 3),
                                          by("github-actions[bot]", f"{MARKER}\nthe older plan", 7)])
    assert calls[-1] == "api -X PATCH repos/desk/settings/issues/comments/7 -F body=@comment.md"
    assert len(calls) == 2 and body == f"{MARKER}\n**Plan: 1 to change**\n"


@pytest.mark.skipif(not shutil.which("jq"), reason="jq (what gh -q runs) is not installed")
def test_the_first_plan_comment_is_added_even_when_a_person_quoted_the_marker(tmp_path):
    calls, body = comment_step(tmp_path, [by("alice", f"{MARKER} quoted by a person", 1)])
    assert calls[-1] == "api -X POST repos/desk/settings/issues/5/comments -F body=@comment.md"
    assert len(calls) == 2 and body.startswith(MARKER)


def test_every_desired_state_example_names_its_schema_for_editors():
    for path in (ROOT / "examples").glob("*.yaml"):
        document = yaml.safe_load(path.read_text())
        if isinstance(document, dict) and "accounts" in document and "version" in document:
            first = path.read_text().splitlines()[0]
            assert first == "# yaml-language-server: $schema=../schemas/desired-state.schema.json", path.name
            assert (path.parent / first.split("$schema=")[1]).is_file()


def run_check(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", step("apply", "Check the plan was made from the merged desired.yaml")],
                          cwd=where, capture_output=True, text=True)


def test_the_apply_job_checks_the_plan_was_made_from_the_merged_file(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url)
    assert path.name == "desired.yaml"
    assert cli("plan", path, "--out", tmp_path / "plan.json")[0] == 0
    assert run_check(tmp_path).returncode == 0

    path.write_text(path.read_text().replace("leverage: 20", "leverage: 25"))  # main moved on after the plan
    checked = run_check(tmp_path)
    planned = json.loads((tmp_path / "plan.json").read_text())["config_sha256"]
    assert checked.returncode == 1
    assert checked.stdout.startswith("::error file=desired.yaml::the plan was made from a desired.yaml with sha256 "
                                     f"{planned}")


def run_step(job: str, name: str, where: Path) -> tuple[subprocess.CompletedProcess, dict, str]:
    """A step's script as the runner runs it (bash -e), with this venv's reconciler; its outputs and summary."""
    outputs, summary = where / "github-output", where / "github-summary"
    outputs.write_text("")
    summary.write_text("")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary), "NO_COLOR": "1"}
    result = subprocess.run(["bash", "-e", "-c", step(job, name)], cwd=where, capture_output=True, text=True,
                            env=env, timeout=300)
    return result, dict(line.split("=", 1) for line in outputs.read_text().splitlines()), summary.read_text()


def reviewed_plan(cli, tmp_path: Path, sim, policy: str = "max_leverage: 50\n") -> Path:
    path = bitget.config(tmp_path, sim.url)
    (tmp_path / "policy.yaml").write_text(policy)
    result, _, _ = run_step("plan", "Plan", tmp_path)
    assert result.returncode == 0, result.stderr
    return path


def test_a_merge_applies_the_reviewed_plan(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    reviewed_plan(cli, tmp_path, sim)
    sim.clear_calls("bitget")
    result, outputs, _ = run_step("apply", "Apply exactly that plan (refused if stale)", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr  # exit 3 (BTCUSDT stays blocked) is a warning
    assert "::warning::blocked, conflicting or denied items remain" in result.stdout
    assert outputs == {} and not (tmp_path / "fresh-plan.json").exists()
    assert writes(sim.calls("bitget"))


def test_a_stale_plan_sends_nothing_and_a_fresh_plan_waits_for_a_person_then_is_applied(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = reviewed_plan(cli, tmp_path, sim)
    (tmp_path / "elsewhere").mkdir()
    someone = bitget.config(tmp_path / "elsewhere", sim.url, symbols={"SOLUSDT": {"margin_mode": "cross",
                                                                                 "leverage": 15}})
    assert cli("apply", someone, "--auto-approve")[0] == 0  # someone changed SOLUSDT after the review
    sim.clear_calls("bitget")
    result, outputs, summary = run_step("apply", "Apply exactly that plan (refused if stale)", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs == {"stale": "true"}
    assert "::warning::the reviewed plan was refused, nothing was sent" in result.stdout
    assert writes(sim.calls("bitget")) == []
    assert "SOLUSDT" in summary and "15" in summary  # the fresh plan, for the reviewer, in the job summary
    fresh = json.loads((tmp_path / "fresh-plan.json").read_text())
    assert any(c["symbol"] == "SOLUSDT" and c["from"] == "15" for c in fresh["changes"])

    result, _, _ = run_step("replan", "Apply the approved fresh plan (refused if it went stale too)", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert any(c["path"].endswith("set-leverage") for c in writes(sim.calls("bitget")))
    code, out, _ = cli("plan", path)
    assert "SOLUSDT" not in out  # what the person approved now holds


def test_a_change_the_policy_denies_fails_the_pull_request(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    reviewed_plan(cli, tmp_path, sim, policy="max_leverage: 10\n")
    result, _, _ = run_step("plan", "Policy", tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("::error file=desired.yaml::")
    denied = json.loads((tmp_path / "plan.json").read_text())["summary"]["denied"]
    assert denied > 0 and f"{denied} item(s) denied by policy.yaml" in result.stdout
