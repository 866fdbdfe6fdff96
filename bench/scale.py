"""The scale case: `validate` and `plan` of one OKX account with many symbols, each in a child process.

The simulator runs in the benchmark's own process; the command runs in a child (bench/child.py), so wall
time, CPU time and peak memory are the command's alone. Rate limits are raised (the account's
`rate_limits` and the world's), so what grows is the reconciler's own cost, not the venue's pacing.
"""

from __future__ import annotations

import asyncio
import json
import pstats
import sys
import time
from pathlib import Path

import yaml

from reconciler.sim.server import SimServer

from .venue_limits import VENUE_LIMITS

CHILD = Path(__file__).resolve().parent / "child.py"
KEY = {"api_key": "bench-scale-key", "secret": "bench-scale-secret", "passphrase": "bench-scale-pass", "uid": "3001"}
RAISED = "1000000/1s"
FAMILIES = 10  # futures families of two expiries each, cross: their leverage scope is the family


def scale_world(n: int) -> tuple[dict, dict]:
    """(world, desired account): n instruments, 1 % drifted, an open position and a pending order on
    every 100th symbol, so that the per-symbol position, order and family lookups all have work to do."""
    instruments, leverage, positions, orders, desired = [], {}, [], [], {}
    futures = [(f"G{k}-USDT", f"G{k}-USDT-{expiry}") for k in range(FAMILIES) for expiry in ("261225", "270326")]
    for family, inst_id in futures[:n]:
        instruments.append({"instId": inst_id, "instType": "FUTURES", "instFamily": family, "lever": "50",
                            "settleCcy": "USDT", "ctVal": "1"})
        leverage[inst_id] = {"cross": "5"}
        desired[inst_id] = {"margin_mode": "cross", "leverage": 5}
    for i in range(n - len(desired)):
        inst_id = f"S{i:06d}-USDT-SWAP"
        instruments.append({"instId": inst_id, "instType": "SWAP", "instFamily": f"S{i:06d}-USDT", "lever": "50",
                            "settleCcy": "USDT", "ctVal": "1"})
        lev = 2 + i % 40
        mode = "cross" if i % 2 else "isolated"
        leverage[inst_id] = {"cross": str(lev), "isolated": str(lev)}
        desired[inst_id] = {"margin_mode": mode, "leverage": lev + (1 if i % 100 == 7 else 0)}
        if i % 100 == 3:
            positions.append({"instId": inst_id, "mgnMode": mode, "posSide": "net", "pos": "1", "avgPx": "100",
                              "margin": "300" if mode == "isolated" else "0"})
            if mode == "isolated":
                desired[inst_id]["isolated_margin"] = {"min": 250, "max": 350}
        if i % 100 == 5:
            orders.append({"instId": inst_id, "tdMode": mode, "side": "buy", "posSide": "net", "sz": "1", "px": "10"})
    raised = {endpoint: RAISED for endpoint in VENUE_LIMITS["okx"]}
    world = {"okx": {"instruments": instruments, "accounts": [{
        **KEY, "config": {"posMode": "net_mode", "acctLv": "2", "ctIsoMode": "automatic", "mgnIsoMode": "automatic"},
        "balances": {"USDT": "100000000"}, "leverage": leverage, "positions": positions, "orders": orders}]},
        "rate_limits": raised}
    account = {"venue": "okx", "environment": "sim",
               "credentials": {k: KEY[k] for k in ("api_key", "secret", "passphrase")},
               "rate_limits": raised, "settings": {"position_mode": "net"}, "symbols": desired}
    return world, account


async def run_child(command: list[str], workdir: Path, profile: Path | None = None) -> dict:
    out = workdir / "child.json"
    out.unlink(missing_ok=True)
    args = [sys.executable, str(CHILD), *(["--profile", str(profile)] if profile else []), str(out), "--", *command]
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.PIPE)
    _, stderr = await process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0 or not out.exists():
        raise SystemExit(f"{' '.join(command)} failed: {stderr.decode()[-2000:]}")
    result = json.loads(out.read_text())
    if result["exit_code"] not in (0, 2):
        raise SystemExit(f"{' '.join(command)} exited {result['exit_code']}: {stderr.decode()[-2000:]}")
    return {"wall_seconds": round(seconds, 3), "in_process_seconds": round(result["seconds_in_process"], 3),
            "cpu_seconds": round(result["cpu_seconds"], 3),
            "peak_memory_mb": round(result["peak_memory_mb"], 1)}


PHASES = {  # (file suffix, function): what a plan spends its time on, cumulative
    "load the file (reconciler/config.py load)": ("reconciler/config.py", "load"),
    "  YAML (config.py parse_yaml)": ("reconciler/config.py", "parse_yaml"),
    "  JSON Schema (config.py _check_schema)": ("reconciler/config.py", "_check_schema"),
    "diff (reconciler/diff.py diff_account)": ("reconciler/diff.py", "diff_account"),
    "OKX read, on CPU (reconciler/venues/okx/adapter.py read)": ("reconciler/venues/okx/adapter.py", "read"),
    "  rate windows, before each request (reconciler/pacing.py acquire)": ("reconciler/pacing.py", "acquire"),
    "  rate windows, after each answer (reconciler/pacing.py release)": ("reconciler/pacing.py", "release"),
    "render (reconciler/views/text.py render_plan)": ("reconciler/views/text.py", "render_plan"),
}


def phases(profile: Path) -> dict[str, dict]:
    """Cumulative time and share of the profile's total for each phase of a plan."""
    stats = pstats.Stats(str(profile))
    total = stats.total_tt or 1.0
    found = {}
    for label, (suffix, name) in PHASES.items():
        times = [entry[3] for (file, _, function), entry in stats.stats.items()
                 if file.endswith(suffix) and function == name]
        # the pacer's acquire calls its window's: the outer one holds the inner, so the largest, not the sum
        cumulative = max(times, default=0.0) if "rate windows" in label else sum(times)
        found[label] = {"seconds": round(cumulative, 3), "share": round(cumulative / total, 3)}
    rest = total - sum(found[label]["seconds"] for label in PHASES if not label.startswith(" "))
    # imports, the event loop, HTTP and signing: the tasks the reads run in are not under one function
    found["everything else (imports, event loop, HTTP)"] = {"seconds": round(rest, 3), "share": round(rest / total, 3)}
    found["total (profiled)"] = {"seconds": round(total, 3), "share": 1.0}
    return found


def top_costs(profile: Path, limit: int = 12) -> list[dict]:
    """The functions with the most time of their own, with their file, from a cProfile dump."""
    stats = pstats.Stats(str(profile))
    total = sum(entry[2] for entry in stats.stats.values()) or 1.0
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:limit]
    return [{"function": f"{_short(file)}:{line} {name}", "own_seconds": round(own, 3),
             "share": round(own / total, 3), "calls": calls}
            for (file, line, name), (calls, _, own, _, _) in rows]


def shares_by_file(profile: Path, limit: int = 10) -> list[dict]:
    """Own time summed per source file: which modules the cost sits in."""
    stats = pstats.Stats(str(profile))
    per_file: dict[str, float] = {}
    for (file, _, _), (_, _, own, _, _) in stats.stats.items():
        per_file[_short(file)] = per_file.get(_short(file), 0.0) + own
    total = sum(per_file.values()) or 1.0
    return [{"file": file, "own_seconds": round(own, 3), "share": round(own / total, 3)}
            for file, own in sorted(per_file.items(), key=lambda item: item[1], reverse=True)[:limit]]


def _short(file: str) -> str:
    for marker in ("/reconciler/", "/site-packages/", "/lib/python3"):
        if marker in file:
            return file[file.index(marker) + 1:]
    return file


async def run_scale(sizes: list[int], workdir: Path, profile_sizes: set[int] = frozenset()) -> dict:
    """validate and plan at each size; the plan's cProfile at the sizes asked."""
    rows = {}
    for n in sizes:
        world, account = scale_world(n)
        srv = SimServer(world)
        url = await srv.start("127.0.0.1", 0)
        try:
            path = workdir / f"scale-{n}.yaml"
            path.write_text(yaml.safe_dump({"version": 1, "accounts": {"ox": {**account, "base_url": url}}},
                                           sort_keys=False))
            row = {"symbols": n, "validate": await run_child(["validate", str(path)], workdir),
                   "plan": await run_child(["plan", str(path)], workdir)}
            row["plan"]["reads"] = len(srv.venues["okx"].calls)
            if n in profile_sizes:
                profile = workdir / f"plan-{n}.prof"
                await run_child(["plan", str(path)], workdir, profile)
                row["plan_profile"] = {"phases": phases(profile), "top_functions": top_costs(profile),
                                       "by_file": shares_by_file(profile)}
            rows[n] = row
        finally:
            await srv.stop()
    result = {"sizes": list(rows.values())}
    if len(sizes) >= 2:
        small, large = sizes[-2], sizes[-1]
        for command in ("validate", "plan"):
            result[f"{command}_ratio_{large}_to_{small}"] = round(
                rows[large][command]["wall_seconds"] / rows[small][command]["wall_seconds"], 2)
        result["size_ratio"] = round(large / small, 2)
    return result
