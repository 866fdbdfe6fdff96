"""RECONCILER_STATE_DIR holds the journal, the locks and the simulator's state, so a read-only working directory
(a container's bind mount owned by another uid) works, and an unwritable state directory is one clear line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SETPRIV = shutil.which("setpriv")


def as_unprivileged() -> list[str]:
    """A command prefix under which file permissions hold: root loses the capabilities that bypass them."""
    if os.geteuid() != 0:
        return []
    if not SETPRIV:
        pytest.skip("running as root without setpriv: permissions cannot be made to hold")
    dropped = "-dac_override,-dac_read_search"
    return [SETPRIV, f"--inh-caps={dropped}", f"--bounding-set={dropped}", "--"]


def reconciler(cwd: Path, state_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECONCILER_")}
    env.update(RECONCILER_STATE_DIR=str(state_dir), NO_COLOR="1", PYTHONPATH=str(ROOT))
    return subprocess.run([*as_unprivileged(), sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def read_only_checkout(tmp_path):
    """The quickstart files in a directory nobody may write to, like /work mounted from the host."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("quickstart.yaml", "quickstart-world.yaml"):
        shutil.copy(ROOT / "examples" / name, work / name)
    work.chmod(0o555)
    yield work
    work.chmod(0o755)


def test_plan_and_apply_keep_every_state_file_in_the_state_dir(read_only_checkout, tmp_path):
    state = tmp_path / "state"
    before = sorted(os.listdir(read_only_checkout))
    planned = reconciler(read_only_checkout, state, "plan", "quickstart.yaml")
    assert planned.returncode == 0, planned.stderr
    assert "Plan: 16 to change, 6 blocked, 1 conflict, 15 in sync." in planned.stdout
    applied = reconciler(read_only_checkout, state, "apply", "quickstart.yaml", "--auto-approve")
    assert applied.returncode == 3, applied.stderr  # blocked and conflicting items remain
    again = reconciler(read_only_checkout, state, "plan", "quickstart.yaml")
    assert "Plan: 0 to change, 6 blocked, 1 conflict" in again.stdout, again.stdout  # the simulator kept its state
    assert sorted(os.listdir(read_only_checkout)) == before
    journal = (state / "journal.jsonl").read_text()
    assert journal.count('"event": "intent"') == journal.count('"event": "outcome"') > 0
    assert (state / ".quickstart.sim-state.yaml").exists()
    assert any((state / "locks").glob("*.lock"))


@pytest.mark.parametrize("command", [["plan", "quickstart.yaml"], ["apply", "quickstart.yaml", "--auto-approve"]])
def test_a_state_dir_this_user_cannot_write_is_one_clear_line(command, read_only_checkout, tmp_path):
    state = tmp_path / "mounted"
    state.mkdir(mode=0o555)
    result = reconciler(read_only_checkout, state, *command)
    state.chmod(0o755)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(state) in lines[0] and "RECONCILER_STATE_DIR" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert list(state.iterdir()) == []
