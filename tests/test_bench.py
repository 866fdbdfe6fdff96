"""The benchmark: `bench/run.py --quick --json` at a tiny size prints one JSON object with every case (the
reconciler at the minimum reads and writes, the latency case, both ccxt baselines, the scale case), and its
floors come from the documents' limits, not from the adapters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.world import ACCOUNTS, VENUES, Drift
from bench.yardstick import account_floor

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"
KEYS = ("plan_seconds", "apply_seconds", "reads", "min_reads", "writes", "min_writes", "careful_seconds",
        "careful_calls", "blind_seconds", "blind_calls", "speedup_vs_careful", "symbols_per_venue", "drifted",
        "per_venue", "latency", "scale", "targets", "whole_process", "startup")
ACCOUNT_KEYS = ("plan_seconds", "plan_floor_seconds", "apply_seconds", "floor_seconds", "apply_vs_floor", "write_floor_why",
                "verify_floor_why", "speedup_vs_careful", "careful", "blind", "latency")


def test_quick_json_has_every_case_at_the_minimum(tmp_path):
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", "--symbols", "6", "--orderly-leverage-limit", "50/1s",
         "--scale", "50,200"],
        capture_output=True, text=True, timeout=110, cwd=tmp_path,
        env={**os.environ, "RECONCILER_LOCK_DIR": str(tmp_path / "locks")})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)  # nothing but the object on stdout
    assert all(key in result for key in KEYS)
    assert result["symbols_per_venue"] == 6 and result["drifted"] == 9
    assert result["reads"] == result["min_reads"] and result["writes"] == result["min_writes"]
    assert result["converged"] and result["apply_exit_code"] == 0
    assert set(result["per_venue"]) == set(VENUES)  # every venue the bench's world has a section for
    whole = result["whole_process"][0]  # the tool and the careful script, each a whole process
    assert whole["accounts"] == len(VENUES) and whole["tool"]["converged"] and whole["careful"]["converged"]
    assert whole["tool"]["rate_limited"] == 0 and whole["careful"]["rate_limited"] == 0
    timeline = whole["tool"]["accounts"]  # from the tool's journal: every account wrote, each one judged
    assert timeline["tool_accounts_written"] == len(VENUES)
    assert 0 <= timeline["tool_first_write_within_round_trip"] <= len(VENUES)
    for venue, account in result["per_venue"].items():
        assert all(key in account for key in ACCOUNT_KEYS), venue
        assert account["rate_limited"] == 0 and account["latency"]["rate_limited"] == 0  # ccxt's are reported only
        assert account["latency"]["floor_seconds"] >= 0.2  # two round trips of 100 ms
    # the careful script reads first and writes only what differs; the blind one writes everything
    assert result["careful_converged"]
    careful_writes = sum(a["careful"]["writes"] for a in result["per_venue"].values())
    blind_writes = sum(a["blind"]["writes"] for a in result["per_venue"].values())
    assert result["writes"] <= careful_writes < blind_writes
    assert result["latency"]["converged"] and result["latency"]["writes"] == result["writes"]
    assert [row["symbols"] for row in result["scale"]["sizes"]] == [50, 200]
    for row in result["scale"]["sizes"]:
        assert row["plan"]["reads"] > 0
        assert all(row[command]["cpu_seconds"] > 0 and row[command]["peak_memory_mb"] > 0
                   for command in ("validate", "plan"))
    assert result["scale"]["size_ratio"] == 4


def test_the_floor_is_the_documented_limit_and_the_account_override():
    drift = Drift()
    for i in range(12):
        drift.add("bitget", f"C{i}USDT", "lev_cross", ["POST /api/v2/mix/account/set-leverage"])
    spec = {"symbols": {f"C{i}USDT": {} for i in range(12)}}
    world = {"bitget": {"accounts": [{"orders": []}]}}
    # bitget.md §7: set-leverage 5/1s -> 12 writes take 2 s; 12 account reads at 10/1s take 1 s, on another
    # endpoint, alongside the writes: the slower of the two, plus a write's and a read's round trip
    floor = account_floor("bitget", spec, drift, world, round_trip=0.05)
    assert floor["write_floor_seconds"] == 2.0 and floor["verify_floor_seconds"] == 1.0
    assert floor["floor_seconds"] == 2.1 and floor["plan_floor_seconds"] == 1.05
    assert floor["write_floor_why"] == "POST /api/v2/mix/account/set-leverage: 12 calls at 5/1s"
    faster = account_floor("bitget", {**spec, "rate_limits": {"POST /api/v2/mix/account/set-leverage": "12/1s"}},
                           drift, world, round_trip=0.0)
    assert faster["write_floor_seconds"] == 0.0
    assert Counter(item["kind"] for item in drift.items) == {"lev_cross": 12}


def test_the_estimate_case_measures_both_cases_against_a_real_apply(tmp_path):
    run = subprocess.run([sys.executable, str(BENCH.parent / "estimate.py"), "--symbols", "12", "--mixed", "4"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "RECONCILER_LOCK_DIR": str(tmp_path / "locks")})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert set(result) == {"bitget", "mixed"}
    assert result["bitget"]["changes"] == 12 and result["bitget"]["exit_code"] == 0
    # bitget.md: 12 account reads at 10/1s (1 s), 12 set-leverage writes at 5/1s (2 s) and, alongside them,
    # 12 reads back (1 s)
    assert result["bitget"]["estimate_seconds"] == 3.0 and result["bitget"]["apply_seconds"] > 0
    assert result["mixed"]["exit_code"] == 0 and set(result["mixed"]["per_account_estimate_seconds"]) == set(
        ACCOUNTS.values())
    assert all(case["rate_limited"] == 0 for case in result.values())


def test_a_first_write_counts_as_within_one_round_trip_by_the_proxy_s_or_its_last_read_s(tmp_path):
    from bench.whole import tool_timeline

    def line(account, event, at, duration_ms=0):
        return json.dumps({"account": account, "event": event, "time": f"2026-12-07T10:00:{at:09.6f}Z",
                           "duration_ms": duration_ms})
    journal = tmp_path / "journal.jsonl"
    journal.write_text("\n".join([
        line("quick", "read", 1.0, 30), line("quick", "intent", 1.02),  # 20 ms after a 30 ms read: within
        line("slow", "read", 1.0, 30), line("slow", "intent", 1.05),  # 50 ms after it: not
        line("slow", "read", 1.2, 5),  # after its first write: not its plan's
    ]) + "\n")
    on_loopback = tool_timeline(journal)
    assert on_loopback["tool_accounts_written"] == 2 and on_loopback["tool_first_write_within_round_trip"] == 1
    assert on_loopback["tool_first_write_after_last_answer_max"] == 0.05
    assert tool_timeline(journal, round_trip=0.1)["tool_first_write_within_round_trip"] == 2
    assert tool_timeline(journal, round_trip=0.01)["tool_first_write_within_round_trip"] == 0
