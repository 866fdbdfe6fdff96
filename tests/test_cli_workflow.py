"""The example GitHub workflow: applies are never cancelled, and a plan of another file is stopped with a clear message."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

import test_bitget_e2e as bitget

ROOT = Path(__file__).parent.parent
WORKFLOW = yaml.safe_load((ROOT / "examples" / "github-actions.yml").read_text())
JOBS = WORKFLOW["jobs"]


def step(job: str, name: str) -> str:
    return next(s["run"] for s in JOBS[job]["steps"] if s.get("name") == name)


def test_plan_and_apply_have_separate_concurrency_groups_and_apply_is_never_cancelled():
    assert "concurrency" not in WORKFLOW  # a workflow-level group would put plans and applies together
    groups = {job: JOBS[job]["concurrency"]["group"] for job in JOBS}
    assert len(set(groups.values())) == len(groups)
    assert JOBS["apply"]["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    assert "pull_request.number" in groups["plan"]


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
