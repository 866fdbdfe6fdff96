"""Windows kept in memory are still shared: a plan beside an apply of the same account, on one machine or two.

The apply holds the account's lock and counts its windows in memory; the plan takes no lock. Both lease slots
of the same windows from the backend, so together they stay under the venue's limit: the simulator's call log
holds every read and not one rate-limit answer.
"""

from __future__ import annotations

import os
import subprocess
import sys

import test_bitget_e2e as bitget
from conftest import write_yaml
from pg import pg_server, pg_url
from test_pacing_e2e import bitget_block, rate_limited

FIXTURES = (pg_server, pg_url)  # found by pytest by their names

READS = {"GET /api/v2/mix/account/account": "5/1s"}  # 25 reads each: five periods, time for the two to meet


def flat_bitget(start_sim, tmp_path, count=25):
    """A Bitget account with `count` flat USDT-M symbols in sync with the file, its reads paced to READS."""
    symbols = [f"S{i}USDT" for i in range(count)]
    world = bitget.world()
    section = world["bitget"]
    section["contracts"] = [{"symbol": s, "productType": "USDT-FUTURES", "minLever": "1", "maxLever": "100",
                             "supportMarginCoins": ["USDT"]} for s in symbols]
    account = section["accounts"][0]
    account.update(positions=[], orders=[], position_modes={"USDT-FUTURES": "one_way_mode"})
    account["symbols"] = {s: {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": "10",
                              "isolatedLongLever": "10", "isolatedShortLever": "10"} for s in symbols}
    world["rate_limits"] = READS
    sim = start_sim(world)
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {
        "bg": bitget_block(sim.url, "USDT-FUTURES", symbols, rate_limits=READS)}})
    return sim, path


def both(sim, path, homes, *backend):
    """An apply and a plan of the same file at once, each from its own directory; both must succeed."""
    runs = []
    for home, command in zip(homes, (["apply", "--auto-approve"], ["plan"])):
        home.mkdir(exist_ok=True)
        env = {**os.environ, "RECONCILER_LOCK_DIR": str(home / "locks")}
        runs.append(subprocess.Popen([sys.executable, "-m", "reconciler", *command, str(path), *backend],
                                     cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read().decode()
    assert len([c for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/account/account"]) == 50
    assert rate_limited(sim, "bitget") == []


def test_a_plan_during_an_apply_of_the_same_account_shares_its_windows(start_sim, tmp_path):
    sim, path = flat_bitget(start_sim, tmp_path)
    both(sim, path, [tmp_path, tmp_path])  # one machine: one lock directory, the windows' files beside it


def test_a_plan_on_another_machine_shares_an_applys_windows_through_postgresql(start_sim, pg_url, tmp_path):
    sim, path = flat_bitget(start_sim, tmp_path)
    both(sim, path, [tmp_path / "ci-runner", tmp_path / "laptop"], "--backend", pg_url)
