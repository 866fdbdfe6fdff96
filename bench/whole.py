"""Whole process against whole process: `reconciler apply --auto-approve` and the careful ccxt script, each
run as a child process (interpreter start and imports included) against one simulator in this process.

    python -m bench.whole careful URL DESIRED.yaml LEVERAGE_LIMIT   # the child side of the careful script

Two cases: the benchmark's three accounts (`build`), and a fleet of many accounts (`fleet`: the same three
kinds of account over and over, each with its own key, UID or account id, so each has its own limits).

Beside the wall times: a floor for the whole run from the documented limits (the slowest account's plan floor
plus its apply floor, bench/yardstick.py: accounts do not wait for each other), and from the simulator's call
log, for each account of the tool's run, how long its own plan took and how long after it its first write
left (`first_write_after_own_plan`: a barrier between accounts would make it the slowest account's plan); and
from the tool's journal, the tool's own part of that gap (`tool_first_write_after_last_answer`).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import base58
import yaml
from nacl.signing import SigningKey

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reconciler import api  # noqa: E402
from reconciler.sim.server import SimServer  # noqa: E402

from bench.proxy import behind_latency  # noqa: E402
from bench.world import VENUES, Drift, bitget_section, okx_section, orderly_section, write_desired  # noqa: E402
from bench.yardstick import account_floor, rate_limited  # noqa: E402


def fleet(count: int, n: int, leverage_limit: str) -> tuple[dict, dict, dict[str, Drift]]:
    """(world, desired accounts, drift per venue): `count` accounts (Bitget, OKX, Orderly in turn) of `n`
    symbols, half drifted, each venue's accounts drifted alike."""
    drifts = {venue: Drift() for venue in VENUES}
    sections = {"bitget": bitget_section(n, drifts["bitget"]), "okx": okx_section(n, drifts["okx"]),
                "orderly": orderly_section(n, drifts["orderly"], leverage_limit)}
    world = {venue: {**copy.deepcopy(section), "accounts": []} for venue, (section, _) in sections.items()}
    world["rate_limits"] = {"POST /v1/client/leverages": leverage_limit, "POST /v1/client/leverage": leverage_limit}
    accounts = {}
    for i in range(count):
        venue = VENUES[i % len(VENUES)]
        section, desired = copy.deepcopy(sections[venue])
        live = section["accounts"][0]
        if venue == "orderly":
            key = SigningKey(bytes([i % 250 + 1] * 31 + [i // 250 + 1]))
            account_id = f"0x{i + 1:064x}"
            live.update(account_id=account_id,
                        orderly_key="ed25519:" + base58.b58encode(bytes(key.verify_key)).decode())
            desired["credentials"] = {"account_id": account_id, "secret": base58.b58encode(bytes(key)).decode()}
        else:
            keys = {"api_key": f"bench-{venue}-{i}", "secret": f"bench-{venue}-secret-{i}",
                    "passphrase": f"bench-{venue}-pass-{i}"}
            live.update(keys, uid=str(100000 + i))
            desired["credentials"] = keys
        world[venue]["accounts"].append(live)
        accounts[f"{venue[:2]}{i:02d}"] = desired
    return world, accounts, drifts


def whole_floor(world: dict, accounts: dict, drifts: dict[str, Drift]) -> dict:
    """The least time the whole run can take from the documented limits: each account's plan floor plus its
    apply floor (writes and the reads back of what they wrote), the slowest account's; {"seconds", "account"}."""
    floors = {}
    for name, spec in accounts.items():
        floor = account_floor(spec["venue"], spec, drifts[spec["venue"]], world, 0.0)
        floors[name] = floor["plan_floor_seconds"] + floor["floor_seconds"]
    slowest = max(floors, key=floors.get)
    return {"seconds": round(floors[slowest], 3), "account": slowest}


def account_timeline(srv: SimServer) -> dict:
    """From the call log, per account (its key or account id): when its first request, the end of its own plan
    (its last read before its first write) and its first write were answered; and the spread over accounts."""
    per_account: dict[tuple, list[dict]] = {}
    for venue in VENUES:
        for call in srv.venues[venue].calls:
            if call.get("account"):
                per_account.setdefault((venue, call["account"]), []).append(call)
    plans, gaps = [], []
    for calls in per_account.values():
        written = [c["time"] for c in calls if c["method"] != "GET"]
        if not written:
            continue
        first_write = min(written)
        reads = [c["time"] for c in calls if c["method"] == "GET" and c["time"] < first_write]
        plans.append(max(reads) - min(reads) if reads else 0.0)
        gaps.append(first_write - max(reads) if reads else 0.0)
    if not gaps:
        return {}
    gaps.sort()
    return {"accounts_written": len(gaps), "own_plan_seconds_max": round(max(plans), 3),
            "first_write_after_own_plan_median": round(gaps[len(gaps) // 2], 3),
            "first_write_after_own_plan_max": round(max(gaps), 3)}


def tool_timeline(journal: Path, round_trip: float = 0.0) -> dict:
    """From the tool's own journal, per account: how long after the last answer of its plan (the last `read` line
    before its first write's `intent`) its first write left, and that last read's round trip as the tool saw it
    (under the same load); the median and the longest over accounts. This is the tool's own part of the gap the
    call log shows, without the time answers wait for a busy event loop. A first write within one round trip: its own
    part no longer than `round_trip` (the proxy's) or, on loopback, than that last read's round trip."""
    per_account: dict[str, list[tuple[datetime, dict]]] = {}
    for line in journal.read_text().splitlines():
        entry = json.loads(line)
        per_account.setdefault(entry["account"], []).append(
            (datetime.fromisoformat(entry["time"].replace("Z", "+00:00")), entry))
    gaps, trips = [], []
    for entries in per_account.values():
        intents = [at for at, entry in entries if entry["event"] == "intent"]
        if not intents:
            continue
        reads = [(at, entry) for at, entry in entries if entry["event"] == "read" and at <= min(intents)]
        if reads:
            at, last = max(reads, key=lambda read: read[0])
            gaps.append((min(intents) - at).total_seconds())
            trips.append(last["duration_ms"] / 1000)
    if not gaps:
        return {}
    within = sum(1 for gap, trip in zip(gaps, trips) if gap <= (round_trip or trip))
    gaps.sort()
    trips.sort()
    return {"tool_first_write_after_last_answer_median": round(gaps[len(gaps) // 2], 3),
            "tool_first_write_after_last_answer_max": round(max(gaps), 3),
            "tool_last_read_round_trip_median": round(trips[len(trips) // 2], 3),
            "tool_first_write_within_round_trip": within, "tool_accounts_written": len(gaps)}


async def run_child(args: list[str], workdir: Path) -> tuple[float, int, str]:
    """(wall seconds, exit code, stderr tail) of a child process."""
    env = {**os.environ, "RECONCILER_LOCK_DIR": str(workdir / "locks"), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(sys.executable, *args, cwd=workdir, env=env,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, stderr = await process.communicate()
    return time.perf_counter() - started, process.returncode, stderr.decode()[-1500:]


async def run_whole(kind: str, world: dict, accounts: dict, workdir: Path, leverage_limit: str,
                    round_trip: float = 0.0) -> dict:
    """`kind` tool or careful, on a fresh simulator (behind the latency proxy when round_trip > 0): its wall time,
    calls, 429s, and what a plan finds left."""
    srv = SimServer(copy.deepcopy(world))
    url = await srv.start("127.0.0.1", 0)
    url, proxy = await behind_latency(url, round_trip)
    try:
        path = write_desired(workdir, accounts, url, f"whole-{kind}.yaml")
        if kind == "tool":
            (workdir / f"journal-{kind}.jsonl").unlink(missing_ok=True)  # this run's lines only
            command = ["-m", "reconciler", "apply", str(path), "--auto-approve", "--journal",
                       str(workdir / f"journal-{kind}.jsonl")]
        else:
            command = ["-m", "bench.whole", "careful", url, str(path), leverage_limit]
        seconds, code, stderr = await run_child(command, workdir)
        if code not in (0, 3):
            raise SystemExit(f"{kind} exited {code}: {stderr}")
        calls = [call for venue in VENUES for call in srv.venues[venue].calls]
        timeline = account_timeline(srv)
        if kind == "tool":
            timeline.update(tool_timeline(workdir / f"journal-{kind}.jsonl", round_trip))
        remaining = [c for c in (await api.plan(api.load(str(path)))).changes if c.status == "change"]
        return {"seconds": round(seconds, 3), "calls": len(calls),
                "writes": sum(1 for c in calls if c["method"] != "GET"), "rate_limited": rate_limited(calls),
                "converged": not remaining, "remaining_changes": len(remaining), "accounts": timeline,
                "round_trip": round_trip}
    finally:
        if proxy:
            await proxy.stop()
        await srv.stop()


async def compare(world: dict, accounts: dict, workdir: Path, leverage_limit: str, drifts: dict[str, Drift]) -> dict:
    """The tool and the careful script on the same world, the ratio of their wall times, and each against the
    floor of the documented limits."""
    tool = await run_whole("tool", world, accounts, workdir, leverage_limit)
    careful = await run_whole("careful", world, accounts, workdir, leverage_limit)
    floor = whole_floor(world, accounts, drifts)
    over = (lambda seconds: round(seconds / floor["seconds"], 2) if floor["seconds"] else None)
    return {"accounts": len(accounts), "symbols_per_account": len(next(iter(accounts.values()))["symbols"]),
            "tool": tool, "careful": careful, "careful_over_tool": round(careful["seconds"] / tool["seconds"], 2),
            "floor": floor, "tool_over_floor": over(tool["seconds"]), "careful_over_floor": over(careful["seconds"])}


async def careful_main(url: str, path: str, leverage_limit: str) -> None:
    """Every account of the desired-state file, all at once, as the careful script does it."""
    from bench.baselines import EndpointWindows, careful_venue, ccxt_client, paced

    document = yaml.safe_load(Path(path).read_text())
    per_ip = EndpointWindows({})
    clients = {}
    for name, spec in document["accounts"].items():
        clients[name] = ccxt_client(spec["venue"], spec["credentials"], url, leverage_limit)
        paced(clients[name], spec["venue"], spec.get("rate_limits") or {}, per_ip)
    try:
        first: dict[str, object] = {}  # markets are read once per venue and shared, as one script would
        for name, spec in document["accounts"].items():
            if spec["venue"] in first:
                clients[name].set_markets(first[spec["venue"]].markets, first[spec["venue"]].currencies)
            else:
                await clients[name].load_markets()
                first[spec["venue"]] = clients[name]
        outcomes = await asyncio.gather(*(careful_venue(spec["venue"], clients[name], spec)
                                          for name, spec in document["accounts"].items()))
    finally:
        for client in clients.values():
            await client.close()
    errors = Counter(kind for outcome in outcomes for kind, n in outcome["error_kinds"].items() for _ in range(n))
    if errors:
        print(json.dumps(dict(errors)), file=sys.stderr)


if __name__ == "__main__" and sys.argv[1:2] == ["careful"]:
    asyncio.run(careful_main(*sys.argv[2:5]))
