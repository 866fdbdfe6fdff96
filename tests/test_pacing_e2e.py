"""Pacing as the venues count: per venue account across blocks and processes, per IP for public data.

Each case would draw rate-limit answers from the simulator if it were paced per account name or per
process; the assertion is the simulator's call log: not one rate-limit answer.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import base58
from nacl.signing import SigningKey

import test_bitget_e2e as bitget
import test_orderly_e2e as orderly
from conftest import write_yaml, writes

RATE_LIMIT_CODES = {"429", "-1003", "50011"}


def rate_limited(sim, venue):
    return [c for c in sim.calls(venue) if c["status"] == 429 or c["code"] in RATE_LIMIT_CODES]


def bitget_block(url, product_type, symbols, **extra):
    return {"venue": "bitget", "environment": "sim", "base_url": url, "product_type": product_type,
            "credentials": {k: bitget.KEY[k] for k in ("api_key", "secret", "passphrase")},
            "symbols": {s: {"margin_mode": "cross", "leverage": 10} for s in symbols}, **extra}


def test_two_blocks_on_one_bitget_uid_share_its_limits(start_sim, cli, tmp_path):
    usdt = [f"U{i}USDT" for i in range(12)]
    usdc = [f"C{i}PERP" for i in range(12)]
    world = bitget.world()
    section = world["bitget"]
    section["contracts"] = [{"symbol": s, "productType": "USDT-FUTURES", "minLever": "1", "maxLever": "100",
                             "supportMarginCoins": ["USDT"]} for s in usdt] + [
        {"symbol": s, "productType": "USDC-FUTURES", "minLever": "1", "maxLever": "100",
         "supportMarginCoins": ["USDC"]} for s in usdc]
    account = section["accounts"][0]
    account.update(positions=[], orders=[], balances={"USDT": "1000", "USDC": "1000"},
                   position_modes={"USDT-FUTURES": "one_way_mode", "USDC-FUTURES": "one_way_mode"})
    account["symbols"] = {s: {"marginCoin": "USDC" if s in usdc else "USDT", "marginMode": "crossed",
                              "crossedMarginLeverage": "10", "isolatedLongLever": "10", "isolatedShortLever": "10"}
                          for s in usdt + usdc}
    sim = start_sim(world)
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {
        "usdt-m": bitget_block(sim.url, "USDT-FUTURES", usdt), "usdc-m": bitget_block(sim.url, "USDC-FUTURES", usdc)}})
    code, out, err = cli("plan", path, "--detailed-exitcode")
    assert code == 0, out + err
    assert len([c for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/account/account"]) == 24
    assert rate_limited(sim, "bitget") == []


def flat_bitget(start_sim, tmp_path, count=25, rate_limits=None):
    """A Bitget account with `count` flat USDT-M symbols, all in sync with the file: (simulator, file); with
    `rate_limits`, the world's and the file's."""
    symbols = [f"S{i}USDT" for i in range(count)]
    world = bitget.world()
    section = world["bitget"]
    section["contracts"] = [{"symbol": s, "productType": "USDT-FUTURES", "minLever": "1", "maxLever": "100",
                             "supportMarginCoins": ["USDT"]} for s in symbols]
    account = section["accounts"][0]
    account.update(positions=[], orders=[], position_modes={"USDT-FUTURES": "one_way_mode"})
    account["symbols"] = {s: {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": "10",
                              "isolatedLongLever": "10", "isolatedShortLever": "10"} for s in symbols}
    if rate_limits:
        world["rate_limits"] = dict(rate_limits)
    sim = start_sim(world)
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {
        "bg": bitget_block(sim.url, "USDT-FUTURES", symbols, **({"rate_limits": dict(rate_limits)}
                                                                 if rate_limits else {}))}})
    return sim, path


def test_two_processes_on_one_account_stay_under_its_limits(start_sim, tmp_path):
    sim, path = flat_bitget(start_sim, tmp_path)
    env = {**os.environ, "RECONCILER_LOCK_DIR": str(tmp_path / "locks")}
    command = [sys.executable, "-m", "reconciler", "plan", str(path)]
    runs = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]  # a drift check and a person's plan, at once
    for run in runs:
        assert run.wait(timeout=60) == 0, run.stderr.read().decode()
    assert len([c for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/account/account"]) == 50
    assert rate_limited(sim, "bitget") == []


def test_two_orderly_applies_back_to_back_share_the_leverage_window(start_sim, cli, tmp_path):
    limits = {"POST /v1/client/leverages": "2/3s"}
    world = orderly.world(positions=[], orders=[])
    world["rate_limits"] = limits
    sim = start_sim(world)
    for value in (7, 9):  # each apply changes the leverage of three symbols
        symbols = {s: {"margin_mode": "cross", "leverage": value} for s in (orderly.ETH, orderly.SOL, orderly.XRP)}
        code, out, err = cli("apply", orderly.config(tmp_path, sim.url, symbols=symbols, rate_limits=limits),
                             "--auto-approve")
        assert code == 0, out + err
    assert len([c for c in writes(sim.calls("orderly")) if c["path"] == "/v1/client/leverages"]) >= 4
    assert rate_limited(sim, "orderly") == []


def test_public_data_is_read_once_per_run_for_sixteen_accounts(start_sim, cli, tmp_path):
    world = orderly.world(positions=[], orders=[])
    template = world["orderly"]["accounts"][0]
    accounts, blocks = [], {}
    for i in range(16):
        key = SigningKey(bytes([i + 1] * 32))
        account_id = f"0x{i:064x}"
        accounts.append({**copy.deepcopy(template), "account_id": account_id,
                         "orderly_key": "ed25519:" + base58.b58encode(bytes(key.verify_key)).decode()})
        blocks[f"ol{i}"] = {"venue": "orderly", "environment": "sim",
                            "credentials": {"account_id": account_id, "secret": base58.b58encode(bytes(key)).decode()},
                            "symbols": {orderly.XRP: {"margin_mode": "cross", "leverage": 10}}}
    world["orderly"]["accounts"] = accounts
    sim = start_sim(world)
    for block in blocks.values():
        block["base_url"] = sim.url
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": blocks})
    code, out, err = cli("plan", path)
    assert code == 0, out + err
    assert len([c for c in sim.calls("orderly") if c["path"] == "/v1/public/info"]) == 1
    assert rate_limited(sim, "orderly") == []
