#!/usr/bin/env python3
"""Benchmark of plan and apply against the simulator, measured against yardsticks that are not our own.

One run:

1. builds a world with the three venues and N symbols each (60 by default, 25 with --quick), half of
   them drifted, and the matching desired-state file (bench/world.py);
2. plans and applies against an in-process simulator: reads and writes against the fewest the venues'
   endpoints allow, and each account's apply time against the floor the venues' *documented* limits
   force (bench/venue_limits.py, written from the venue documents, not from the adapters);
3. the latency case: the same on a fresh simulator behind a local proxy adding 100 ms per round trip;
4. the baselines on fresh simulators with the same world: a careful ccxt script (read first, write
   only what differs, asyncio, ccxt's limiter) and the blind one bots run today (bench/baselines.py);
5. the scale case: `validate` and `plan` of one OKX account at 1k / 10k (/ 100k) symbols, each in a
   child process: wall time, CPU time, peak memory (bench/scale.py);
6. prints Markdown tables, or with --json one JSON object and nothing else on stdout.

Orderly documents 5 leverage writes per 60 s, so the Orderly account models a VIP tier
(`--orderly-leverage-limit`, default 5/10s): in the desired-state file's `rate_limits`, in the world's
(the simulator enforces it), in the floor, and in ccxt's limiter for the baselines.

    python bench/run.py --quick --json
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import copy
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reconciler import api  # noqa: E402
from reconciler.executor import execute  # noqa: E402
from reconciler.planner import plan as make_plan  # noqa: E402
from reconciler.sim.server import SimServer  # noqa: E402

from bench.baselines import run_baseline  # noqa: E402
from bench.proxy import behind_latency  # noqa: E402
from bench.estimate import run_estimate  # noqa: E402
from bench.scale import run_scale  # noqa: E402
from bench.startup import run_startup  # noqa: E402
from bench.whole import compare, fleet, run_whole  # noqa: E402
from bench.venue_limits import account_limits  # noqa: E402
from bench.world import ACCOUNTS, ORDERLY_LEVERAGE_WRITE, VENUES, Drift, build, write_desired  # noqa: E402
from bench.yardstick import account_floor, count, min_reads, min_writes, rate_limited, verify_spec  # noqa: E402

LATENCY = 0.1  # seconds added per round trip in the latency case
RATIO_TARGET, SLACK_SECONDS = 1.1, 0.2  # apply <= 1.1 x floor, or within 0.2 s of it (tiny floors)


# --- the reconciler run -----------------------------------------------------------------------------------
async def run_reconciler(world: dict, accounts: dict, drift: Drift, workdir: Path, round_trip: float = 0.0) -> dict:
    """Plan, apply, plan again, against a fresh simulator (behind the latency proxy when round_trip > 0)."""
    srv = SimServer(copy.deepcopy(world))
    url = await srv.start("127.0.0.1", 0)
    url, proxy = await behind_latency(url, round_trip)
    try:
        state = api.load(str(write_desired(workdir, accounts, url, f"desired-{round_trip:g}.yaml")))
        # What `apply FILE --auto-approve` does: plan and apply in one run, under the accounts' locks.
        async with api.open_run(state) as run:
            started, plan_wall = time.perf_counter(), time.time()
            plan = await make_plan(state, connections=run)
            plan_seconds = time.perf_counter() - started
            if plan.errors:
                raise SystemExit(f"plan failed: {plan.errors}")
            marks = {venue: len(srv.venues[venue].calls) for venue in VENUES}
            await asyncio.sleep(settle_seconds(srv, accounts, world, drift))

            started, apply_wall = time.perf_counter(), time.time()
            report = await execute(plan, state, run)
            apply_seconds = time.perf_counter() - started
        marks_after = {venue: len(srv.venues[venue].calls) for venue in VENUES}
        remaining = [c.id for c in (await api.plan(state)).changes if c.status == "change"]

        per_venue = {}
        for venue in VENUES:
            name, calls = ACCOUNTS[venue], srv.venues[venue].calls
            spec = accounts[name]
            plan_calls, apply_calls = calls[:marks[venue]], calls[marks[venue]:marks_after[venue]]
            reads, need = count(plan_calls, gets=True), min_reads(venue, spec, world)
            writes, need_w = count(apply_calls, gets=False), min_writes(drift, venue)
            floor = account_floor(venue, spec, drift, world, round_trip)
            # when this account's last call of the plan / the apply (its last verification read) was answered
            account_plan = max((c["time"] for c in plan_calls), default=plan_wall) - plan_wall
            account_apply = max((c["time"] for c in apply_calls), default=apply_wall) - apply_wall
            changes = [c for c in plan.changes if c.account == name]
            per_venue[venue] = {
                "account": name, "symbols": len(spec["symbols"]), "drifted": len(drift.of(venue)),
                "drift_kinds": dict(Counter(item["kind"] for item in drift.of(venue))),
                "changes": sum(1 for c in changes if c.status == "change"),
                "blocked_or_conflict": sum(1 for c in changes if c.status != "change"),
                "reads": sum(reads.values()), "min_reads": sum(need.values()),
                "reads_by_endpoint": dict(sorted(reads.items())),
                "reads_over_minimum": {e: n - need.get(e, 0) for e, n in reads.items() if n > need.get(e, 0)},
                "writes": sum(writes.values()), "min_writes": sum(need_w.values()),
                "writes_by_endpoint": dict(sorted(writes.items())),
                "writes_off_minimum": {e: writes[e] - need_w.get(e, 0) for e in set(writes) | set(need_w)
                                       if writes[e] != need_w.get(e, 0)},
                "apply_reads": sum(count(apply_calls, gets=True).values()),
                "plan_seconds": round(account_plan, 3),
                "plan_vs_floor": round(account_plan / floor["plan_floor_seconds"], 3) if floor["plan_floor_seconds"] else None,
                "apply_seconds": round(account_apply, 3),
                **floor,
                "apply_vs_floor": round(account_apply / floor["floor_seconds"], 3) if floor["floor_seconds"] else None,
                "apply_within_target": account_apply <= max(RATIO_TARGET * floor["floor_seconds"],
                                                            floor["floor_seconds"] + SLACK_SECONDS),
                "planner_estimate_seconds": round(plan.estimates.get(name, {}).get("seconds", 0.0), 3),
                "rate_limited": rate_limited(plan_calls + apply_calls),
                "rate_limits_override": spec.get("rate_limits") or {},
            }
        return {
            "round_trip_seconds": round_trip, "plan_seconds": plan_seconds, "apply_seconds": apply_seconds,
            "reads": sum(v["reads"] for v in per_venue.values()),
            "min_reads": sum(v["min_reads"] for v in per_venue.values()),
            "writes": sum(v["writes"] for v in per_venue.values()),
            "min_writes": sum(v["min_writes"] for v in per_venue.values()),
            "apply_exit_code": report.exit_code,
            "apply_failed": [f"{o.change_id}: {o.message}" for o in report.failed],
            "account_errors": dict(report.account_errors),
            "converged": not remaining and not report.failed, "remaining_changes": remaining,
            "per_venue": per_venue,
        }
    finally:
        if proxy:
            await proxy.stop()
        await srv.stop()


def _only(drift: Drift, venue: str) -> Drift:
    """The drift of one venue's account (the yardstick reads a venue's drift by its name)."""
    only = Drift()
    only.items = drift.of(venue)
    return only


def settle_seconds(srv: SimServer, accounts: dict, world: dict, drift) -> float:
    """How long until no read window the plan filled could hold back apply's verification reads (a
    person reading the plan takes longer than that); not timed."""
    settle = 0.0
    for venue in VENUES:
        spec = accounts[ACCOUNTS[venue]]
        limits = account_limits(venue, spec.get("rate_limits"))
        verify = min_reads(venue, verify_spec(venue, spec, drift), world)
        for endpoint, sent in count(srv.venues[venue].calls).items():
            if endpoint in limits and sent + verify.get(endpoint, 0) > limits[endpoint][0]:
                settle = max(settle, limits[endpoint][1])
    return settle


# --- output -----------------------------------------------------------------------------------------------
def summarize(args, n: int, drift: Drift, ours: dict, latency: dict | None, careful: dict, blind: dict | None,
              scale: dict | None, total_seconds: float) -> dict:
    per_venue = {}
    for venue in VENUES:
        mine = ours["per_venue"][venue]
        row = {**mine, "careful": careful["per_venue"][venue]}
        ours_total = mine["plan_seconds"] + mine["apply_seconds"]
        row["speedup_vs_careful"] = round(careful["per_venue"][venue]["seconds"] / ours_total, 2)
        if blind:
            row["blind"] = blind["per_venue"][venue]
        if latency:
            slow = latency["per_venue"][venue]
            row["latency"] = {key: slow[key] for key in ("plan_seconds", "plan_floor_seconds", "plan_vs_floor",
                                                         "apply_seconds", "floor_seconds", "apply_vs_floor",
                                                         "apply_within_target", "rate_limited")}
        per_venue[venue] = row
    accounts = list(per_venue.values())
    result = {
        "symbols_per_venue": n, "quick": args.quick, "drifted": len(drift.items),
        "plan_seconds": round(ours["plan_seconds"], 3), "apply_seconds": round(ours["apply_seconds"], 3),
        "reads": ours["reads"], "min_reads": ours["min_reads"],
        "writes": ours["writes"], "min_writes": ours["min_writes"],
        "converged": ours["converged"], "apply_exit_code": ours["apply_exit_code"],
        "apply_failed": ours["apply_failed"], "account_errors": ours["account_errors"],
        "remaining_changes": ours["remaining_changes"],
        "careful_seconds": round(careful["seconds"], 3), "careful_calls": careful["calls"],
        "careful_converged": careful["converged"], "careful_remaining_changes": careful["remaining_changes"],
        "speedup_vs_careful": round(careful["seconds"] / (ours["plan_seconds"] + ours["apply_seconds"]), 2),
        "orderly_vip_tier": {ORDERLY_LEVERAGE_WRITE: args.orderly_leverage_limit, "documented": "5/60s"},
        "per_venue": per_venue,
    }
    if blind:
        result.update(blind_seconds=round(blind["seconds"], 3), blind_calls=blind["calls"],
                      blind_converged=blind["converged"], blind_remaining_changes=blind["remaining_changes"],
                      speedup_vs_blind=round(blind["seconds"] / (ours["plan_seconds"] + ours["apply_seconds"]), 2))
    if latency:
        result["latency"] = {
            "round_trip_seconds": LATENCY,
            "plan_seconds": round(latency["plan_seconds"], 3), "apply_seconds": round(latency["apply_seconds"], 3),
            "plan_ratio": round(latency["plan_seconds"] / ours["plan_seconds"], 2),
            "apply_ratio": round(latency["apply_seconds"] / ours["apply_seconds"], 2),
            "converged": latency["converged"], "reads": latency["reads"], "writes": latency["writes"]}
    if scale:
        result["scale"] = scale
    targets = {
        "reads_equal_min": ours["reads"] == ours["min_reads"],
        "writes_equal_min": ours["writes"] == ours["min_writes"],
        "apply_within_1_1_floor_every_account": all(a["apply_within_target"] for a in accounts),
        "faster_than_careful_every_venue": all(a["speedup_vs_careful"] > 1 for a in accounts),
        "no_rate_limit_answers": all(a["rate_limited"] == 0 and a.get("latency", {}).get("rate_limited", 0) == 0
                                     for a in accounts),
    }
    if latency:
        targets["latency_apply_within_1_2"] = result["latency"]["apply_ratio"] <= 1.2
        targets["latency_every_account_within_floor"] = all(a["latency"]["apply_within_target"] for a in accounts)
    if scale and "size_ratio" in scale:
        small, large = scale["sizes"][-2]["symbols"], scale["sizes"][-1]["symbols"]
        targets["plan_cost_linear"] = scale[f"plan_ratio_{large}_to_{small}"] <= 1.1 * scale["size_ratio"]
    result["targets"] = targets
    result["total_run_seconds"] = round(total_seconds, 1)
    return result


def markdown(result: dict) -> str:
    """The Markdown tables the README shows."""
    r, yes = result, lambda ok: "met" if ok else "**not met**"
    lines = [f"{r['symbols_per_venue']} symbols per venue, {r['drifted']} drifted; Orderly VIP tier "
             f"{r['orderly_vip_tier'][ORDERLY_LEVERAGE_WRITE]} for `{ORDERLY_LEVERAGE_WRITE}` (documented 5/60s).", "",
             "| venue | reads / min | writes / min | plan s (floor) | apply s | floor s | apply / floor | estimate s "
             "| careful ccxt s | speedup vs careful | blind ccxt s | 429s ours / careful / blind |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for venue, v in r["per_venue"].items():
        blind = v.get("blind", {})
        lines.append(f"| {venue} | {v['reads']} / {v['min_reads']} | {v['writes']} / {v['min_writes']} "
                     f"| {v['plan_seconds']} ({v['plan_floor_seconds']}) | {v['apply_seconds']} | {v['floor_seconds']} "
                     f"| {v['apply_vs_floor'] or '–'} | {v['planner_estimate_seconds']} "
                     f"| {v['careful']['seconds']} | {v['speedup_vs_careful']}× | {blind.get('seconds', '–')} "
                     f"| {v['rate_limited']} / {v['careful']['rate_limited']} / {blind.get('rate_limited', '–')} |")
    lines += ["", f"Whole run: plan {r['plan_seconds']} s, apply {r['apply_seconds']} s; careful ccxt "
                  f"{r['careful_seconds']} s ({r['speedup_vs_careful']}×, converged {r['careful_converged']})"
              + (f"; blind ccxt {r['blind_seconds']} s ({r['speedup_vs_blind']}×, converged {r['blind_converged']})"
                 if "blind_seconds" in r else "") + f"; reconciler converged {r['converged']}."]
    for venue, v in r["per_venue"].items():
        lines.append(f"- {venue} floor: writes {v['write_floor_seconds']} s ({v['write_floor_why'] or 'one window'}) "
                     f"+ verification reads {v['verify_floor_seconds']} s ({v['verify_floor_why'] or 'one window'})")
    if "latency" in r:
        lat = r["latency"]
        lines += ["", f"Latency case (+{int(lat['round_trip_seconds'] * 1000)} ms per round trip):", "",
                  "| venue | plan s | plan floor s | apply s | floor s | apply / floor |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for venue, v in r["per_venue"].items():
            x = v["latency"]
            lines.append(f"| {venue} | {x['plan_seconds']} | {x['plan_floor_seconds']} | {x['apply_seconds']} "
                         f"| {x['floor_seconds']} "
                         f"| {x['apply_vs_floor']} |")
        lines += ["", f"Plan {lat['plan_seconds']} s ({lat['plan_ratio']}× without latency), apply "
                      f"{lat['apply_seconds']} s ({lat['apply_ratio']}×)."]
    if "scale" in r:
        lines += ["", "Scale case (one OKX account, limits raised; each command in a child process):", "",
                  "| symbols | validate s | validate CPU s | validate MB | plan s | plan CPU s | plan MB | plan reads |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for row in r["scale"]["sizes"]:
            v, p = row["validate"], row["plan"]
            lines.append(f"| {row['symbols']} | {v['wall_seconds']} | {v['cpu_seconds']} | {v['peak_memory_mb']} "
                         f"| {p['wall_seconds']} | {p['cpu_seconds']} | {p['peak_memory_mb']} | {p['reads']} |")
        ratios = {k: v for k, v in r["scale"].items() if "_ratio_" in k}
        if ratios:
            lines += ["", ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in ratios.items())
                      + f" (size ratio {r['scale']['size_ratio']})"]
    if "whole_process" in r:
        lines += ["", "Whole process against whole process (`reconciler apply --auto-approve` and the careful ccxt "
                      "script, each a child process, interpreter start included):", "",
                  "| accounts × symbols | tool s | careful script s | careful / tool | floor s | tool / floor "
                  "| careful / floor | calls tool / careful | 429s tool / careful | converged tool / careful "
                  "| tool: longest own plan s | tool: first write after own plan, median / max s "
                  "| of which the tool's own, median / max s | its last read's round trip, median s |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for case in r["whole_process"]:
            t, c, a = case["tool"], case["careful"], case["tool"].get("accounts") or {}
            lines.append(f"| {case['accounts']} × {case['symbols_per_account']} | {t['seconds']} | {c['seconds']} "
                         f"| {case['careful_over_tool']}× | {case['floor']['seconds']} | {case['tool_over_floor']}× "
                         f"| {case['careful_over_floor']}× | {t['calls']} / {c['calls']} "
                         f"| {t['rate_limited']} / {c['rate_limited']} | {t['converged']} / {c['converged']} "
                         f"| {a.get('own_plan_seconds_max', '–')} | {a.get('first_write_after_own_plan_median', '–')} / "
                         f"{a.get('first_write_after_own_plan_max', '–')} "
                         f"| {a.get('tool_first_write_after_last_answer_median', '–')} / "
                         f"{a.get('tool_first_write_after_last_answer_max', '–')} "
                         f"| {a.get('tool_last_read_round_trip_median', '–')} |")
        lines += ["", *first_write_lines(r["whole_process"])]
    if "startup" in r:
        st = r["startup"]
        lines += ["", f"Start-up (median of 7, whole process): `--help` {st['--help']} s, `--version` "
                      f"{st['--version']} s, `validate` {st['validate']} s; a bare interpreter {st['bare_interpreter']} s."]
    for e in r.get("estimate", {}).values():
        lines += ["", f"Estimate case {e['case']} ({e['changes']} changes): the plan said about "
                      f"{e['estimate_seconds']} s, `apply FILE --auto-approve` took {e['apply_seconds']} s "
                      f"({e['ratio']}×)."]
    lines += ["", "| target | result |", "| --- | --- |"]
    lines += [f"| {name.replace('_', ' ')} | {yes(ok)} |" for name, ok in r["targets"].items()]
    return "\n".join(lines)


def first_write_lines(cases: list[dict]) -> list[str]:
    """Per whole-process run of the tool: how many accounts' first writes left within one round trip (the proxy's, or
    on loopback that account's last read's as the tool saw it) of their plan's last answer."""
    lines = []
    for case in cases:
        for run in (case["tool"], case.get("tool_at_latency")):
            a = (run or {}).get("accounts") or {}
            if "tool_first_write_within_round_trip" not in a:
                continue
            where = f"behind a proxy adding {run['round_trip'] * 1000:g} ms per round trip" if run["round_trip"] \
                else "on loopback"
            lines.append(f"- {case['accounts']} accounts {where}: {a['tool_first_write_within_round_trip']} of "
                         f"{a['tool_accounts_written']} accounts' first writes left within one round trip of their "
                         f"plan's last answer (the tool's own part {a['tool_first_write_after_last_answer_median']} s "
                         f"median, {a['tool_first_write_after_last_answer_max']} s at most; the round trip "
                         f"{a['tool_last_read_round_trip_median']} s median); whole process {run['seconds']} s.")
    return lines


async def main_async(args) -> dict:
    n = args.symbols or (25 if args.quick else 60)
    sizes = [int(size) for size in args.scale.split(",") if size] if args.scale is not None else (
        [1000, 10000] if args.quick else [1000, 10000, 100000])
    world, accounts, drift = build(n, args.orderly_leverage_limit)
    # The tool's bytecode, as an install (or its first run) leaves it: where PYTHONDONTWRITEBYTECODE is set, every
    # child would otherwise compile the package again, while ccxt in site-packages was compiled when installed.
    compileall.compile_dir(str(ROOT / "reconciler"), quiet=1)
    started, load_at_start = time.perf_counter(), round(os.getloadavg()[0], 1)
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
        workdir = Path(tmp)
        os.environ["RECONCILER_LOCK_DIR"] = str(workdir / "locks")  # never the locks of real applies
        ours = await run_reconciler(world, accounts, drift, workdir)
        latency = None if args.no_latency else await run_reconciler(world, accounts, drift, workdir, LATENCY)
        careful = await run_baseline("careful", world, accounts, workdir, args.orderly_leverage_limit)
        blind = None if args.no_blind else await run_baseline("blind", world, accounts, workdir,
                                                               args.orderly_leverage_limit)
        whole = []
        if not args.no_whole:  # whole process against whole process, at this size and for a fleet
            whole.append(await compare(world, accounts, workdir, args.orderly_leverage_limit,
                                       {venue: _only(drift, venue) for venue in VENUES}))
            fleet_size = args.fleet if args.fleet is not None else (0 if args.quick else 50)
            if fleet_size:
                fleet_world, fleet_accounts, drifts = fleet(fleet_size, min(n, 20), args.orderly_leverage_limit)
                whole.append(await compare(fleet_world, fleet_accounts, workdir, args.orderly_leverage_limit, drifts))
                if not args.no_latency:  # the fleet again, as far from the venue as a desk in another region
                    whole[-1]["tool_at_latency"] = await run_whole("tool", fleet_world, fleet_accounts, workdir,
                                                                   args.orderly_leverage_limit, round_trip=LATENCY)
        startup = None if args.no_whole else run_startup(3 if args.quick else 7)
        scale = await run_scale(sizes, workdir, set(sizes[-2:]) if args.profile else set()) if sizes else None
        estimate_symbols = args.estimate if args.estimate is not None else (0 if args.quick else 300)
        estimate = await run_estimate(estimate_symbols, workdir, mixed=n) if estimate_symbols else None
    result = summarize(args, n, drift, ours, latency, careful, blind, scale, time.perf_counter() - started)
    if whole:
        result["whole_process"] = whole
        result["targets"]["careful_script_converges_without_429"] = all(
            case["careful"]["converged"] and case["careful"]["rate_limited"] == 0 for case in whole)
        result["targets"]["tool_faster_whole_process_every_case"] = all(case["careful_over_tool"] > 1 for case in whole)
        for case in whole:
            for name, run in (("", case["tool"]), (f"_at_{LATENCY * 1000:g}_ms", case.get("tool_at_latency"))):
                timeline = (run or {}).get("accounts") or {}
                if "tool_first_write_within_round_trip" in timeline:
                    result["targets"][f"first_write_within_one_round_trip_{case['accounts']}_accounts{name}"] = \
                        timeline["tool_first_write_within_round_trip"] == timeline["tool_accounts_written"]
    if startup:
        result["startup"] = startup
        result["targets"]["help_within_0_15_s"] = startup["help_target_met"]
    if estimate:
        result["estimate"] = estimate
        result["targets"]["estimate_within_15_percent"] = all(
            case["ratio"] is not None and abs(case["ratio"] - 1) <= 0.15 for case in estimate.values())
    if scale and scale["sizes"] and scale["sizes"][-1]["symbols"] >= 100000:
        largest = scale["sizes"][-1]["plan"]
        result["targets"]["plan_100k_within_10_s_and_300_mib"] = (largest["wall_seconds"] < 10
                                                                  and largest["peak_memory_mb"] < 300)
    result["machine"] = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(),
                         "load_average_at_start": load_at_start, "load_average_at_end": round(os.getloadavg()[0], 1)}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="25 symbols per venue (default 60); scale 1k and 10k")
    parser.add_argument("--symbols", type=int, help="symbols per venue (overrides --quick)")
    parser.add_argument("--scale", help="symbol counts of the scale case, e.g. 1000,10000,100000 ('' to skip)")
    parser.add_argument("--profile", action="store_true", help="cProfile the plan at the two largest scale sizes")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency case")
    parser.add_argument("--no-blind", action="store_true", help="skip the blind ccxt baseline")
    parser.add_argument("--json", action="store_true", help="print one JSON object and nothing else")
    parser.add_argument("--fleet", type=int,
                        help="accounts of the fleet case, whole process against whole process (default 50; 0 with "
                             "--quick)")
    parser.add_argument("--no-whole", action="store_true", help="skip the whole-process cases and start-up")
    parser.add_argument("--estimate", type=int, help="symbols of the estimate cases' Bitget account, all drifted "
                                                     "(default 300; 0 with --quick); the mixed case has the "
                                                     "run's symbols per venue")
    parser.add_argument("--orderly-leverage-limit", default="5/10s",
                        help="modelled VIP tier for Orderly's leverage write (documented: 5/60s)")
    args = parser.parse_args(argv)
    # Nothing but the JSON object on stdout: anything a library prints goes to stderr.
    with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
        result = asyncio.run(main_async(args))
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
