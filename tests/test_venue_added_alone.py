"""The commits that added Binance and Bybit touched only the four places the README names for a new venue."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ADDED = {"binance": "Binance USDⓈ-M futures: the venue package", "bybit": "Bybit v5: the venue package"}
HAS_HISTORY = (ROOT / ".git").exists() and shutil.which("git") is not None


def allowed(venue: str) -> re.Pattern:
    return re.compile(rf"^(reconciler/venues/{venue}/|reconciler/sim/{venue}/|reconciler/venues/registry\.py$|"
                      rf"reconciler/sim/registry\.py$|schemas/desired-state\.schema\.json$|tests/)")


@pytest.mark.skipif(not HAS_HISTORY, reason="needs the repository's history (a git clone)")
@pytest.mark.parametrize("venue", list(ADDED))
def test_the_commit_adding_a_venue_touches_only_its_packages_the_registries_the_schema_and_tests(venue):
    found = subprocess.run(["git", "log", "--format=%H", "--fixed-strings", f"--grep={ADDED[venue]}"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    if not found:
        pytest.skip("a shallow clone without that commit")
    files = subprocess.run(["git", "show", "--name-only", "--format=", found[-1]], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    assert any(path.startswith(f"reconciler/venues/{venue}/") for path in files)
    assert [path for path in files if not allowed(venue).match(path)] == []
    new_or_test = [path for path in files if path.startswith("tests/")]
    assert new_or_test, "a venue comes with its tests"
