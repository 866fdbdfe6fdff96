#!/usr/bin/env python3
"""Pacing before and after, side by side in one run: the same cases with the code of two revisions.

    python bench/pacing_compare.py [--before REV] [--fleet 50] [--estimate 300] [--scale 100000] [--repeat 1]

`--before` (default: where this branch left main) is unpacked with `git archive` into a temporary directory;
"after" is this working tree. Each case runs the command of each tree as a child process (PYTHONPATH set to
that tree), in turn, against a fresh simulator in this process, with a fresh lock directory:

- fleet: `reconciler apply FILE --auto-approve` of N accounts x 20 symbols (bench/whole.py's fleet): wall and
  CPU time of the child, calls, rate-limit answers, and whether a plan afterwards finds nothing left;
- estimate: that tree's `bench/estimate.py` for one Bitget account of 300 leverage changes: the plan's
  estimate against the apply's time;
- scale: the plan of one OKX account with 100k symbols under cProfile (that tree's bench/child.py): wall and
  CPU time, and the share of the profiled time spent in pacing (every call into reconciler/pacing.py from
  outside it, waits excluded: a coroutine's time counts only while it runs).

Prints one JSON object: per case, each tree's figures and after / before ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reconciler import api  # noqa: E402
from reconciler.sim.server import SimServer  # noqa: E402

from bench.scale import scale_world  # noqa: E402
from bench.whole import fleet  # noqa: E402
from bench.world import VENUES, write_desired  # noqa: E402
from bench.yardstick import rate_limited  # noqa: E402

PACING = "reconciler/pacing.py"


def unpack(revision: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


async def child(tree: Path, args: list[str], workdir: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of one child process running `tree`'s code."""
    env = {**os.environ, "PYTHONPATH": str(tree), "RECONCILER_LOCK_DIR": str(workdir / "locks")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(sys.executable, *args, cwd=workdir, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode not in (0, 2, 3):
        shown = "\n".join(line for line in out.decode().splitlines() if "[applied]" not in line)
        raise SystemExit(f"{' '.join(args)} with {tree} exited {process.returncode}:\n"
                         f"{shown[-4000:]}\n{err.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.decode()


async def fleet_case(tree: Path, workdir: Path, accounts: int) -> dict:
    world, desired = fleet(accounts, 20, "5/10s")
    server = SimServer(copy.deepcopy(world))
    url = await server.start("127.0.0.1", 0)
    try:
        path = write_desired(workdir, desired, url, "fleet.yaml")
        wall, cpu, _ = await child(tree, ["-m", "reconciler", "apply", str(path), "--auto-approve"], workdir)
        calls = [call for venue in VENUES for call in server.venues[venue].calls]
        left = [c for c in (await api.plan(api.load(str(path)), backend="local")).changes if c.status == "change"]
    finally:
        await server.stop()
    return {"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "calls": len(calls),
            "rate_limited": rate_limited(calls), "converged": not left}


async def estimate_case(tree: Path, workdir: Path, symbols: int) -> dict:
    _, cpu, out = await child(tree, [str(tree / "bench" / "estimate.py"), "--symbols", str(symbols), "--mixed", "0"],
                              workdir)
    result = json.loads(out)["bitget"]
    return {"estimate_seconds": result["estimate_seconds"], "apply_seconds": result["apply_seconds"],
            "apply_over_estimate": result["ratio"], "cpu_seconds_with_simulator": round(cpu, 2),
            "rate_limited": result["rate_limited"]}


async def scale_case(tree: Path, workdir: Path, symbols: int) -> dict:
    world, account = scale_world(symbols)
    server = SimServer(world)
    url = await server.start("127.0.0.1", 0)
    try:
        path = workdir / "scale.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "accounts": {"ox": {**account, "base_url": url}}},
                                       sort_keys=False))
        profile, report = workdir / "plan.prof", workdir / "plan.json"
        wall, cpu, _ = await child(tree, [str(tree / "bench" / "child.py"), "--profile", str(profile), str(report),
                                          "--", "plan", str(path)], workdir)
        reads = len(server.venues["okx"].calls)
    finally:
        await server.stop()
    pacing, total, waiting = pacing_seconds(profile)
    return {"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "reads": reads,
            "profiled_seconds": round(total, 2), "profiled_busy_seconds": round(total - waiting, 2),
            "pacing_seconds": round(pacing, 3), "pacing_share": round(pacing / total, 4) if total else None,
            "pacing_share_of_busy": round(pacing / (total - waiting), 4) if total > waiting else None}


def pacing_seconds(profile: Path) -> tuple[float, float, float]:
    """(seconds in pacing, profiled seconds, seconds the event loop waited in its selector): pacing is the
    cumulative time of reconciler/pacing.py's functions over the calls made to them from outside that file (so
    nested calls are not counted twice)."""
    stats = pstats.Stats(str(profile))
    spent = waiting = 0.0
    for (file, _, name), (_, _, own, _, callers) in stats.stats.items():
        if file.endswith(PACING):
            spent += sum(entry[3] for (caller, _, _), entry in callers.items() if not caller.endswith(PACING))
        elif file == "~" and ("select.epoll" in name or "select.select" in name):
            waiting += own
    return spent, stats.total_tt, waiting


def ratios(before: dict, after: dict) -> dict:
    return {key: round(after[key] / before[key], 3) for key in after
            if isinstance(after[key], (int, float)) and not isinstance(after[key], bool) and before.get(key)}


async def compare(trees: dict[str, Path], workdir: Path, args) -> dict:
    cases = {"fleet": lambda tree, where: fleet_case(tree, where, args.fleet),
             "estimate": lambda tree, where: estimate_case(tree, where, args.estimate),
             "scale": lambda tree, where: scale_case(tree, where, args.scale)}
    chosen = {name: case for name, case in cases.items() if getattr(args, name)}
    result: dict = {}
    for name, case in chosen.items():
        runs: dict[str, list[dict]] = {label: [] for label in trees}
        for repeat in range(args.repeat):
            order = list(trees) if repeat % 2 == 0 else list(reversed(trees))  # neither always goes first
            for label in order:
                where = workdir / f"{name}-{label}-{repeat}"
                where.mkdir()
                runs[label].append(await case(trees[label], where))
                print(f"{name} {label} #{repeat + 1}: {json.dumps(runs[label][-1])}", file=sys.stderr)
        result[name] = {"runs": runs, "after_over_before": [ratios(b, a) for b, a in zip(runs["before"],
                                                                                        runs["after"])]}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="the revision to compare with (default: git merge-base HEAD main)")
    parser.add_argument("--fleet", type=int, default=50, help="accounts of the fleet case (0 skips it)")
    parser.add_argument("--estimate", type=int, default=300, help="symbols of the Bitget estimate case (0 skips it)")
    parser.add_argument("--scale", type=int, default=100000, help="symbols of the profiled plan (0 skips it)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case per tree, alternating the order")
    args = parser.parse_args(argv)
    before = args.before or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True,
                                           capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="reconciler-pacing-") as tmp:
        os.environ["RECONCILER_LOCK_DIR"] = str(Path(tmp) / "locks")  # this process's own plans (convergence)
        trees = {"before": unpack(before, Path(tmp) / "before"), "after": ROOT}
        result = asyncio.run(compare(trees, Path(tmp), args))
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    print(json.dumps({"before": before[:12], "after": f"{head.stdout.strip()} (working tree)",
                      "load_average": [round(x, 1) for x in os.getloadavg()], **result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
