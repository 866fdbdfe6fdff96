"""End to end through the CLI against the Bybit simulator: unified and classic accounts, plan, apply, plan in sync."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import write_yaml, writes
from test_liquidation_preview import close, preview_of

UTA = {"api_key": "by-uta-7c1d", "secret": "bybit-uta-secret-41ab", "uid": "5001"}
CROSS = {"api_key": "by-cross-2e9f", "secret": "bybit-cross-secret-8d03", "uid": "5002"}
CLASSIC = {"api_key": "by-classic-6a4b", "secret": "bybit-classic-secret-19c7", "uid": "5003"}
USDT_PERPS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")


def instruments():
    filters = {"BTCUSDT": ("100.00", "0.01"), "ETHUSDT": ("50.00", "0.01"), "SOLUSDT": ("50.00", "0.5"),
               "XRPUSDT": ("50.00", "0.01"), "BTCPERP": ("100.00", "0.01")}
    marks = {"BTCUSDT": "60500", "ETHUSDT": "2950", "SOLUSDT": "150", "XRPUSDT": "0.5", "BTCPERP": "60500"}
    return [{"symbol": symbol, "leverageFilter": {"minLeverage": "1", "maxLeverage": top, "leverageStep": step},
             "markPrice": marks[symbol]} for symbol, (top, step) in filters.items()]


def world():
    return {"bybit": {
        "instruments": instruments(),
        "accounts": [
            {**UTA, "unifiedMarginStatus": 6, "marginMode": "ISOLATED_MARGIN", "balances": {"USDT": "100000"},
             "symbols": {"BTCUSDT": {"buyLeverage": "10", "sellLeverage": "10", "mode": 3},
                         "ETHUSDT": {"buyLeverage": "10", "sellLeverage": "10", "mode": 3},
                         "XRPUSDT": {"buyLeverage": "5", "sellLeverage": "5", "mode": 3}},
             "positions": [
                 {"symbol": "BTCUSDT", "positionIdx": 1, "side": "Buy", "size": "0.5", "avgPrice": "60000",
                  "positionIM": "3100"},
                 {"symbol": "ETHUSDT", "positionIdx": 2, "side": "Sell", "size": "2", "avgPrice": "3000",
                  "positionIM": "700"}],
             "orders": [{"symbol": "XRPUSDT", "side": "Buy", "orderType": "Limit", "qty": "100", "price": "0.45",
                         "positionIdx": 1, "orderId": "xrp-buy-1"}]},
            {**CROSS, "unifiedMarginStatus": 5, "balances": {"USDT": "5000", "USDC": "5000"},
             "symbols": {"ETHUSDT": {"buyLeverage": "20", "sellLeverage": "20"}}},
            {**CLASSIC, "unifiedMarginStatus": 1, "balances": {"USDT": "10000"},
             "symbols": {"BTCUSDT": {"tradeMode": 0, "buyLeverage": "10", "sellLeverage": "10"},
                         "ETHUSDT": {"tradeMode": 1, "buyLeverage": "5", "sellLeverage": "5"}},
             "positions": [{"symbol": "ETHUSDT", "side": "Buy", "size": "1", "avgPrice": "3000",
                            "positionIM": "600"}]},
        ],
    }}


def account(key, url, settings=None, symbols=None, **extra):
    block = {"venue": "bybit", "environment": "sim", "base_url": url,
             "credentials": {"api_key": key["api_key"], "secret": key["secret"]}, **extra}
    if settings is not None:
        block["settings"] = settings
    block["symbols"] = symbols or {}
    return block


def config(tmp_path, url, accounts=None, name="desired.yaml", **extra):
    accounts = accounts if accounts is not None else {
        "bb": account(UTA, url, {"margin_mode": "isolated", "position_mode": "hedge"}, {
            "BTCUSDT": {"leverage": {"long": 20, "short": 15}, "isolated_margin": {"long": 2000, "short": 100}},
            "ETHUSDT": {"leverage": 10, "isolated_margin": {"min": 800, "max": 1000}},
            "SOLUSDT": {"leverage": {"long": 8, "short": 6}},
            "XRPUSDT": {"leverage": 5},
        }, **extra),
        "bx": account(CROSS, url, {"margin_mode": "isolated"}, {
            "ETHUSDT": {"leverage": 12}, "BTCPERP": {"leverage": 7}}, **extra),
        "bc": account(CLASSIC, url, None, {
            "BTCUSDT": {"margin_mode": "isolated", "leverage": 4},
            "ETHUSDT": {"margin_mode": "isolated", "leverage": 5, "isolated_margin": 700}}, **extra),
    }
    return write_yaml(tmp_path / name, {"version": 1, "accounts": accounts})


@pytest.fixture
def sim(start_sim):
    return start_sim(world())


def plan_json(cli, path, *args):
    code, out, err = cli("plan", path, "--format", "json", *args)
    assert code in (0, 2), out + err
    return json.loads(out)


def state_of(sim, uid):
    return next(a for a in sim.state("bybit")["accounts"] if a["uid"] == uid)


def position(state, symbol, idx=0):
    return next(p for p in state["positions"] if p["symbol"] == symbol and p.get("positionIdx", 0) == idx)


def test_plan_reads_only_and_says_what_each_account_type_means(sim, cli, tmp_path):
    plan = plan_json(cli, config(tmp_path, sim.url))
    calls = sim.calls("bybit")
    assert calls and all(c["method"] == "GET" for c in calls)
    status = {c["id"]: c["status"] for c in plan["changes"]}
    assert status == {
        "bb/position_mode": "change",
        "bb/BTCUSDT/leverage/isolated/long": "change", "bb/BTCUSDT/leverage/isolated/short": "change",
        "bb/BTCUSDT/isolated_margin/long": "change", "bb/ETHUSDT/isolated_margin/short": "change",
        "bb/SOLUSDT/leverage/isolated/long": "change", "bb/SOLUSDT/leverage/isolated/short": "change",
        "bx/margin_mode": "change", "bx/ETHUSDT/margin_mode": "change", "bx/BTCPERP/margin_mode": "change",
        "bx/ETHUSDT/leverage/isolated": "change", "bx/BTCPERP/leverage/isolated": "change",
        "bc/BTCUSDT/margin_mode": "change", "bc/BTCUSDT/leverage/isolated": "change",
        "bc/ETHUSDT/isolated_margin": "change",
    }
    changes = {c["id"]: c for c in plan["changes"]}
    assert (changes["bb/position_mode"]["from"], changes["bb/position_mode"]["to"]) == (None, "hedge")
    # a unified account's symbols change margin mode with the account, in its one call
    account_switch = changes["bx/margin_mode"]["calls"]
    assert account_switch == [{"method": "POST", "path": "/v5/account/set-margin-mode", "query": None,
                               "body": {"setMarginMode": "ISOLATED_MARGIN"}, "effects": account_switch[0]["effects"]}]
    assert [c["path"] for c in changes["bx/ETHUSDT/margin_mode"]["calls"]] == ["/v5/account/set-margin-mode"]
    assert "bx/margin_mode" in changes["bx/ETHUSDT/leverage/isolated"]["depends_on"]
    assert {(e["symbol"], e["value"]) for e in account_switch[0]["effects"] if e["field"] == "margin_mode"} == {
        (None, "isolated"), ("ETHUSDT", "isolated"), ("BTCPERP", "isolated")}
    # the account type, once per account, in words
    notes = {}
    for note in plan["notes"]:
        notes.setdefault(note["account"], []).append(note["text"])
    assert [len(texts) for texts in notes.values()] == [2, 1, 1]
    assert notes["bb"][1] == "Position modes differ among these symbols: hedge for BTCUSDT, ETHUSDT, XRPUSDT; " \
                             "one-way for SOLUSDT."
    assert "unified trading account 2.0 pro" in notes["bb"][0] and "isolated (ISOLATED_MARGIN) now" in notes["bb"][0]
    assert "one setting for the whole account, cross (REGULAR_MARGIN) now" in notes["bx"][0]
    assert "classic account" in notes["bc"][0] and "per symbol" in notes["bc"][0]
    # reads: one symbol-info for the isolated unified account, position/list per symbol where it is not trusted
    def reads(uid, path):
        return [c["query"] for c in calls if c["account"] == uid and c["path"] == path]
    assert reads("5001", "/v5/position/symbol-info") == [{"category": "linear"}]
    assert not [q for q in reads("5001", "/v5/position/list") if "symbol" in q]
    assert sorted(q["symbol"] for q in reads("5002", "/v5/position/list") if "symbol" in q) == ["BTCPERP", "ETHUSDT"]
    assert reads("5002", "/v5/position/symbol-info") == []  # cross: symbol-info's leverage is not trusted
    assert sorted(q["settleCoin"] for q in reads("5003", "/v5/order/realtime")) == ["USDC", "USDT"]


def test_apply_sends_the_minimal_calls_in_order_and_converges(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    sent = writes(sim.calls("bybit"))

    def sent_by(uid):
        return [(c["path"].rsplit("/", 1)[1], c["body"]) for c in sent if c["account"] == uid]
    uta = sent_by("5001")
    # the file speaks for every USDT perpetual: one switch of the coin, before any leverage
    assert uta[0] == ("switch-mode", {"category": "linear", "coin": "USDT", "mode": 3})
    assert ("set-leverage", {"category": "linear", "symbol": "SOLUSDT", "buyLeverage": "8", "sellLeverage": "6"}) in uta
    assert ("set-leverage", {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "20",
                             "sellLeverage": "15"}) in uta
    moves = [body for name, body in uta if name == "add-margin"]
    # BTCUSDT long: 20x holds 1500 + the 100 added before, so 400 more reach 2000; ETHUSDT short 700 -> 800
    assert sorted((m["symbol"], m["positionIdx"], m["margin"]) for m in moves) == [
        ("BTCUSDT", 1, "400"), ("ETHUSDT", 2, "100")]
    assert [name for name, body in uta if body.get("symbol") == "BTCUSDT"] == ["set-leverage", "add-margin"]
    assert len(uta) == 5
    assert sent_by("5002")[0] == ("set-margin-mode", {"setMarginMode": "ISOLATED_MARGIN"})
    assert len(sent_by("5002")) == 3  # the switch once, then each symbol's leverage
    # classic: switch-isolated carries the leverage, so no set-leverage follows
    assert sorted(sent_by("5003"), key=str) == sorted([
        ("switch-isolated", {"category": "linear", "symbol": "BTCUSDT", "tradeMode": 1, "buyLeverage": "4",
                             "sellLeverage": "4"}),
        ("add-margin", {"category": "linear", "symbol": "ETHUSDT", "margin": "100", "positionIdx": 0})], key=str)
    uta_state, cross_state, classic_state = (state_of(sim, uid) for uid in ("5001", "5002", "5003"))
    assert uta_state["symbols"]["SOLUSDT"] == {"buyLeverage": "8", "sellLeverage": "6"}
    assert uta_state["position_modes"] == {"USDT": 3}
    assert position(uta_state, "BTCUSDT", 1)["positionIM"] == "2000"
    assert position(uta_state, "ETHUSDT", 2)["positionIM"] == "800"
    assert cross_state["marginMode"] == "ISOLATED_MARGIN"
    assert classic_state["symbols"]["BTCUSDT"] == {"tradeMode": 1, "buyLeverage": "4", "sellLeverage": "4"}
    assert position(classic_state, "ETHUSDT")["positionIM"] == "700"
    assert "Verified" in out

    code, out, _ = cli("plan", path, "--detailed-exitcode")
    assert code == 0 and "No changes" in out, out
    sim.clear_calls("bybit")
    code, _, _ = cli("apply", path, "--auto-approve")
    assert code == 0 and writes(sim.calls("bybit")) == []


def flat_cross_world(**account):
    return {"bybit": {"instruments": instruments(), "accounts": [
        {**CROSS, "unifiedMarginStatus": 6, "balances": {"USDT": "5000"}, **account}]}}


def test_the_account_margin_mode_switch_is_blocked_by_a_position_in_another_symbol_which_it_names(start_sim, cli,
                                                                                                  tmp_path):
    sim = start_sim(flat_cross_world(
        positions=[{"symbol": "SOLUSDT", "side": "Buy", "size": "10", "avgPrice": "150"}],
        orders=[{"symbol": "XRPUSDT", "side": "Sell", "orderType": "Limit", "qty": "50", "price": "0.7",
                 "orderId": "xrp-sell-9"}]))
    path = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, {"margin_mode": "isolated"},
                                                     {"ETHUSDT": {"leverage": 5}})})
    plan = plan_json(cli, path)
    changes = {c["id"]: c for c in plan["changes"]}
    switch = changes["bx/margin_mode"]
    assert switch["status"] == "blocked"
    assert "open cross position SOLUSDT size 10" in switch["reason"]
    assert "XRPUSDT Sell 50 @ 0.7 (orderId xrp-sell-9)" in switch["reason"]
    assert changes["bx/ETHUSDT/margin_mode"]["status"] == "blocked"
    assert changes["bx/ETHUSDT/leverage/isolated"]["reason"].startswith("waits on bx/margin_mode (blocked)")
    sim.clear_calls("bybit")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    assert writes(sim.calls("bybit")) == []


@pytest.mark.parametrize("settings, said", [
    (None, "one setting for the whole account, cross (REGULAR_MARGIN) now"),
    ({"margin_mode": "cross"}, "cross (REGULAR_MARGIN) as settings.margin_mode sets it"),
], ids=["live-mode", "file-mode"])
def test_a_symbol_margin_mode_that_disagrees_with_the_unified_account_is_refused_at_its_line(settings, said,
                                                                                            start_sim, cli, tmp_path):
    sim = start_sim(flat_cross_world())
    path = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, settings, {
        "BTCUSDT": {"leverage": 5}, "ETHUSDT": {"margin_mode": "isolated", "leverage": 5}})})
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "ETHUSDT:" in text)
    for command in (("plan", path), ("apply", path, "--auto-approve")):
        code, out, err = cli(*command)
        assert code == 1 and out == ""
        assert err.startswith(f"error: {path}:{line}: accounts.bx.symbols.ETHUSDT: ETHUSDT margin_mode isolated cannot "
                              "hold on its own"), err
        assert said in err and "set settings.margin_mode: isolated" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert writes(sim.calls("bybit")) == []


def hedge_world(mode_of_sol=0, **account):
    return flat_cross_world(marginMode="ISOLATED_MARGIN", symbols={"SOLUSDT": {"mode": mode_of_sol}}, **account)


def test_per_side_leverage_in_hedge_mode_with_isolated_margin_sets_each_side(start_sim, cli, tmp_path):
    sim = start_sim(hedge_world(mode_of_sol=3))
    path = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, {"position_mode": "hedge"}, {
        "SOLUSDT": {"margin_mode": "isolated", "leverage": {"long": 12.5, "short": 3}}})})
    plan = plan_json(cli, path)
    assert {(c["side"], c["from"], c["to"]) for c in plan["changes"]} == {("long", "10", "12.5"), ("short", "10", "3")}
    calls = {json.dumps(call["body"]) for c in plan["changes"] for call in c["calls"]}
    assert calls == {json.dumps({"category": "linear", "symbol": "SOLUSDT", "buyLeverage": "12.5",
                                 "sellLeverage": "3"})}  # one call carries both sides
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert state_of(sim, "5002")["symbols"]["SOLUSDT"] == {"mode": 3, "buyLeverage": "12.5", "sellLeverage": "3"}


@pytest.mark.parametrize("symbols, said", [
    ({"SOLUSDT": {"leverage": {"long": 5, "short": 3}}}, "per-side leverage exists only for isolated margin"),
    ({"BTCPERP": {"margin_mode": "isolated", "leverage": {"long": 5, "short": 3}}},
     "BTCPERP is a LinearPerpetual settled in USDC: Bybit has hedge mode"),
    ({"SOLUSDT": {"margin_mode": "isolated", "leverage": 5.25}}, "not on SOLUSDT's leverage step on Bybit (0.5 from 1)"),
], ids=["cross-account", "usdc-perpetual", "off-step"])
def test_what_the_account_and_the_listing_forbid_is_refused_at_the_symbols_line(symbols, said, start_sim, cli,
                                                                              tmp_path):
    sim = start_sim(flat_cross_world(symbols={"SOLUSDT": {"mode": 3}}))
    settings = {"position_mode": "hedge"} if "margin_mode" not in next(iter(symbols.values())) else {
        "position_mode": "hedge", "margin_mode": "isolated"}
    path = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, settings, symbols)})
    code, out, err = cli("plan", path)
    assert code == 1 and said in err, err
    assert f"accounts.bx.symbols.{next(iter(symbols))}" in err


def test_a_position_mode_switch_names_the_position_that_blocks_it_and_switches_listed_symbols_one_by_one(
        start_sim, cli, tmp_path):
    sim = start_sim(hedge_world(positions=[{"symbol": "SOLUSDT", "side": "Buy", "size": "10", "avgPrice": "150",
                                            "positionIM": "300"}]))
    both = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, {"position_mode": "hedge"}, {
        "SOLUSDT": {"margin_mode": "isolated"}, "ETHUSDT": {"margin_mode": "isolated"}})})
    switch = next(c for c in plan_json(cli, both)["changes"] if c["id"] == "bx/position_mode")
    assert switch["status"] == "blocked"
    assert "open isolated position SOLUSDT size 10 (Bybit switches a symbol's position mode only" in switch["reason"]
    eth_only = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, {"position_mode": "hedge"}, {
        "ETHUSDT": {"margin_mode": "isolated", "leverage": {"long": 4, "short": 2}}})}, name="eth.yaml")
    code, out, err = cli("apply", eth_only, "--auto-approve")
    assert code == 0, out + err
    sent = [(c["path"].rsplit("/", 1)[1], c["body"]) for c in writes(sim.calls("bybit"))]
    assert sent == [("switch-mode", {"category": "linear", "symbol": "ETHUSDT", "mode": 3}),
                    ("set-leverage", {"category": "linear", "symbol": "ETHUSDT", "buyLeverage": "4",
                                      "sellLeverage": "2"})]
    assert state_of(sim, "5002").get("position_modes") is None  # the coin's own setting is untouched


def test_a_classic_account_refuses_settings_margin_mode_and_says_where_it_lives(start_sim, cli, tmp_path):
    sim = start_sim(world())
    path = config(tmp_path, sim.url, {"bc": account(CLASSIC, sim.url, {"margin_mode": "isolated"}, {
        "BTCUSDT": {"leverage": 3}})})
    plan = plan_json(cli, path)
    changes = {c["id"]: c for c in plan["changes"]}
    assert changes["bc/margin_mode"]["status"] == "blocked"
    assert "classic account (unifiedMarginStatus 1)" in changes["bc/margin_mode"]["reason"]
    assert "write margin_mode under each symbol" in changes["bc/margin_mode"]["reason"]
    # what the symbols inherit from the refused setting waits on it: nothing is sent until the file says it per symbol
    assert all(c["reason"].startswith("waits on bc/margin_mode (blocked)") for c in plan["changes"] if c["symbol"])


def test_portfolio_margin_has_no_leverage_to_set(start_sim, cli, tmp_path):
    sim = start_sim(flat_cross_world(marginMode="PORTFOLIO_MARGIN"))
    path = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, {"margin_mode": "portfolio"}, {
        "ETHUSDT": {"leverage": 5}})})
    [change] = plan_json(cli, path)["changes"]
    assert change["status"] == "blocked" and "110038" in change["reason"]
    assert all(c["code"] == "0" for c in sim.calls("bybit"))  # symbol-info (an error under PM) was not asked


def test_import_writes_a_file_that_plans_in_sync(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    for name, uid in (("bb", "5001"), ("bx", "5002"), ("bc", "5003")):
        code, imported, err = cli("import", path, "--account", name)
        assert code == 0, err
        block = yaml.safe_load(imported)["accounts"][name]
        if name == "bc":
            assert "margin_mode" not in block.get("settings", {})
            assert block["symbols"]["ETHUSDT"]["margin_mode"] == "isolated"  # classic: per symbol
        else:
            assert block["settings"]["margin_mode"] == ("isolated" if name == "bb" else "cross")
        (tmp_path / f"{name}.yaml").write_text(imported)
        code, out, err = cli("plan", tmp_path / f"{name}.yaml", "--detailed-exitcode")
        assert code == 0 and "No changes" in out, out + err
    assert writes(sim.calls("bybit")) == []


def test_import_of_a_portfolio_margin_account_writes_its_mode_once_for_the_account(start_sim, cli, tmp_path):
    sim = start_sim(flat_cross_world(marginMode="PORTFOLIO_MARGIN"))
    path = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, None, {"ETHUSDT": {}, "BTCUSDT": {}})})
    code, imported, err = cli("import", path, "--account", "bx")
    assert code == 0, err
    block = yaml.safe_load(imported)["accounts"]["bx"]
    assert block["settings"]["margin_mode"] == "portfolio"
    assert all("margin_mode" not in entry for entry in block["symbols"].values())  # the account's, not theirs
    (tmp_path / "bx.yaml").write_text(imported)
    assert cli("validate", tmp_path / "bx.yaml")[0] == 0
    code, out, err = cli("plan", tmp_path / "bx.yaml", "--detailed-exitcode")
    assert code == 0 and "No changes" in out, out + err


def test_a_saved_plan_applies_as_reviewed_and_refuses_once_the_venue_moved(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    code, _, err = cli("plan", path, "--out", tmp_path / "plan.json")
    assert code == 0, err
    section = sim.state("bybit")
    section["accounts"][1]["symbols"]["ETHUSDT"]["buyLeverage"] = "15"
    section["accounts"][1]["symbols"]["ETHUSDT"]["sellLeverage"] = "15"
    sim.put_state("bybit", section)
    sim.clear_calls("bybit")
    code, out, err = cli("apply", tmp_path / "plan.json", "--config", path, "--auto-approve")
    assert code == 1 and "stale" in (out + err) and "ETHUSDT" in (out + err)
    assert writes(sim.calls("bybit")) == []
    code, _, err = cli("plan", path, "--out", tmp_path / "plan.json")
    code, out, err = cli("apply", tmp_path / "plan.json", "--config", path, "--auto-approve")
    assert code == 0, out + err
    code, out, _ = cli("plan", path, "--detailed-exitcode")
    assert code == 0


SOON = "2099-01-01T00:00:00Z"


def test_a_demo_account_without_symbol_info_reads_each_symbol_and_the_key_expiry_is_a_note(start_sim, cli, tmp_path):
    from datetime import datetime, timedelta, timezone
    soon = (datetime.now(timezone.utc) + timedelta(days=12, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sim = start_sim(flat_cross_world(marginMode="ISOLATED_MARGIN", demo=True, key_expires_at=soon, readOnly=1))
    path = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, None, {
        "ETHUSDT": {"leverage": 7}, "SOLUSDT": {"leverage": 10}})})
    plan = plan_json(cli, path)
    [change] = plan["changes"]
    assert (change["id"], change["from"], change["to"]) == ("bx/ETHUSDT/leverage/isolated", "10", "7")
    calls = sim.calls("bybit")
    assert [(c["status"], c["code"]) for c in calls if c["path"] == "/v5/position/symbol-info"] == [(404, "10017")]
    assert sorted(c["query"]["symbol"] for c in calls if c["path"] == "/v5/position/list" and "symbol" in c["query"]) \
        == ["ETHUSDT", "SOLUSDT"]
    notes = [n["text"] for n in plan["notes"]]
    assert f"expires on {soon[:10]} (12 days left)" in " ".join(notes)
    assert any("read-only" in n for n in notes)


@pytest.mark.parametrize("symbol, side, leverage, margin, field", [
    ("BTCUSDT", "long", 10, 3500, "isolated_margin/long"), ("BTCUSDT", "long", 10, 3000, "isolated_margin/long"),
    ("ETHUSDT", "short", 10, 900, "isolated_margin/short"), ("ETHUSDT", "short", 10, 650, "isolated_margin/short"),
    ("BTCUSDT", "long", 20, None, "leverage/isolated/long"), ("ETHUSDT", "short", 4, None, "leverage/isolated/short"),
], ids=["long-add", "long-reduce", "short-add", "short-reduce", "long-leverage-up", "short-leverage-down"])
def test_the_liquidation_preview_is_what_bybit_reports_after_the_change(symbol, side, leverage, margin, field,
                                                                        sim, cli, tmp_path):
    other = {"long": "short", "short": "long"}[side]

    def desired(leverage, margin):
        spec = {"leverage": {side: leverage, other: 10}}
        if margin is not None:
            spec["isolated_margin"] = {side: margin, other: 1}
        return config(tmp_path, sim.url, {"bb": account(UTA, sim.url, {"margin_mode": "isolated",
                                                                       "position_mode": "hedge"}, {symbol: spec})})
    change_id = f"bb/{symbol}/{field}"
    planned = preview_of(cli, desired(leverage, margin), change_id)
    assert planned["from"] and planned["to"] and planned["mark"] and planned["to"] != planned["from"]
    code, out, err = cli("apply", desired(leverage, margin), "--auto-approve")
    assert code == 0, out + err
    again = desired(leverage + 1, None) if margin is None else desired(leverage, margin + 50)  # beyond the tolerance
    reported = preview_of(cli, again, change_id)["from"]  # position/list's liqPrice now
    assert close(planned["to"], reported), (planned, reported)


def test_a_leverage_too_high_for_an_open_positions_risk_tier_is_blocked_at_plan_time(start_sim, cli, tmp_path):
    world = flat_cross_world(marginMode="ISOLATED_MARGIN", positions=[
        {"symbol": "ETHUSDT", "side": "Buy", "size": "400", "avgPrice": "3000"}])  # worth 1,200,000
    [eth] = [inst for inst in world["bybit"]["instruments"] if inst["symbol"] == "ETHUSDT"]
    eth["riskLimits"] = [
        {"id": 1, "riskLimitValue": "1000000", "maintenanceMargin": "0.01", "initialMargin": "0.02",
         "maxLeverage": "50.00", "mmDeduction": "0"},
        {"id": 2, "riskLimitValue": "2000000", "maintenanceMargin": "0.015", "initialMargin": "0.04",
         "maxLeverage": "25.00", "mmDeduction": "5000"}]
    sim = start_sim(world)
    path = config(tmp_path, sim.url, {"bx": account(CROSS, sim.url, None, {
        "ETHUSDT": {"leverage": 30}, "SOLUSDT": {"leverage": 30}})})
    changes = {c["symbol"]: c for c in plan_json(cli, path)["changes"]}
    assert changes["ETHUSDT"]["status"] == "blocked"
    assert "ETHUSDT" in changes["ETHUSDT"]["reason"] and "risk tier 2" in changes["ETHUSDT"]["reason"]
    assert "maximum leverage is 25x" in changes["ETHUSDT"]["reason"] and "110013" in changes["ETHUSDT"]["reason"]
    assert changes["SOLUSDT"]["status"] == "change"  # no position there: nothing to hold it back
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    sent = [c["body"]["symbol"] for c in writes(sim.calls("bybit"))]
    assert sent == ["SOLUSDT"] and all(c["code"] == "0" for c in sim.calls("bybit"))  # 110013 never drawn
