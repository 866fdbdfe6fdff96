"""Smoke test of the benchmark: `bench/run.py --quick --json` at a tiny size prints one JSON object whose
reads and writes are the minimum, and whose apply converges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"
KEYS = ("apply_seconds", "floor_seconds", "reads", "min_reads", "writes", "min_writes", "baseline_seconds",
        "baseline_calls", "plan_seconds", "apply_vs_floor", "speedup_vs_baseline", "symbols_per_venue",
        "drifted", "per_venue")


def test_quick_json_is_one_object_at_the_minimum(tmp_path):
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", "--symbols", "6", "--orderly-leverage-limit", "50/1s"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "RECONCILER_LOCK_DIR": str(tmp_path / "locks")})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)  # nothing but the object on stdout
    assert all(key in result for key in KEYS)
    assert result["symbols_per_venue"] == 6 and result["drifted"] == 9
    assert result["reads"] == result["min_reads"]
    assert result["writes"] == result["min_writes"]
    assert result["converged"] and result["apply_exit_code"] == 0
    assert set(result["per_venue"]) == {"bitget", "okx", "orderly"}
    assert all(v["rate_limited"] == 0 and v["baseline"]["rate_limited"] == 0 for v in result["per_venue"].values())
    assert result["baseline_calls"] > result["writes"]
