"""Start-up: whole-process wall time of `reconciler --help`, `--version` and `validate`, each a fresh interpreter.

    python bench/startup.py        # one JSON object: the median of 7 runs of each command, in seconds
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "quickstart.yaml"
COMMANDS = {"--help": ["--help"], "--version": ["--version"], "validate": ["validate", str(EXAMPLE)]}
TARGET_HELP_SECONDS = 0.15


def wall(args: list[str], runs: int = 7) -> float:
    """Median wall time of `python -m reconciler ARGS` (interpreter start included)."""
    times = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "reconciler", *args], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, env=env)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def run_startup(runs: int = 7) -> dict:
    result = {name: wall(args, runs) for name, args in COMMANDS.items()}
    result["bare_interpreter"] = _bare(runs)
    result["help_target_met"] = result["--help"] <= TARGET_HELP_SECONDS
    return result


def _bare(runs: int) -> float:
    """What `python -c pass` costs here, the part of every figure above that no code of ours can remove."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


if __name__ == "__main__":
    print(json.dumps(run_startup(), indent=2))
