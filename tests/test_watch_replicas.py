"""Several `reconciler watch` replicas on one PostgreSQL backend: each account read and healed by one at a time."""

from __future__ import annotations

import signal
import time

from conftest import writes
from pg import pg_server, pg_url  # noqa: F401  (fixtures)
from test_watch_e2e import INTERVAL, KEYS, MARGIN, desired, drift, margin_of, world
from watching import WatchProcess, within


def margin_moves(sim, account: int) -> list[dict]:
    return [c for c in writes(sim.calls("okx")) if c["path"] == MARGIN and c["account"] == KEYS[account]["uid"]]


def held(replica, account: str) -> bool:
    return replica.value("reconciler_lease_held", account=account) == 1


def test_two_replicas_share_the_accounts_heal_each_once_and_take_over_from_a_dead_one(start_sim, tmp_path, pg_url):
    sim = start_sim(world(accounts=2))
    path = desired(tmp_path, sim.url, accounts=2, watch={"mode": "heal"})
    replicas = []
    try:
        for name in ("a", "b"):
            home = tmp_path / name
            home.mkdir()
            replicas.append(WatchProcess(path, "--backend", pg_url, cwd=home))
        accounts = ("ox0", "ox1")
        # A fair share: each replica ends up with one account, and no account is held by both.
        within(INTERVAL * 8, lambda: all(sum(held(r, a) for r in replicas) == 1 for a in accounts)
               and all(sum(held(r, a) for a in accounts) == 1 for r in replicas))
        drift(sim, 0, margin="300")
        drift(sim, 1, margin="250")
        # deadlines, not speed checks: a loaded CI machine has taken more than 6 intervals
        within(INTERVAL * 15, lambda: margin_of(sim, 0) == "400" and margin_of(sim, 1) == "400")
        time.sleep(INTERVAL * 2)
        assert [c["body"]["amt"] for c in margin_moves(sim, 0)] == ["100"]
        assert [c["body"]["amt"] for c in margin_moves(sim, 1)] == ["150"]
        for account in accounts:
            assert sum(r.value("reconciler_heals_total", account=account, result="applied") for r in replicas) == 1

        holder = next(r for r in replicas if held(r, "ox0"))
        survivor = next(r for r in replicas if r is not holder)
        holder.signal(signal.SIGKILL)
        holder.wait()
        killed = time.monotonic()
        within(INTERVAL * 2 + 0.5, lambda: held(survivor, "ox0"))
        print(f"taken over after {time.monotonic() - killed:.2f} s (interval {INTERVAL} s)")
        drift(sim, 0, margin="350")
        within(INTERVAL * 15, lambda: margin_of(sim, 0) == "400")
        time.sleep(INTERVAL * 2)
        assert [c["body"]["amt"] for c in margin_moves(sim, 0)] == ["100", "50"]
        assert survivor.value("reconciler_heals_total", account="ox0", result="applied") == 1
    finally:
        for replica in replicas:
            replica.kill()
