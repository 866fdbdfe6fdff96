"""End to end through the CLI against the Orderly simulator: what plan reads, what apply sends, what holds."""

from __future__ import annotations

import json
import time

import base58
import pytest
from nacl.signing import SigningKey

from conftest import write_yaml, writes

KEY = SigningKey(bytes(range(1, 33)))  # fixed, test-only
SECRET = base58.b58encode(bytes(KEY)).decode()
ORDERLY_KEY = "ed25519:" + base58.b58encode(bytes(KEY.verify_key)).decode()
ACCOUNT = "0x5e3f0000000000000000000000000000000000000000000000000000000000a1"
BTC, ETH, SOL, NEAR, XRP = "PERP_BTC_USDC", "PERP_ETH_USDC", "PERP_SOL_USDC", "PERP_NEAR_USDC", "PERP_XRP_USDC"
LEVERAGE_PATH = "/v1/client/leverages"


def symbol_rows(names, base_imr="0.01"):
    return [{"symbol": name, "base_imr": base_imr, "base_mmr": "0.006", "imr_factor": "0.0000002"}
            for name in names]


def world(**account):
    data = {
        "account_id": ACCOUNT,
        "orderly_key": ORDERLY_KEY,
        "balances": {"USDC": "100000"},
        "margin_modes": {BTC: "ISOLATED"},
        "leverage": {BTC: {"CROSS": "10", "ISOLATED": "5"}, ETH: {"CROSS": "10", "ISOLATED": "10"},
                     SOL: {"CROSS": "10", "ISOLATED": "10"}, NEAR: {"CROSS": "5", "ISOLATED": "5"},
                     XRP: {"CROSS": "10", "ISOLATED": "10"}},
        "positions": [
            # 0.1 BTC at 60000 = 6000 notional; at 5x isolated it needs 1200, so up to 300 can be reduced.
            {"symbol": BTC, "margin_mode": "ISOLATED", "position_qty": "0.1", "margin": "1500",
             "average_open_price": "60000"},
            {"symbol": NEAR, "margin_mode": "CROSS", "position_qty": "-100", "average_open_price": "5"},
        ],
        "orders": [
            {"symbol": ETH, "side": "BUY", "order_type": "LIMIT", "order_price": "2000", "order_quantity": "1",
             "margin_mode": "CROSS"},
        ],
    }
    data.update(account)
    return {"orderly": {
        "symbols": symbol_rows([BTC, ETH, SOL, XRP]) + [
            {"symbol": NEAR, "base_imr": "0.1", "base_mmr": "0.05", "imr_factor": "0.00001"}],
        "accounts": [data],
    }}


DEFAULT_SYMBOLS = {
    BTC: {"margin_mode": "isolated", "leverage": 5, "isolated_margin": 1300},  # reduce 200
    ETH: {"margin_mode": "isolated", "leverage": 3},                           # blocked: pending order
    SOL: {"margin_mode": "isolated", "leverage": 8},                           # margin mode, then leverage
    NEAR: {"margin_mode": "isolated", "leverage": 5},                          # blocked: open position
    XRP: {"margin_mode": "cross", "leverage": 20},                             # cross leverage only
}


def config(tmp_path, url, symbols=None, **account):
    data = {"version": 1, "accounts": {"ol": {
        "venue": "orderly", "environment": "sim", "base_url": url,
        "credentials": {"account_id": ACCOUNT, "secret": SECRET},
        "symbols": symbols if symbols is not None else DEFAULT_SYMBOLS,
        **account}}}
    return write_yaml(tmp_path / "desired.yaml", data)


@pytest.fixture
def sim(start_sim):
    return start_sim(world())



def test_plan_reads_once_and_shows_every_kind_of_change(sim, cli, tmp_path):
    code, out, err = cli("plan", config(tmp_path, sim.url), "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    calls = sim.calls("orderly")
    assert calls and all(c["method"] == "GET" for c in calls)
    assert all(c["status"] == 200 for c in calls)
    paths = [c["path"] for c in calls]
    # one read each: every leverage setting in one call, never the per-symbol GET /v1/client/leverage
    assert sorted(paths) == sorted(["/v1/public/info", "/v1/client/margin_modes", "/v1/client/leverages",
                                    "/v1/positions", "/v1/orders", "/v1/algo/orders"])
    assert next(c for c in calls if c["path"] == "/v1/orders")["query"]["status"] == "INCOMPLETE"
    status = {c["id"]: c["status"] for c in plan["changes"]}
    assert status == {
        "ol/PERP_BTC_USDC/isolated_margin": "change",
        "ol/PERP_ETH_USDC/margin_mode": "blocked",
        "ol/PERP_ETH_USDC/leverage/isolated": "blocked",
        "ol/PERP_SOL_USDC/margin_mode": "change",
        "ol/PERP_SOL_USDC/leverage/isolated": "change",
        "ol/PERP_NEAR_USDC/margin_mode": "blocked",
        "ol/PERP_XRP_USDC/leverage/cross": "change",
    }
    reasons = {c["id"]: c["reason"] for c in plan["changes"]}
    assert "pending order" in reasons["ol/PERP_ETH_USDC/margin_mode"]
    assert "PERP_ETH_USDC BUY 1 @ 2000" in reasons["ol/PERP_ETH_USDC/margin_mode"]
    assert "open cross position PERP_NEAR_USDC size -100" in reasons["ol/PERP_NEAR_USDC/margin_mode"]
    # the cross order does not lock ETH's isolated leverage; the change waits on the blocked margin mode
    assert reasons["ol/PERP_ETH_USDC/leverage/isolated"] == "waits on ol/PERP_ETH_USDC/margin_mode (blocked)"
    margin = next(c for c in plan["changes"] if c["field"] == "isolated_margin")
    assert (margin["from"], margin["to"]) == ("1500", "1300")
    assert margin["calls"] == [{"method": "POST", "path": "/v1/position_margin", "query": None,
                                "body": {"symbol": BTC, "amount": "200", "type": "REDUCE"},
                                "effects": [{"symbol": BTC, "field": "isolated_margin", "margin_mode": "isolated",
                                             "side": None, "value": None, "move": "-200", "coin": "USDC"}]}]
    sol = next(c for c in plan["changes"] if c["id"] == "ol/PERP_SOL_USDC/leverage/isolated")
    assert sol["depends_on"] == ["ol/PERP_SOL_USDC/margin_mode"]
    assert sol["calls"][0]["body"] == {"symbol": SOL, "leverage": 8, "margin_mode": "ISOLATED"}
    assert plan["summary"] == {"change": 4, "blocked": 3, "conflict": 0, "denied": 0, "in_sync": 4}


def test_apply_sends_the_minimal_calls_in_order_and_converges(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    sim.clear_calls("orderly")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err  # the blocked ETH and NEAR items remain
    sent = writes(sim.calls("orderly"))
    assert all(c["status"] == 200 for c in sent)
    assert not [c for c in sent if c["body"].get("symbol") in (ETH, NEAR)]
    sol = [c["path"] for c in sent if c["body"].get("symbol") == SOL]
    assert sol == ["/v1/client/margin_mode", LEVERAGE_PATH]  # margin mode before leverage
    btc = [c for c in sent if c["body"].get("symbol") == BTC]
    assert [c["body"] for c in btc] == [{"symbol": BTC, "amount": "200", "type": "REDUCE"}]
    assert len(sent) == 4
    state = sim.state("orderly")["accounts"][0]
    assert state["margin_modes"][SOL] == "ISOLATED"
    assert state["leverage"][SOL]["ISOLATED"] == "8" and state["leverage"][XRP]["CROSS"] == "20"
    assert next(p for p in state["positions"] if p["symbol"] == BTC)["margin"] == "1300"  # exactly the difference
    assert state["balances"]["USDC"] == "100200"
    assert "Verified" in out

    code, out, _ = cli("plan", path, "--format", "json", "--detailed-exitcode")
    plan = json.loads(out)
    assert code == 2
    assert {c["status"] for c in plan["changes"]} == {"blocked"}
    assert {c["symbol"] for c in plan["changes"]} == {ETH, NEAR}

    sim.clear_calls("orderly")
    code, _, _ = cli("apply", path, "--auto-approve")
    assert code == 3
    assert writes(sim.calls("orderly")) == []


def test_isolated_leverage_is_blocked_by_an_isolated_position(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={BTC: {"margin_mode": "isolated", "leverage": 4}})
    code, out, _ = cli("plan", path, "--format", "json")
    (change,) = json.loads(out)["changes"]
    assert change["id"] == "ol/PERP_BTC_USDC/leverage/isolated" and change["status"] == "blocked"
    assert "open isolated position PERP_BTC_USDC size 0.1" in change["reason"]


def test_margin_add_and_cross_leverage_with_a_position(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={
        BTC: {"margin_mode": "isolated", "isolated_margin": {"min": 1600, "max": 2000}},
        NEAR: {"margin_mode": "cross", "leverage": 8}})  # cross leverage may change with a cross position open
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    sent = writes(sim.calls("orderly"))
    assert [c["body"] for c in sent if c["path"] == "/v1/position_margin"] == [
        {"symbol": BTC, "amount": "100", "type": "ADD"}]
    state = sim.state("orderly")["accounts"][0]
    assert next(p for p in state["positions"] if p["symbol"] == BTC)["margin"] == "1600"
    assert state["leverage"][NEAR]["CROSS"] == "8"


def test_pending_orders_are_read_across_pages(start_sim, cli, tmp_path):
    orders = [{"symbol": XRP, "side": "SELL", "order_type": "LIMIT", "order_price": "3", "order_quantity": "10",
               "margin_mode": "CROSS"}]  # the oldest: the last page (newest first)
    orders += [{"symbol": ETH, "side": "BUY", "order_type": "LIMIT", "order_price": "2000", "order_quantity": "1",
                "margin_mode": "CROSS"} for _ in range(500)]
    sim = start_sim(world(orders=orders))
    path = config(tmp_path, sim.url, symbols={XRP: {"margin_mode": "isolated"}})
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    (change,) = json.loads(out)["changes"]
    assert change["status"] == "blocked" and "PERP_XRP_USDC SELL 10 @ 3" in change["reason"]
    pages = [c["query"]["page"] for c in sim.calls("orderly") if c["path"] == "/v1/orders"]
    assert pages == ["1", "2"]


def test_batch_leverage_only_when_every_listed_symbol_gets_that_value(start_sim, cli, tmp_path):
    names = [BTC, ETH, SOL]
    flat = {"orderly": {"symbols": symbol_rows(names), "accounts": [{
        "account_id": ACCOUNT, "orderly_key": ORDERLY_KEY, "balances": {"USDC": "100000"},
        "leverage": {name: {"CROSS": "10", "ISOLATED": "10"} for name in names}}]}}
    flat["orderly"]["accounts"][0]["leverage"][SOL]["CROSS"] = "20"  # already holds: the batch is a no-op there
    sim = start_sim(flat)
    every = {name: {"margin_mode": "cross", "leverage": 20} for name in names}
    code, out, err = cli("apply", config(tmp_path, sim.url, symbols=every), "--auto-approve")
    assert code == 0, out + err
    sent = writes(sim.calls("orderly"))
    assert [c["body"] for c in sent] == [{"leverage": 20, "margin_mode": "CROSS"}]  # one call, no symbol
    assert {name: lv["CROSS"] for name, lv in sim.state("orderly")["accounts"][0]["leverage"].items()} == {
        BTC: "20", ETH: "20", SOL: "20"}

    # one listed symbol is not in the file: per-symbol calls, the other symbol untouched
    sim.clear_calls("orderly")
    some = {name: {"margin_mode": "cross", "leverage": 30} for name in (BTC, ETH)}
    code, out, err = cli("apply", config(tmp_path, sim.url, symbols=some), "--auto-approve")
    assert code == 0, out + err
    assert sorted(c["body"]["symbol"] for c in writes(sim.calls("orderly"))) == [BTC, ETH]
    assert sim.state("orderly")["accounts"][0]["leverage"][SOL]["CROSS"] == "20"


def test_plan_announces_how_long_the_leverage_limit_makes_apply(start_sim, cli, tmp_path):
    names = [f"PERP_T{i}_USDC" for i in range(11)]
    sim = start_sim({"orderly": {"symbols": symbol_rows(names), "accounts": [{
        "account_id": ACCOUNT, "orderly_key": ORDERLY_KEY, "balances": {"USDC": "100000"}}]}})
    symbols = {name: {"margin_mode": "cross", "leverage": 11 + i} for i, name in enumerate(names)}
    code, out, err = cli("plan", config(tmp_path, sim.url, symbols=symbols))
    assert code == 0, err
    assert ("applying will take about 2 min: orderly accepts 5 POST /v1/client/leverages calls per 60 s, "
            "and this plan sends 11") in out


def test_apply_is_paced_to_the_leverage_limit_and_never_refused(start_sim, cli, tmp_path):
    limit = {"POST /v1/client/leverages": "2/2s"}
    names = [f"PERP_T{i}_USDC" for i in range(6)]
    sim = start_sim({"rate_limits": limit, "orderly": {"symbols": symbol_rows(names), "accounts": [{
        "account_id": ACCOUNT, "orderly_key": ORDERLY_KEY, "balances": {"USDC": "100000"}}]}})
    symbols = {name: {"margin_mode": "cross", "leverage": 11 + i} for i, name in enumerate(names)}
    path = config(tmp_path, sim.url, symbols=symbols, rate_limits=limit)
    code, out, err = cli("plan", path, "--format", "json")
    assert json.loads(out)["estimates"]["ol"]["seconds"] == 4
    started = time.monotonic()
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert time.monotonic() - started >= 4
    calls = sim.calls("orderly")
    assert all(c["status"] != 429 and c["code"] != "-1003" for c in calls)
    times = [c["time"] for c in calls if c["method"] == "POST"]
    assert len(times) == 6
    assert all(later - earlier >= 2 for earlier, later in zip(times, times[2:]))  # never 3 in any 2 s
    state = sim.state("orderly")["accounts"][0]["leverage"]
    assert {name: state[name]["CROSS"] for name in names} == {name: str(11 + i) for i, name in enumerate(names)}


def test_unknown_symbol_is_a_clear_error(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"PERP_NOPE_USDC": {"margin_mode": "cross", "leverage": 3}})
    code, _, err = cli("plan", path)
    assert code == 1 and "PERP_NOPE_USDC is not a symbol Orderly lists" in err and "Traceback" not in err


def test_fractional_leverage_is_a_clear_error_at_load(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={XRP: {"margin_mode": "cross", "leverage": 2.5}})
    code, _, err = cli("plan", path)
    assert code == 1 and "PERP_XRP_USDC.leverage: orderly accepts whole numbers only for leverage (got 2.5)" in err


def test_a_pending_cross_order_does_not_block_an_isolated_leverage_change(start_sim, cli, tmp_path):
    sim = start_sim(world(margin_modes={BTC: "ISOLATED", SOL: "ISOLATED"}, orders=[
        {"symbol": SOL, "side": "BUY", "order_type": "LIMIT", "order_price": "100", "order_quantity": "1",
         "margin_mode": "CROSS"}]))
    path = config(tmp_path, sim.url, symbols={SOL: {"margin_mode": "isolated", "leverage": 8}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert [c["body"] for c in writes(sim.calls("orderly"))] == [
        {"symbol": SOL, "leverage": 8, "margin_mode": "ISOLATED"}]
    assert sim.state("orderly")["accounts"][0]["leverage"][SOL]["ISOLATED"] == "8"


def test_pending_algo_orders_are_read_as_blockers(start_sim, cli, tmp_path):
    sim = start_sim(world(margin_modes={BTC: "ISOLATED", SOL: "ISOLATED"}, algo_orders=[
        {"symbol": SOL, "side": "SELL", "algo_type": "STOP", "quantity": "1", "trigger_price": "90",
         "margin_mode": "ISOLATED"}]))
    path = config(tmp_path, sim.url, symbols={SOL: {"margin_mode": "cross", "leverage": 8}})
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    statuses = {c["id"]: (c["status"], c["reason"]) for c in json.loads(out)["changes"]}
    status, reason = statuses["ol/PERP_SOL_USDC/margin_mode"]
    assert status == "blocked" and "algo STOP" in reason and "PERP_SOL_USDC SELL 1 trigger 90" in reason
    algo_reads = [c["query"] for c in sim.calls("orderly") if c["path"] == "/v1/algo/orders"]
    assert algo_reads == [{"status": "INCOMPLETE", "page": "1", "size": "500"}]


def test_leverage_above_the_symbol_maximum_is_refused_at_plan_time(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={NEAR: {"margin_mode": "cross", "leverage": 20}})
    code, out, err = cli("plan", path)
    assert code == 1 and "leverage 20 is above PERP_NEAR_USDC's maximum 10 on orderly" in err  # floor(1 / 0.1)


def test_a_key_not_registered_to_the_account_gets_an_auth_message(sim, cli, tmp_path, monkeypatch):
    other = base58.b58encode(bytes(SigningKey(bytes(range(2, 34))))).decode()
    monkeypatch.setenv("OL_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("OL_SECRET", other)
    path = config(tmp_path, sim.url, environment="sim",
                  credentials={"account_id": "${OL_ACCOUNT}", "secret": "${OL_SECRET}"})
    code, out, err = cli("plan", path)
    assert code == 1
    assert "-1002" in err and "check credential account_id" in err and "credential secret" in err
    assert other not in out + err


def test_a_malformed_secret_names_the_credential_and_hides_the_value(sim, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("OL_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("OL_SECRET", "not-base58-0OIl")
    path = config(tmp_path, sim.url, environment="sim",
                  credentials={"account_id": "${OL_ACCOUNT}", "secret": "${OL_SECRET}"})
    sim.clear_calls("orderly")
    code, out, err = cli("plan", path)
    assert code == 1
    assert "credentials.secret" in err and "not a base58 ed25519 private key" in err
    assert "not-base58-0OIl" not in out + err
    assert sim.calls("orderly") == []


def test_a_saved_plan_applies_and_is_refused_when_stale(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    saved = tmp_path / "plan.json"
    code, _, err = cli("plan", path, "--out", saved)
    assert code == 0, err
    assert SECRET not in saved.read_text()
    code, out, err = cli("apply", saved)
    assert code == 3, out + err
    state = sim.state("orderly")["accounts"][0]
    assert next(p for p in state["positions"] if p["symbol"] == BTC)["margin"] == "1300"
    sim.clear_calls("orderly")
    code, _, err = cli("apply", saved)  # the margin it was computed from moved: stale, nothing sent
    assert code == 1 and "plan is stale" in err
    assert writes(sim.calls("orderly")) == []
