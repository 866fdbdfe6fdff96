"""End to end through the CLI against the Binance simulator: what plan reads, what apply sends, what holds."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
import yaml

from conftest import write_yaml, writes

KEY = {"api_key": "bnk7d2e", "secret": "binance-secret-5f3a", "uid": "3001"}
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT")
ETH_BRACKETS = [  # Binance's shape; cum is left to the documented rule
    {"bracket": 1, "initialLeverage": 50, "notionalFloor": 0, "notionalCap": 10000, "maintMarginRatio": 0.005},
    {"bracket": 2, "initialLeverage": 20, "notionalFloor": 10000, "notionalCap": 100000, "maintMarginRatio": 0.01},
    {"bracket": 3, "initialLeverage": 10, "notionalFloor": 100000, "notionalCap": 1000000,
     "maintMarginRatio": 0.025},
]
SIGNING = ("timestamp", "recvWindow", "signature")


def world(hedge=False, **account):
    """One-way (or hedge) account: a cross BTC position, an isolated ETH position, three flat symbols."""
    side = "LONG" if hedge else "BOTH"
    return {"binance": {
        "symbols": [{"symbol": "BTCUSDT", "markPrice": "60000"},
                    {"symbol": "ETHUSDT", "brackets": ETH_BRACKETS, "markPrice": "3000"},
                    {"symbol": "SOLUSDT"}, {"symbol": "XRPUSDT"}, {"symbol": "DOGEUSDT"}],
        "accounts": [{
            **KEY, "dualSidePosition": hedge, "balances": {"USDT": "100000"},
            "symbolConfig": [{"symbol": s, "marginType": "ISOLATED" if s == "ETHUSDT" else "CROSSED", "leverage": 10}
                             for s in SYMBOLS],
            "positions": [
                {"symbol": "BTCUSDT", "positionSide": side, "positionAmt": "0.5", "entryPrice": "60000"},
                {"symbol": "ETHUSDT", "positionSide": side, "positionAmt": "2", "entryPrice": "3000",
                 "markPrice": "2900", "isolatedWallet": "300"},
            ],
            **account,
        }],
    }}


def config(tmp_path, url, symbols=None, settings=None, **account):
    data = {"version": 1, "accounts": {"bn": {
        "venue": "binance", "environment": "sim", "base_url": url,
        "credentials": {k: KEY[k] for k in ("api_key", "secret")},
        "settings": settings if settings is not None else {"position_mode": "net"},
        "symbols": symbols if symbols is not None else {
            "BTCUSDT": {"margin_mode": "isolated", "leverage": 5},
            "ETHUSDT": {"margin_mode": "isolated", "leverage": 20, "isolated_margin": 400},
            "SOLUSDT": {"margin_mode": "cross", "leverage": 20},
            "XRPUSDT": {"margin_mode": "isolated", "leverage": 8},
            "DOGEUSDT": {"margin_mode": "cross", "leverage": 10},
        },
        **account}}}
    return write_yaml(tmp_path / "desired.yaml", data)


@pytest.fixture
def sim(start_sim):
    return start_sim(world())


def plan_of(cli, path) -> dict:
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def params(call: dict) -> dict:
    """A logged request's parameters without the signing ones."""
    return {k: v for k, v in call["query"].items() if k not in SIGNING}


def account_state(sim) -> dict:
    return sim.state("binance")["accounts"][0]


def symbol_config(sim, symbol) -> dict:
    return next(c for c in account_state(sim)["symbolConfig"] if c["symbol"] == symbol)


def position(sim, symbol, side="BOTH") -> dict:
    return next(p for p in account_state(sim)["positions"] if p["symbol"] == symbol and p["positionSide"] == side)


def test_plan_reads_only_what_it_needs_and_shows_every_kind_of_change(sim, cli, tmp_path):
    plan = plan_of(cli, config(tmp_path, sim.url))
    calls = sim.calls("binance")
    assert calls and all(c["method"] == "GET" for c in calls)
    status = {c["id"]: c["status"] for c in plan["changes"]}
    assert status == {
        "bn/BTCUSDT/margin_mode": "blocked",
        "bn/BTCUSDT/leverage/isolated": "change",  # one leverage per symbol: it does not wait on the margin type
        "bn/ETHUSDT/leverage/isolated": "change",
        "bn/ETHUSDT/isolated_margin": "change",
        "bn/SOLUSDT/leverage/cross": "change",
        "bn/XRPUSDT/margin_mode": "change",
        "bn/XRPUSDT/leverage/isolated": "change",
    }
    blocked = next(c for c in plan["changes"] if c["id"] == "bn/BTCUSDT/margin_mode")
    assert "open cross position BTCUSDT size 0.5" in blocked["reason"] and "close" in blocked["reason"]
    assert plan["summary"] == {"change": 6, "blocked": 1, "conflict": 0, "denied": 0, "in_sync": 5}
    margin = next(c for c in plan["changes"] if c["field"] == "isolated_margin")
    assert (margin["from"], margin["to"]) == ("300", "400")
    assert margin["calls"][0]["query"] == {"symbol": "ETHUSDT", "positionSide": "BOTH", "amount": "100", "type": "1"}
    # one read of each account-wide endpoint (accountConfig instead of the two reads of weight 30); open orders
    # only of the symbols whose margin type is to change, by symbol (weight 1 each instead of 40)
    reads = [(c["path"], params(c).get("symbol")) for c in calls]
    assert sorted(reads) == sorted([
        ("/fapi/v1/exchangeInfo", None), ("/fapi/v1/accountConfig", None), ("/fapi/v1/symbolConfig", None),
        ("/fapi/v1/leverageBracket", None), ("/fapi/v3/positionRisk", None),
        ("/fapi/v1/openOrders", "BTCUSDT"), ("/fapi/v1/openOrders", "XRPUSDT"),
        ("/fapi/v1/openAlgoOrders", "BTCUSDT"), ("/fapi/v1/openAlgoOrders", "XRPUSDT")])


def test_apply_sends_the_minimal_signed_calls_in_order_and_converges(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    sim.clear_calls("binance")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err  # the blocked BTCUSDT margin type remains
    sent = writes(sim.calls("binance"))
    assert all(c["status"] == 200 for c in sent)
    by_symbol: dict[str, list] = {}
    for call in sent:
        by_symbol.setdefault(params(call).get("symbol"), []).append((call["path"].rsplit("/", 1)[1], params(call)))
    assert by_symbol == {
        "BTCUSDT": [("leverage", {"symbol": "BTCUSDT", "leverage": "5"})],
        "ETHUSDT": [("leverage", {"symbol": "ETHUSDT", "leverage": "20"}),
                    ("positionMargin", {"symbol": "ETHUSDT", "positionSide": "BOTH", "amount": "100", "type": "1"})],
        "SOLUSDT": [("leverage", {"symbol": "SOLUSDT", "leverage": "20"})],
        "XRPUSDT": [("marginType", {"symbol": "XRPUSDT", "marginType": "ISOLATED"}),
                    ("leverage", {"symbol": "XRPUSDT", "leverage": "8"})],
    }
    # every parameter in the query, signature last, nothing in the body (the SDK's way)
    assert all(c["body"] is None and list(c["query"])[-1] == "signature" for c in sent)
    assert symbol_config(sim, "XRPUSDT")["marginType"] == "ISOLATED" and symbol_config(sim, "XRPUSDT")["leverage"] == 8
    assert symbol_config(sim, "BTCUSDT") == {**symbol_config(sim, "BTCUSDT"), "marginType": "CROSSED", "leverage": 5}
    assert position(sim, "ETHUSDT")["isolatedWallet"] == "400"
    assert account_state(sim)["balances"]["USDT"] == "99900"  # 100 moved from the cross wallet, once
    assert "Verified" in out

    code, out, _ = cli("plan", path, "--format", "json", "--detailed-exitcode")
    assert code == 2
    assert [(c["id"], c["status"]) for c in json.loads(out)["changes"]] == [("bn/BTCUSDT/margin_mode", "blocked")]
    sim.clear_calls("binance")
    assert cli("apply", path, "--auto-approve")[0] == 3
    assert writes(sim.calls("binance")) == []


def test_everything_in_sync_exits_zero_and_sends_nothing(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"DOGEUSDT": {"margin_mode": "cross", "leverage": 10},
                                              "ETHUSDT": {"margin_mode": "isolated", "isolated_margin": 301}})
    code, out, _ = cli("plan", path, "--detailed-exitcode")
    assert code == 0 and "No changes" in out  # 301 is within the default tolerance (0.5 %) of 300
    assert cli("apply", path, "--auto-approve")[0] == 0
    assert writes(sim.calls("binance")) == []
    # no margin type changes: no order list is read at all
    assert not [c for c in sim.calls("binance") if "Orders" in c["path"]]


def test_position_mode_is_refused_by_any_position_read_account_wide_and_noted_as_shared_with_coin_m(sim, cli,
                                                                                                    tmp_path):
    path = config(tmp_path, sim.url, settings={"position_mode": "hedge"},
                  symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 20}})
    plan = plan_of(cli, path)
    first = plan["changes"][0]
    assert (first["id"], first["status"], first["from"], first["to"]) == ("bn/position_mode", "blocked", "net", "hedge")
    assert "BTCUSDT size 0.5" in first["reason"] and "ETHUSDT size 2" in first["reason"]
    assert plan["changes"][1]["status"] == "blocked" and plan["changes"][1]["reason"].startswith("waits on")
    assert any("COIN-M" in note["text"] for note in plan["notes"])
    orders = sorted((c["path"], c["query"].get("symbol")) for c in sim.calls("binance") if "Orders" in c["path"])
    # the whole account, once each; the two lists are read side by side, so in either order
    assert orders == [("/fapi/v1/openAlgoOrders", None), ("/fapi/v1/openOrders", None)]


def test_position_mode_is_refused_by_an_open_order_of_any_symbol_named_before_apply(start_sim, cli, tmp_path):
    sim = start_sim(world(positions=[], orders=[{"symbol": "DOGEUSDT", "side": "SELL", "origQty": "900",
                                                 "price": "0.2"}]))
    path = config(tmp_path, sim.url, settings={"position_mode": "hedge"}, symbols={})
    [change] = plan_of(cli, path)["changes"]
    assert change["status"] == "blocked" and "LIMIT order 8000000001 DOGEUSDT sell 900 @ 0.2" in change["reason"]
    assert cli("apply", path, "--auto-approve")[0] == 3
    assert writes(sim.calls("binance")) == [] and account_state(sim)["dualSidePosition"] is False


def test_position_mode_goes_first_when_the_account_is_flat(start_sim, cli, tmp_path):
    flat = world()
    flat["binance"]["accounts"][0]["positions"] = []
    sim = start_sim(flat)
    path = config(tmp_path, sim.url, settings={"position_mode": "hedge"},
                  symbols={"SOLUSDT": {"margin_mode": "isolated", "leverage": 20}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert [(c["path"].rsplit("/", 2)[-2:], params(c)) for c in writes(sim.calls("binance"))] == [
        (["positionSide", "dual"], {"dualSidePosition": "true"}),
        (["v1", "marginType"], {"symbol": "SOLUSDT", "marginType": "ISOLATED"}),
        (["v1", "leverage"], {"symbol": "SOLUSDT", "leverage": "20"})]
    assert account_state(sim)["dualSidePosition"] is True


def test_open_and_conditional_orders_block_a_margin_type_change_by_name_but_not_a_leverage_change(start_sim, cli,
                                                                                                  tmp_path):
    sim = start_sim(world(orders=[{"symbol": "SOLUSDT", "side": "BUY", "origQty": "3", "price": "90"}],
                          algoOrders=[{"symbol": "XRPUSDT", "side": "SELL", "orderType": "STOP_MARKET",
                                       "quantity": "50", "triggerPrice": "0.4"}]))
    path = config(tmp_path, sim.url, symbols={"SOLUSDT": {"margin_mode": "isolated", "leverage": 12},
                                              "XRPUSDT": {"margin_mode": "isolated"}})
    plan = plan_of(cli, path)
    reasons = {c["id"]: (c["status"], c["reason"]) for c in plan["changes"]}
    assert reasons["bn/SOLUSDT/margin_mode"][0] == "blocked"
    assert "LIMIT order 8000000001 SOLUSDT buy 3 @ 90" in reasons["bn/SOLUSDT/margin_mode"][1]
    assert reasons["bn/XRPUSDT/margin_mode"][0] == "blocked"
    assert "STOP_MARKET conditional order 3000000001 XRPUSDT sell 50 trigger 0.4" in reasons["bn/XRPUSDT/margin_mode"][1]
    assert reasons["bn/SOLUSDT/leverage/isolated"] == ("change", None)
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    assert [params(c) for c in writes(sim.calls("binance"))] == [{"symbol": "SOLUSDT", "leverage": "12"}]


def test_multi_assets_mode_refuses_isolated_at_plan_time_with_the_reason(start_sim, cli, tmp_path):
    sim = start_sim(world(multiAssetsMargin=True, positions=[],
                          symbolConfig=[{"symbol": s, "marginType": "CROSSED"} for s in SYMBOLS]))
    path = config(tmp_path, sim.url, symbols={"SOLUSDT": {"margin_mode": "isolated", "leverage": 7}})
    plan = plan_of(cli, path)
    [mode, leverage] = plan["changes"]
    assert mode["status"] == "blocked" and "Multi-Assets mode" in mode["reason"] and "-4168" in mode["reason"]
    assert leverage["status"] == "change"
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    assert [c["path"] for c in writes(sim.calls("binance"))] == ["/fapi/v1/leverage"]
    assert symbol_config(sim, "SOLUSDT")["marginType"] == "CROSSED"


def test_leverage_above_the_accounts_bracket_cap_is_blocked_naming_the_cap(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"ETHUSDT": {"margin_mode": "isolated", "leverage": 60},
                                              "SOLUSDT": {"margin_mode": "cross", "leverage": 125}})
    plan = plan_of(cli, path)
    eth = next(c for c in plan["changes"] if c["symbol"] == "ETHUSDT")
    assert eth["status"] == "blocked" and "ETHUSDT's leverage cap for this account, 50x" in eth["reason"]
    assert next(c for c in plan["changes"] if c["symbol"] == "SOLUSDT")["status"] == "change"  # 125x: its cap
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    assert [params(c)["symbol"] for c in writes(sim.calls("binance"))] == ["SOLUSDT"]


def test_leverage_above_what_binance_takes_at_all_is_a_mistake_in_the_file_at_its_line(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 150}})
    code, out, err = cli("plan", path)
    assert code == 1 and out == ""
    assert "desired.yaml:15: accounts.bn.symbols.SOLUSDT.leverage: binance accepts leverage up to 125" in err, err
    assert "Traceback" not in err and sim.calls("binance") == []


def test_a_raise_the_open_positions_notional_does_not_fit_is_blocked_before_apply(start_sim, cli, tmp_path):
    big = world()
    big["binance"]["accounts"][0]["positions"][1].update({"positionAmt": "10", "isolatedWallet": "3000"})
    sim = start_sim(big)  # ETH position notional 29,000: bracket 2 (up to 100,000 at 20x at most)
    path = config(tmp_path, sim.url, symbols={"ETHUSDT": {"margin_mode": "isolated", "leverage": 25}})
    [change] = plan_of(cli, path)["changes"]
    assert change["status"] == "blocked"
    assert "notional 29000 is above the 10000 Binance allows at 25x" in change["reason"]
    assert "at most 20x fits this position" in change["reason"]


def test_lowering_an_open_isolated_positions_leverage_is_blocked_raising_it_is_applied(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"ETHUSDT": {"margin_mode": "isolated", "leverage": 5}})
    [change] = plan_of(cli, path)["changes"]
    assert change["status"] == "blocked" and "-4161" in change["reason"] and "ETHUSDT size 2" in change["reason"]
    path = config(tmp_path, sim.url, symbols={"ETHUSDT": {"margin_mode": "isolated", "leverage": 15}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert symbol_config(sim, "ETHUSDT")["leverage"] == 15


def test_hedge_mode_moves_each_sides_margin_and_keeps_one_leverage_per_symbol(start_sim, cli, tmp_path):
    data = world(hedge=True)
    data["binance"]["accounts"][0]["positions"].append(
        {"symbol": "ETHUSDT", "positionSide": "SHORT", "positionAmt": "-1", "entryPrice": "3100",
         "markPrice": "2900", "isolatedWallet": "200"})
    sim = start_sim(data)
    uneven = config(tmp_path, sim.url, settings={"position_mode": "hedge"},
                    symbols={"ETHUSDT": {"margin_mode": "isolated", "leverage": {"long": 20, "short": 15}}})
    [change] = plan_of(cli, uneven)["changes"]
    assert change["status"] == "blocked" and "one leverage per symbol for both position sides" in change["reason"]
    path = config(tmp_path, sim.url, settings={"position_mode": "hedge"}, symbols={"ETHUSDT": {
        "margin_mode": "isolated", "leverage": {"long": 20, "short": 20},
        "isolated_margin": {"long": 350, "short": 150}}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert [params(c) for c in writes(sim.calls("binance"))] == [
        {"symbol": "ETHUSDT", "leverage": "20"},
        {"symbol": "ETHUSDT", "positionSide": "LONG", "amount": "50", "type": "1"},
        {"symbol": "ETHUSDT", "positionSide": "SHORT", "amount": "50", "type": "2"}]
    assert (position(sim, "ETHUSDT", "LONG")["isolatedWallet"], position(sim, "ETHUSDT", "SHORT")["isolatedWallet"]) \
        == ("350", "150")


def test_a_portfolio_margin_account_is_planned_with_every_change_refused_and_its_reason(start_sim, cli, tmp_path):
    sim = start_sim(world(portfolioMargin=True))
    path = config(tmp_path, sim.url, settings={"position_mode": "hedge"},
                  symbols={"SOLUSDT": {"margin_mode": "isolated", "leverage": 12},
                           "DOGEUSDT": {"margin_mode": "cross", "leverage": 10}})
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["errors"] == {}
    assert {c["id"]: c["status"] for c in plan["changes"]} == {
        "bn/position_mode": "blocked", "bn/SOLUSDT/margin_mode": "blocked", "bn/SOLUSDT/leverage/isolated": "blocked"}
    assert all("Portfolio Margin account" in c["reason"] and "papi.binance.com" in c["reason"]
               for c in plan["changes"])
    leverage = next(c for c in plan["changes"] if c["field"] == "leverage")
    assert leverage["from"] == "10"  # read from papi's UM account
    assert "bn/DOGEUSDT/leverage/cross" in plan["in_sync"]
    assert any("Portfolio Margin" in note["text"] for note in plan["notes"])
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    assert writes(sim.calls("binance")) == []


def test_a_key_binance_does_not_know_is_an_auth_error_naming_what_to_check(start_sim, cli, tmp_path, monkeypatch):
    sim = start_sim(world())
    monkeypatch.setenv("BN_KEY", "unknownkey1")
    monkeypatch.setenv("BN_SECRET", "whatever-secret-9d")
    path = config(tmp_path, sim.url, credentials={"api_key": "${BN_KEY}", "secret": "${BN_SECRET}"})
    code, out, err = cli("plan", path)
    assert code == 1
    assert "-2015" in err and "Enable Futures permission" in err and "whitelist" in err
    assert "whatever-secret-9d" not in out + err


def test_a_wrong_secret_is_a_signature_error_and_the_secret_is_never_shown(sim, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("BN_KEY", KEY["api_key"])
    monkeypatch.setenv("BN_SECRET", "not-the-secret-4e1b")
    path = config(tmp_path, sim.url, credentials={"api_key": "${BN_KEY}", "secret": "${BN_SECRET}"})
    code, out, err = cli("plan", path)
    assert code == 1 and "-1022" in err and "wrong secret" in err
    assert "not-the-secret-4e1b" not in out + err and "Traceback" not in err


def test_clock_skew_is_reported_in_plain_words(sim, cli, tmp_path):
    sim.faults("binance", [{"method": "GET", "path": "/fapi/v1/accountConfig", "kind": "venue_error",
                            "status": 400, "code": "-1021"}])
    code, out, err = cli("plan", config(tmp_path, sim.url))
    assert code == 1
    assert "-1021" in err and "clock" in err and "NTP" in err and "Traceback" not in err


def test_an_unknown_symbol_is_a_clear_error_at_its_entry(sim, cli, tmp_path):
    code, out, err = cli("plan", config(tmp_path, sim.url, symbols={"NOPEUSDT": {"margin_mode": "cross",
                                                                                "leverage": 3}}))
    assert code == 1 and "Traceback" not in err
    assert "desired.yaml:13: accounts.bn.symbols.NOPEUSDT: NOPEUSDT is not a USDⓈ-M futures symbol Binance lists" in err


def test_a_symbol_that_is_not_trading_is_read_but_never_written(start_sim, cli, tmp_path):
    data = world()
    data["binance"]["symbols"][2]["status"] = data["binance"]["symbols"][3]["status"] = "SETTLING"  # SOL, XRP
    sim = start_sim(data)
    path = config(tmp_path, sim.url, symbols={"SOLUSDT": {"margin_mode": "isolated", "leverage": 7},
                                              "*USDT": {"margin_mode": "cross"}})
    plan = plan_of(cli, path)
    sol = [c for c in plan["changes"] if c["symbol"] == "SOLUSDT"]
    assert sol and all(c["status"] == "blocked" and "SOLUSDT is SETTLING on Binance" in c["reason"] for c in sol)
    assert {c["symbol"] for c in plan["changes"]} == {"SOLUSDT", "ETHUSDT"}  # ETHUSDT: isolated, to be cross
    assert "bn/BTCUSDT/margin_mode" in plan["in_sync"]
    assert not [i for i in plan["in_sync"] if "XRPUSDT" in i]  # the pattern matches only TRADING symbols


def test_import_writes_a_file_that_plans_in_sync(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    code, imported, err = cli("import", path, "--account", "bn")
    assert code == 0, err
    document = yaml.safe_load(imported)
    symbols = document["accounts"]["bn"]["symbols"]
    assert symbols["ETHUSDT"] == {"margin_mode": "isolated", "leverage": 10}
    assert symbols["BTCUSDT"] == {"margin_mode": "cross", "leverage": 10}
    assert document["accounts"]["bn"]["settings"] == {"position_mode": "net"}
    (tmp_path / "imported.yaml").write_text(imported)
    code, out, err = cli("plan", tmp_path / "imported.yaml", "--detailed-exitcode")
    assert code == 0, out + err


def test_a_saved_plan_applies_exactly_and_a_stale_one_sends_nothing(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 20},
                                              "ETHUSDT": {"margin_mode": "isolated", "isolated_margin": 400}})
    assert cli("plan", path, "--out", tmp_path / "plan.json")[0] == 0
    sim.clear_calls("binance")
    code, out, err = cli("apply", tmp_path / "plan.json")
    assert code == 0, out + err
    assert sorted(c["path"] for c in writes(sim.calls("binance"))) == ["/fapi/v1/leverage", "/fapi/v1/positionMargin"]
    assert position(sim, "ETHUSDT")["isolatedWallet"] == "400"

    assert cli("plan", config(tmp_path, sim.url, symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 25}}),
               "--out", tmp_path / "again.json")[0] == 0
    state = copy.deepcopy(sim.state("binance"))
    next(c for c in state["accounts"][0]["symbolConfig"] if c["symbol"] == "SOLUSDT")["leverage"] = 22
    sim.put_state("binance", state)
    sim.clear_calls("binance")
    code, out, err = cli("apply", tmp_path / "again.json")
    assert code == 1 and "stale" in err and "SOLUSDT cross leverage was 20, is now 22" in err, err
    assert writes(sim.calls("binance")) == []


def test_the_liquidation_preview_matches_what_binance_reports_after_apply(start_sim, cli, tmp_path):
    sim = start_sim(world())
    path = config(tmp_path, sim.url, symbols={"ETHUSDT": {"margin_mode": "isolated", "leverage": 20,
                                                          "isolated_margin": 550}})
    plan = plan_of(cli, path)
    previews = {c["field"]: c["liquidation_price"] for c in plan["changes"]}
    before = Decimal(previews["leverage"]["from"])
    assert previews["leverage"]["to"] == previews["leverage"]["from"]  # leverage moves no isolated margin
    expected = Decimal(previews["isolated_margin"]["to"])
    assert expected < before  # more margin: liquidated further from the mark (a long)
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    rows = _signed_get(sim, "/fapi/v3/positionRisk", {"symbol": "ETHUSDT"})
    reported = Decimal(rows[0]["liquidationPrice"])
    assert abs(reported - expected) <= expected * Decimal("0.005"), (reported, expected)


def test_a_no_need_to_change_answer_counts_as_done(sim, cli, tmp_path):
    """-4046: another hand made the change just before ours arrived; the setting has the value, nothing failed."""
    sim.faults("binance", [{"method": "POST", "path": "/fapi/v1/marginType", "kind": "venue_error", "status": 400,
                            "code": "-4046", "after": True}])
    path = config(tmp_path, sim.url, symbols={"XRPUSDT": {"margin_mode": "isolated"}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert [c["code"] for c in writes(sim.calls("binance"))] == ["-4046"]
    assert symbol_config(sim, "XRPUSDT")["marginType"] == "ISOLATED"


def _signed_get(sim, path: str, query: dict):
    """A read of the simulator as a Binance client makes it (for what the venue reports, not what we planned)."""
    import hashlib
    import hmac
    import time
    import urllib.request
    from urllib.parse import urlencode

    text = urlencode({**query, "timestamp": int(time.time() * 1000)})
    signature = hmac.new(KEY["secret"].encode(), text.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{sim.url}{path}?{text}&signature={signature}",
                                     headers={"X-MBX-APIKEY": KEY["api_key"]})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())
