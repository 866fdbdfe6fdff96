"""The Python API is typed: a job using it passes `mypy --strict`, and mypy catches a job that misuses it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
MISUSES = '''\
import reconciler


async def job() -> None:
    state = reconciler.load("desired.yaml")
    wrong: str = await reconciler.reconcile(state)
    await reconciler.plan(state, accounts=3)
    reconciler.load(5)
    (await reconciler.plan(state)).no_such_field
'''


def mypy_strict(path: Path, cache: Path) -> subprocess.CompletedProcess:
    """mypy --strict on one file, the package read from this checkout (an editable install hides it from mypy)."""
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-color-output",
                           "--cache-dir", str(cache), str(path)], capture_output=True, text=True, env=env,
                          timeout=300, cwd=path.parent)


def test_a_job_written_against_the_public_api_passes_mypy_strict(tmp_path):
    result = mypy_strict(ROOT / "tests" / "typed_job" / "public_api.py", tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_flags_each_misuse_so_the_api_is_not_any(tmp_path):
    job = tmp_path / "misuse.py"
    job.write_text(MISUSES)
    result = mypy_strict(job, tmp_path / "cache")
    assert result.returncode == 1, result.stdout + result.stderr
    flagged = {int(line) for line in re.findall(r"^misuse\.py:(\d+):", result.stdout, re.M)}
    assert flagged == {6, 7, 8, 9}, result.stdout
