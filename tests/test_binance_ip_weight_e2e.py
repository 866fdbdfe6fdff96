"""Binance counts request weight per IP, whatever the key (binance.md §6): two processes on one machine share it.

Each process applies its own twelve accounts (a position-mode change, so each plan reads both order lists of the
whole account, weight 40 each); together they spend more than the 2400 a minute the simulator allows one
address, though neither does alone. Only a budget shared by every process on the IP (the adapter declares
`ip_budget`, `weight_header` and `request_weight` for it) keeps both under the limit: without it one of them
meets a 429, and the requests it has in flight meanwhile a 418 ban.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import write_yaml

ACCOUNTS_PER_PROCESS = 12  # each apply of one spends 114: 16 + 80 to plan, 2 to write, 16 to verify
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def key(process: str, n: int) -> tuple[str, str]:
    return f"ip{process}{n}", f"secret-{process}-{n}"


def world() -> dict:
    accounts = [{"api_key": api_key, "secret": secret, "balances": {"USDT": "1000"}}
                for process in "ab" for n in range(ACCOUNTS_PER_PROCESS) for api_key, secret in [key(process, n)]]
    return {"binance": {"symbols": [{"symbol": s} for s in SYMBOLS], "accounts": accounts}}


def desired(tmp_path, url, process: str):
    accounts = {}
    for n in range(ACCOUNTS_PER_PROCESS):
        api_key, secret = key(process, n)
        accounts[f"{process}{n}"] = {
            "venue": "binance", "environment": "sim", "base_url": url,
            "credentials": {"api_key": api_key, "secret": secret}, "settings": {"position_mode": "hedge"},
            "symbols": {"SOLUSDT": {"margin_mode": "cross", "leverage": 12}}}
    return write_yaml(tmp_path / f"{process}.yaml", {"version": 1, "accounts": accounts})


def test_two_processes_on_one_ip_apply_concurrently_without_a_429_or_418(start_sim, tmp_path):
    sim = start_sim(world())
    env = {**os.environ, "RECONCILER_LOCK_DIR": str(tmp_path / "locks")}  # one machine: one state directory
    runs = [subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(desired(tmp_path, sim.url, p)),
                              "--auto-approve"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for p in "ab"]
    outputs = [run.communicate(timeout=280) for run in runs]
    calls = sim.calls("binance")
    assert sum(c["method"] == "GET" for c in calls) > 2 * ACCOUNTS_PER_PROCESS * 6  # every plan read, really
    refused = [(c["status"], c["path"]) for c in calls if c["status"] in (418, 429)]
    assert refused == [], refused
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert all(account["dualSidePosition"] for account in sim.state("binance")["accounts"])
