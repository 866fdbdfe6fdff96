"""End to end through the CLI against the Bitget simulator: what plan reads, what apply sends, what holds."""

from __future__ import annotations

import copy
import json
import time

import pytest

from conftest import write_yaml, writes

KEY = {"api_key": "bk-7d2e", "secret": "bitget-secret-5f3a", "passphrase": "bitget-pass-9c1e", "uid": "2001"}
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT")


def world(position_mode="hedge_mode"):
    return {"bitget": {
        "contracts": [{"symbol": s, "productType": "USDT-FUTURES", "baseCoin": s[:-4], "quoteCoin": "USDT",
                       "minLever": "1", "maxLever": "100", "supportMarginCoins": ["USDT"]} for s in SYMBOLS],
        "accounts": [{
            **KEY,
            "position_modes": {"USDT-FUTURES": position_mode},
            "balances": {"USDT": "100000"},
            "symbols": {
                s: {"marginCoin": "USDT", "marginMode": "isolated" if s == "ETHUSDT" else "crossed",
                    "crossedMarginLeverage": "10", "isolatedLongLever": "10", "isolatedShortLever": "10"}
                for s in SYMBOLS},
            "positions": [
                {"symbol": "BTCUSDT", "marginCoin": "USDT", "holdSide": "long", "marginMode": "crossed",
                 "total": "0.5", "marginSize": "3000", "openPriceAvg": "60000"},
                {"symbol": "ETHUSDT", "marginCoin": "USDT", "holdSide": "long", "marginMode": "isolated",
                 "total": "2", "marginSize": "300", "openPriceAvg": "3000"},
            ],
            "orders": [],
        }],
    }}


def config(tmp_path, url, symbols=None, settings=None, **account):
    data = {"version": 1, "accounts": {"bg": {
        "venue": "bitget", "environment": "sim", "base_url": url, "product_type": "USDT-FUTURES",
        "credentials": {k: KEY[k] for k in ("api_key", "secret", "passphrase")},
        "settings": settings if settings is not None else {"position_mode": "hedge"},
        "symbols": symbols if symbols is not None else {
            "BTCUSDT": {"margin_mode": "isolated", "leverage": 5},
            "ETHUSDT": {"margin_mode": "isolated", "leverage": {"long": 20, "short": 15},
                        "isolated_margin": {"min": 400, "max": 600}},
            "SOLUSDT": {"margin_mode": "cross", "leverage": 20},
            "XRPUSDT": {"margin_mode": "isolated", "leverage": 8},
            "DOGEUSDT": {"margin_mode": "cross", "leverage": 10.0},
        },
        **account}}}
    return write_yaml(tmp_path / "desired.yaml", data)


@pytest.fixture
def sim(start_sim):
    return start_sim(world())



def test_plan_reads_only_and_shows_every_kind_of_change(sim, cli, tmp_path):
    code, out, err = cli("plan", config(tmp_path, sim.url), "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    calls = sim.calls("bitget")
    assert calls and all(c["method"] == "GET" for c in calls)
    status = {c["id"]: c["status"] for c in plan["changes"]}
    assert status == {
        "bg/BTCUSDT/margin_mode": "blocked",
        "bg/BTCUSDT/leverage/isolated/long": "blocked",
        "bg/BTCUSDT/leverage/isolated/short": "blocked",
        "bg/ETHUSDT/leverage/isolated/long": "change",
        "bg/ETHUSDT/leverage/isolated/short": "change",
        "bg/ETHUSDT/isolated_margin/long": "change",
        "bg/SOLUSDT/leverage/cross": "change",
        "bg/XRPUSDT/margin_mode": "change",
        "bg/XRPUSDT/leverage/isolated/long": "change",
        "bg/XRPUSDT/leverage/isolated/short": "change",
    }
    blocked = next(c for c in plan["changes"] if c["id"] == "bg/BTCUSDT/margin_mode")
    assert "BTCUSDT long" in blocked["reason"] and "close" in blocked["reason"]
    assert plan["summary"] == {"change": 7, "blocked": 3, "conflict": 0, "denied": 0, "in_sync": 5}
    margin = next(c for c in plan["changes"] if c["field"] == "isolated_margin")
    assert (margin["from"], margin["to"]) == ("300", "400")
    assert margin["calls"][0]["body"]["amount"] == "100"
    # reads: contracts once, account per symbol, positions once (with the margin coin older pages require),
    # orders in both open statuses and 3 plan-order kinds, each over 3 spans of at most 90 days
    paths = [c["path"] for c in calls]
    assert paths.count("/api/v2/mix/account/account") == len(SYMBOLS)
    assert [c["query"] for c in calls if c["path"] == "/api/v2/mix/position/all-position"] == [
        {"productType": "USDT-FUTURES", "marginCoin": "USDT"}]
    pending = [c["query"] for c in calls if c["path"] == "/api/v2/mix/order/orders-pending"]
    assert sorted(q["status"] for q in pending) == ["live"] * 3 + ["partially_filled"] * 3
    plans = [c["query"] for c in calls if c["path"] == "/api/v2/mix/order/orders-plan-pending"]
    assert sorted(q["planType"] for q in plans) == sorted(["normal_plan", "track_plan", "profit_loss"] * 3)
    spans = sorted({(int(q["startTime"]), int(q["endTime"])) for q in pending + plans})
    assert len(spans) == 3 and all(end - start < 90 * 86_400_000 for start, end in spans)
    assert all(later[0] == earlier[1] + 1 for earlier, later in zip(spans, spans[1:]))  # no gap, no overlap


def test_apply_sends_the_minimal_calls_in_order_and_converges(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    sim.clear_calls("bitget")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err  # the blocked BTCUSDT items remain
    sent = writes(sim.calls("bitget"))
    bodies = [(c["path"].rsplit("/", 1)[1], c["body"].get("symbol")) for c in sent]
    # nothing for BTCUSDT (blocked), DOGEUSDT (already 10) or anything that matched
    assert not [b for b in bodies if b[1] in ("BTCUSDT", "DOGEUSDT")]
    eth = [c for c in sent if c["body"]["symbol"] == "ETHUSDT"]
    assert [c["path"].rsplit("/", 1)[1] for c in eth] == ["set-leverage", "set-margin"]
    assert eth[0]["body"]["longLeverage"] == "20" and eth[0]["body"]["shortLeverage"] == "15"
    assert eth[0]["body"]["leverage"] == "20"  # older pages require `leverage`; the per-side values win over it
    assert eth[1]["body"] == {"symbol": "ETHUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT",
                              "amount": "100", "holdSide": "long"}
    xrp = [c["path"].rsplit("/", 1)[1] for c in sent if c["body"]["symbol"] == "XRPUSDT"]
    assert xrp == ["set-margin-mode", "set-leverage"]  # margin mode before leverage, both sides in one call
    assert len(sent) == 5
    state = sim.state("bitget")["accounts"][0]
    assert state["symbols"]["XRPUSDT"]["marginMode"] == "isolated"
    assert state["symbols"]["ETHUSDT"]["isolatedLongLever"] == "20"
    assert next(p for p in state["positions"] if p["symbol"] == "ETHUSDT")["marginSize"] == "400"
    assert "Verified" in out

    code, out, _ = cli("plan", path, "--format", "json", "--detailed-exitcode")
    plan = json.loads(out)
    assert code == 2
    assert {c["status"] for c in plan["changes"]} == {"blocked"}
    assert {c["symbol"] for c in plan["changes"]} == {"BTCUSDT"}

    sim.clear_calls("bitget")
    code, _, _ = cli("apply", path, "--auto-approve")
    assert code == 3
    assert writes(sim.calls("bitget")) == []


def test_everything_in_sync_exits_zero(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"DOGEUSDT": {"margin_mode": "cross", "leverage": 10}})
    code, out, _ = cli("plan", path, "--detailed-exitcode")
    assert code == 0 and "No changes" in out
    code, out, err = cli("apply", path)  # no terminal, no --auto-approve: refused before reading anything
    assert code == 1 and "no terminal" in err
    code, out, _ = cli("apply", path, "--auto-approve")
    assert code == 0
    assert writes(sim.calls("bitget")) == []


def test_one_way_isolated_leverage_is_one_call_with_leverage(start_sim, cli, tmp_path):
    sim = start_sim(world("one_way_mode"))
    path = config(tmp_path, sim.url, settings={}, symbols={"XRPUSDT": {"margin_mode": "isolated", "leverage": 7}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    sent = writes(sim.calls("bitget"))
    assert [c["path"].rsplit("/", 1)[1] for c in sent] == ["set-margin-mode", "set-leverage"]
    assert sent[1]["body"]["leverage"] == "7" and "holdSide" not in sent[1]["body"]
    lever = sim.state("bitget")["accounts"][0]["symbols"]["XRPUSDT"]
    assert (lever["isolatedLongLever"], lever["isolatedShortLever"]) == ("7", "7")


def test_position_mode_change_goes_first_and_is_blocked_by_positions(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, settings={"position_mode": "net"},
                  symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 20}})
    code, out, _ = cli("plan", path, "--format", "json")
    plan = json.loads(out)
    first = plan["changes"][0]
    assert first["id"] == "bg/position_mode" and first["status"] == "blocked"
    assert first["from"] == "hedge" and first["to"] == "net"
    # SOLUSDT cross leverage does not depend on the position mode's sides
    assert plan["changes"][1]["depends_on"] == ["bg/position_mode"]
    assert plan["changes"][1]["status"] == "blocked"


def test_position_mode_applied_before_symbols_when_flat(start_sim, cli, tmp_path):
    flat = world()
    flat["bitget"]["accounts"][0]["positions"] = []
    sim = start_sim(flat)
    path = config(tmp_path, sim.url, settings={"position_mode": "net"},
                  symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 20}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert [c["path"].rsplit("/", 1)[1] for c in writes(sim.calls("bitget"))] == ["set-position-mode",
                                                                                    "set-leverage"]


def test_leverage_above_the_contract_cap_is_refused_at_plan_time_at_its_line(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 150}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 1 and out == ""
    assert err.strip().endswith("desired.yaml:15: accounts.bg.symbols.SOLUSDT: leverage 150 is above SOLUSDT's "
                                "maximum 100 on bitget; lower it in the file"), err
    assert writes(sim.calls("bitget")) == []


def test_unknown_symbol_is_a_clear_error(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"NOPEUSDT": {"margin_mode": "cross", "leverage": 3}})
    code, out, err = cli("plan", path)
    assert code == 1 and "NOPEUSDT is not a USDT-FUTURES contract" in err and "Traceback" not in err


def test_wrong_secret_gets_an_auth_message_naming_what_to_check(sim, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("BG_KEY", "bk-7d2e")
    monkeypatch.setenv("BG_SECRET", "wrong")
    monkeypatch.setenv("BG_PASS", "bitget-pass-9c1e")
    path = config(tmp_path, sim.url, environment="sim",
                  credentials={"api_key": "${BG_KEY}", "secret": "${BG_SECRET}", "passphrase": "${BG_PASS}"})
    code, _, err = cli("plan", path)
    assert code == 1
    assert "40009" in err and "check the api_key, secret and passphrase" in err
    assert "wrong" not in err


def test_apply_without_terminal_or_auto_approve_refuses_at_once(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    sim.clear_calls("bitget")
    code, _, err = cli("apply", path)
    assert code == 1 and "--auto-approve" in err
    assert writes(sim.calls("bitget")) == []


def test_second_plan_after_partial_state_change_is_minimal(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    state = copy.deepcopy(sim.state("bitget"))
    state["accounts"][0]["symbols"]["SOLUSDT"]["crossedMarginLeverage"] = "20"
    sim.put_state("bitget", state)
    code, out, _ = cli("plan", path, "--format", "json")
    ids = {c["id"] for c in json.loads(out)["changes"]}
    assert "bg/SOLUSDT/leverage/cross" not in ids


def test_partially_filled_and_old_orders_block_a_margin_mode_change(start_sim, cli, tmp_path):
    data = world()
    old = str(int(time.time() * 1000) - 200 * 86_400_000)  # placed 200 days ago, still pending
    data["bitget"]["accounts"][0]["orders"] = [
        {"symbol": "SOLUSDT", "marginCoin": "USDT", "side": "buy", "size": "3", "price": "90",
         "marginMode": "crossed", "status": "partially_filled"},
        {"symbol": "XRPUSDT", "marginCoin": "USDT", "side": "sell", "size": "50", "price": "4",
         "marginMode": "crossed", "cTime": old}]
    sim = start_sim(data)
    path = config(tmp_path, sim.url, settings={}, symbols={
        "SOLUSDT": {"margin_mode": "isolated"}, "XRPUSDT": {"margin_mode": "isolated"}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    assert writes(sim.calls("bitget")) == []
    code, out, _ = cli("plan", path, "--format", "json")
    reasons = {c["symbol"]: (c["status"], c["reason"]) for c in json.loads(out)["changes"]}
    assert reasons["SOLUSDT"][0] == "blocked" and "SOLUSDT buy 3 @ 90" in reasons["SOLUSDT"][1]
    assert reasons["XRPUSDT"][0] == "blocked" and "XRPUSDT sell 50 @ 4" in reasons["XRPUSDT"][1]


def test_product_type_in_lower_case_reaches_the_venue_in_its_own_spelling(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, settings={}, product_type="usdt-futures",
                  symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 20}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert {c["query"].get("productType") or c["body"]["productType"] for c in sim.calls("bitget")} == {
        "USDT-FUTURES"}
    assert sim.state("bitget")["accounts"][0]["symbols"]["SOLUSDT"]["crossedMarginLeverage"] == "20"


def test_canonical_symbol_is_the_venue_spelling():
    from reconciler.venues.bitget import BitgetAdapter
    assert BitgetAdapter.canonical_symbol("solusdt") == BitgetAdapter.canonical_symbol("SolUsdt") == "SOLUSDT"


def test_coin_futures_positions_are_read_per_margin_coin(start_sim, cli, tmp_path):
    coins = {"BTCUSD": "BTC", "ETHUSD": "ETH"}
    sim = start_sim({"bitget": {
        "contracts": [{"symbol": s, "productType": "COIN-FUTURES", "baseCoin": c, "quoteCoin": "USD",
                       "supportMarginCoins": [c]} for s, c in coins.items()],
        "accounts": [{**KEY, "balances": {"BTC": "10", "ETH": "100"},
                      "symbols": {s: {"marginCoin": c, "marginMode": "isolated"} for s, c in coins.items()},
                      "positions": [{"symbol": s, "marginCoin": c, "holdSide": "long", "marginMode": "isolated",
                                     "total": "100", "marginSize": "1", "openPriceAvg": "1"}
                                    for s, c in coins.items()]}]}})
    path = config(tmp_path, sim.url, settings={}, product_type="COIN-FUTURES", symbols={
        s: {"margin_mode": "isolated", "isolated_margin": 2} for s in coins})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    reads = [c["query"] for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/position/all-position"]
    assert {q["marginCoin"] for q in reads} == {"BTC", "ETH"}
    state = sim.state("bitget")["accounts"][0]
    assert {p["symbol"]: p["marginSize"] for p in state["positions"]} == {"BTCUSD": "2", "ETHUSD": "2"}
