"""End to end through the CLI against the OKX simulator: what plan reads, what apply sends, what holds."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import write_yaml, writes

KEY = {"api_key": "ok-3b9c", "secret": "okx-secret-8e1d", "passphrase": "okx-pass-2a7f", "uid": "1001"}
FUT1, FUT2 = "BTC-USDT-261225", "BTC-USDT-270326"
SWAPS = {"BTC": "100", "ETH": "75", "SOL": "50", "XRP": "50", "DOGE": "50"}


def instruments(extra_swaps=()):
    rows = [{"instId": f"{c}-USDT-SWAP", "instType": "SWAP", "instFamily": f"{c}-USDT", "lever": lever,
             "settleCcy": "USDT", "ctVal": "0.1"} for c, lever in SWAPS.items()]
    rows += [{"instId": f, "instType": "FUTURES", "instFamily": "BTC-USDT", "lever": "50", "settleCcy": "USDT",
              "ctVal": "0.01"} for f in (FUT1, FUT2)]
    rows += [{"instId": f"{c}-USDT-SWAP", "instType": "SWAP", "instFamily": f"{c}-USDT", "lever": "20",
              "settleCcy": "USDT", "ctVal": "1"} for c in extra_swaps]
    return rows


def world():
    """Long/short mode; a conflict (BTC cross position), a lock (XRP isolated order), an algo conflict
    (DOGE cross trigger), two isolated positions (ETH, SOL) and a futures family."""
    return {"okx": {
        "instruments": instruments(),
        "accounts": [{
            **KEY,
            "config": {"posMode": "long_short_mode", "acctLv": "2", "ctIsoMode": "automatic"},
            "balances": {"USDT": "100000"},
            "leverage": {
                "BTC-USDT-SWAP": {"cross": "5", "isolated": {"long": "10", "short": "10"}},
                "ETH-USDT-SWAP": {"isolated": {"long": "10", "short": "10"}},
                "SOL-USDT-SWAP": {"isolated": {"long": "5", "short": "5"}},
                "XRP-USDT-SWAP": {"isolated": {"long": "10", "short": "10"}},
                FUT1: {"cross": "10"},
            },
            "positions": [
                {"instId": "BTC-USDT-SWAP", "mgnMode": "cross", "posSide": "long", "pos": "1", "avgPx": "60000"},
                {"instId": "ETH-USDT-SWAP", "mgnMode": "isolated", "posSide": "long", "pos": "2", "margin": "300",
                 "avgPx": "3000"},
                {"instId": "SOL-USDT-SWAP", "mgnMode": "isolated", "posSide": "short", "pos": "100",
                 "margin": "300", "avgPx": "150"},
            ],
            "orders": [{"instId": "XRP-USDT-SWAP", "tdMode": "isolated", "side": "buy", "posSide": "long",
                        "sz": "10", "px": "0.5", "ordId": "111"}],
            "algo_orders": [{"instId": "DOGE-USDT-SWAP", "tdMode": "cross", "side": "buy", "posSide": "long",
                             "sz": "100", "ordType": "trigger", "triggerPx": "0.1", "algoId": "222"}],
        }],
    }}


DESIRED = {
    "BTC-USDT-SWAP": {"margin_mode": "isolated", "leverage": {"long": 20, "short": 15}},   # conflict
    "ETH-USDT-SWAP": {"margin_mode": "isolated", "leverage": {"long": 20, "short": 15},
                      "isolated_margin": {"min": 400, "max": 600}},                        # 300 -> 400
    "SOL-USDT-SWAP": {"margin_mode": "isolated", "leverage": 5, "isolated_margin": {"long": 200, "short": 500}},
    "XRP-USDT-SWAP": {"margin_mode": "isolated", "leverage": 8},                           # locked
    "DOGE-USDT-SWAP": {"margin_mode": "isolated", "leverage": 3},                          # algo conflict
    FUT1: {"margin_mode": "cross", "leverage": 7},
    FUT2: {"margin_mode": "cross", "leverage": 7},
}


def config(tmp_path, url, symbols=None, settings=None, **account):
    data = {"version": 1, "accounts": {"ox": {
        "venue": "okx", "environment": "sim", "base_url": url,
        "credentials": {k: KEY[k] for k in ("api_key", "secret", "passphrase")},
        "settings": settings if settings is not None else {"position_mode": "hedge"},
        "symbols": symbols if symbols is not None else copy.deepcopy(DESIRED),
        **account}}}
    return write_yaml(tmp_path / "desired.yaml", data)


@pytest.fixture
def sim(start_sim):
    return start_sim(world())



def endpoint(call):
    return call["path"].removeprefix("/api/v5/")


def test_plan_reads_per_account_and_shows_conflicts_locks_and_the_note(sim, cli, tmp_path):
    code, out, err = cli("plan", config(tmp_path, sim.url), "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    calls = sim.calls("okx")
    assert calls and all(c["method"] == "GET" for c in calls)
    status = {c["id"]: c["status"] for c in plan["changes"]}
    assert status == {
        "ox/BTC-USDT-SWAP/margin_mode": "conflict",
        "ox/BTC-USDT-SWAP/leverage/isolated/long": "blocked",
        "ox/BTC-USDT-SWAP/leverage/isolated/short": "blocked",
        "ox/ETH-USDT-SWAP/leverage/isolated/long": "change",
        "ox/ETH-USDT-SWAP/leverage/isolated/short": "change",
        "ox/ETH-USDT-SWAP/isolated_margin/long": "change",
        "ox/SOL-USDT-SWAP/isolated_margin/short": "change",
        "ox/XRP-USDT-SWAP/leverage/isolated/long": "blocked",
        "ox/XRP-USDT-SWAP/leverage/isolated/short": "blocked",
        "ox/DOGE-USDT-SWAP/margin_mode": "conflict",
        "ox/DOGE-USDT-SWAP/leverage/isolated/long": "blocked",
        "ox/DOGE-USDT-SWAP/leverage/isolated/short": "blocked",
        f"ox/{FUT1}/leverage/cross": "change",
        f"ox/{FUT2}/leverage/cross": "change",
    }
    by_id = {c["id"]: c for c in plan["changes"]}
    conflict = by_id["ox/BTC-USDT-SWAP/margin_mode"]
    assert "open cross position BTC-USDT-SWAP long size 1" in conflict["reason"]
    assert (conflict["from"], conflict["to"]) == ("cross", "isolated")
    assert "trigger algo order 222 DOGE-USDT-SWAP" in by_id["ox/DOGE-USDT-SWAP/margin_mode"]["reason"]
    assert "order 111 XRP-USDT-SWAP" in by_id["ox/XRP-USDT-SWAP/leverage/isolated/long"]["reason"]
    # the family's cross leverage: one call shared by both expiries
    assert by_id[f"ox/{FUT1}/leverage/cross"]["calls"] == by_id[f"ox/{FUT2}/leverage/cross"]["calls"]
    assert by_id[f"ox/{FUT1}/leverage/cross"]["calls"][0]["body"] == {"instId": FUT1, "lever": "7",
                                                                        "mgnMode": "cross"}
    margin = by_id["ox/SOL-USDT-SWAP/isolated_margin/short"]
    assert (margin["from"], margin["to"]) == ("300", "500")
    assert margin["calls"][0]["body"] == {"instId": "SOL-USDT-SWAP", "posSide": "short", "type": "add", "amt": "200"}
    notes = [note["text"] for note in plan["notes"]]
    assert notes[0].startswith("OKX account mode: Spot and futures mode (acctLv 2)")
    assert "tdMode=isolated for BTC-USDT-SWAP" in notes[1] and f"tdMode=cross for {FUT1}, {FUT2}" in notes[1]
    # reads: per account, never per symbol
    paths = [endpoint(c) for c in calls]
    assert paths.count("account/config") == 1
    assert paths.count("account/positions") == 1
    assert paths.count("trade/orders-pending") == 1
    assert paths.count("trade/orders-algo-pending") == 6  # every algo kind; conditional+oco share one
    assert sorted(c["query"]["instType"] for c in calls if endpoint(c) == "public/instruments") == ["FUTURES",
                                                                                                   "SWAP"]
    leverage = [c["query"] for c in calls if endpoint(c) == "account/leverage-info"]
    assert sorted(q["mgnMode"] for q in leverage) == ["cross", "isolated"]
    # the liquidation preview: OKX's own estimate, for the one leverage change of an open isolated position
    assert [c["query"]["posSide"] for c in calls if endpoint(c) == "account/adjust-leverage-info"] == ["long"]
    assert len(calls) == 1 + 2 + 2 + 1 + 1 + 6 + 1


def test_plan_text_names_the_td_mode_note(sim, cli, tmp_path):
    code, out, _ = cli("plan", config(tmp_path, sim.url))
    assert code == 0
    assert "note: OKX stores no margin mode per instrument" in out
    assert out.count("note: OKX stores no margin mode") == 1  # once per account
    assert out.count("note: OKX account mode: Spot and futures mode (acctLv 2)") == 1
    assert "[conflict]" in out


def test_apply_sends_the_minimal_calls_and_converges(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    before = sim.state("okx")["accounts"][0]
    sim.clear_calls("okx")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err  # the BTC / DOGE conflicts and the XRP lock remain
    sent = writes(sim.calls("okx"))
    touched = {c["body"]["instId"] for c in sent}
    assert not touched & {"BTC-USDT-SWAP", "XRP-USDT-SWAP", "DOGE-USDT-SWAP"}  # nothing for blocked / conflicts
    # one call for the futures family's cross leverage
    family = [c for c in sent if c["body"]["instId"] in (FUT1, FUT2)]
    assert [c["body"] for c in family] == [{"instId": FUT1, "lever": "7", "mgnMode": "cross"}]
    # two calls for long and short isolated leverage in long/short mode, then the margin
    eth = [c for c in sent if c["body"]["instId"] == "ETH-USDT-SWAP"]
    assert [endpoint(c) for c in eth] == ["account/set-leverage", "account/set-leverage",
                                          "account/position/margin-balance"]
    assert sorted((c["body"]["posSide"], c["body"]["lever"]) for c in eth[:2]) == [("long", "20"), ("short", "15")]
    # OKX re-margins an isolated position when its leverage changes: the move is what is still missing
    state = sim.state("okx")["accounts"][0]
    eth_position = next(p for p in state["positions"] if p["instId"] == "ETH-USDT-SWAP")
    assert eth_position["margin"] == "400"
    remargined = 300 - 2 * 0.1 * 3000 * (1 / 10 - 1 / 20)  # 270: the 20x long needs 30 less than 10x
    assert eth[2]["body"] == {"instId": "ETH-USDT-SWAP", "posSide": "long", "type": "add",
                              "amt": str(int(400 - remargined))}
    # margin moved by exactly the difference
    sol = [c for c in sent if c["body"]["instId"] == "SOL-USDT-SWAP"]
    assert [c["body"] for c in sol] == [{"instId": "SOL-USDT-SWAP", "posSide": "short", "type": "add",
                                         "amt": "200"}]
    assert next(p for p in state["positions"] if p["instId"] == "SOL-USDT-SWAP")["margin"] == "500"
    assert len(sent) == 5
    assert state["leverage"][FUT2]["cross"] == "7" and state["leverage"][FUT1]["cross"] == "7"
    assert state["leverage"]["BTC-USDT-SWAP"] == before["leverage"]["BTC-USDT-SWAP"]

    code, out, _ = cli("plan", path, "--format", "json", "--detailed-exitcode")
    assert code == 2
    plan = json.loads(out)
    assert {c["symbol"] for c in plan["changes"]} == {"BTC-USDT-SWAP", "XRP-USDT-SWAP", "DOGE-USDT-SWAP"}
    assert {c["status"] for c in plan["changes"]} == {"blocked", "conflict"}

    sim.clear_calls("okx")
    code, _, _ = cli("apply", path, "--auto-approve")
    assert code == 3
    assert writes(sim.calls("okx")) == []


def flat_world(pos_mode="net_mode", iso_mode="autonomy", extra_swaps=()):
    data = world()
    account = data["okx"]["accounts"][0]
    data["okx"]["instruments"] = instruments(extra_swaps)
    account["config"] = {"posMode": pos_mode, "acctLv": "2", "ctIsoMode": iso_mode}
    account["leverage"], account["positions"], account["orders"], account["algo_orders"] = {}, [], [], []
    return data


def test_account_settings_go_before_symbol_settings(start_sim, cli, tmp_path):
    sim = start_sim(flat_world())
    path = config(tmp_path, sim.url, settings={"position_mode": "hedge", "isolated_transfer_mode": "automatic"},
                  symbols={"SOL-USDT-SWAP": {"margin_mode": "isolated", "leverage": {"long": 5, "short": 6}},
                           "ETH-USDT-SWAP": {"margin_mode": "cross", "leverage": 4}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    sent = writes(sim.calls("okx"))
    names = [endpoint(c) for c in sent]
    assert set(names[:2]) == {"account/set-position-mode", "account/set-isolated-mode"}
    assert names[2:] == ["account/set-leverage"] * 3
    assert sent[names.index("account/set-isolated-mode")]["body"] == {"isoMode": "automatic", "type": "CONTRACTS"}
    assert sent[names.index("account/set-position-mode")]["body"] == {"posMode": "long_short_mode"}
    bodies = [c["body"] for c in sent[2:]]
    # posSide only for isolated in long/short mode; cross is one call for both sides
    assert {"instId": "ETH-USDT-SWAP", "lever": "4", "mgnMode": "cross"} in bodies
    assert {"instId": "SOL-USDT-SWAP", "lever": "5", "mgnMode": "isolated", "posSide": "long"} in bodies
    assert {"instId": "SOL-USDT-SWAP", "lever": "6", "mgnMode": "isolated", "posSide": "short"} in bodies
    config_now = sim.state("okx")["accounts"][0]["config"]
    assert (config_now["posMode"], config_now["ctIsoMode"]) == ("long_short_mode", "automatic")


def test_account_settings_are_blocked_by_any_open_position(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, settings={"position_mode": "net"},
                  symbols={"ETH-USDT-SWAP": {"margin_mode": "isolated", "leverage": 20}})
    code, out, _ = cli("plan", path, "--format", "json")
    plan = json.loads(out)
    first = plan["changes"][0]
    assert first["id"] == "ox/position_mode" and first["status"] == "blocked"
    assert "BTC-USDT-SWAP" in first["reason"] and "trigger algo order 222" in first["reason"]
    assert all(c["status"] == "blocked" for c in plan["changes"])


def test_net_mode_isolated_leverage_has_no_pos_side(start_sim, cli, tmp_path):
    sim = start_sim(flat_world(iso_mode="automatic"))
    path = config(tmp_path, sim.url, settings={}, symbols={"SOL-USDT-SWAP": {"margin_mode": "isolated", "leverage": 9}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert [c["body"] for c in writes(sim.calls("okx"))] == [
        {"instId": "SOL-USDT-SWAP", "lever": "9", "mgnMode": "isolated"}]


def test_leverage_info_is_batched_twenty_instruments_per_call_per_mode(start_sim, cli, tmp_path):
    extra = [f"C{i:02d}" for i in range(46)]
    sim = start_sim(flat_world(iso_mode="automatic", extra_swaps=extra))
    symbols = {f"{c}-USDT-SWAP": {"margin_mode": "isolated" if i < 25 else "cross", "leverage": 10}
               for i, c in enumerate(extra)}
    code, out, err = cli("plan", config(tmp_path, sim.url, settings={}, symbols=symbols), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["summary"]["change"] == 0  # the default 10x already holds
    queries = [c["query"] for c in sim.calls("okx") if endpoint(c) == "account/leverage-info"]
    sizes = sorted((q["mgnMode"], len(q["instId"].split(","))) for q in queries)
    assert sizes == [("cross", 1), ("cross", 20), ("isolated", 5), ("isolated", 20)]
    assert len([c for c in sim.calls("okx") if endpoint(c) == "account/positions"]) == 1


def test_only_the_modes_the_file_manages_are_read(start_sim, cli, tmp_path):
    sim = start_sim(flat_world(iso_mode="automatic"))
    path = config(tmp_path, sim.url, settings={}, symbols={"SOL-USDT-SWAP": {"margin_mode": "cross", "leverage": 3}})
    cli("plan", path)
    queries = [c["query"] for c in sim.calls("okx") if endpoint(c) == "account/leverage-info"]
    assert queries == [{"mgnMode": "cross", "instId": "SOL-USDT-SWAP"}]
    assert [c["query"]["instType"] for c in sim.calls("okx") if endpoint(c) == "public/instruments"] == ["SWAP"]


def test_different_cross_values_in_one_futures_family_are_refused(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={FUT1: {"margin_mode": "cross", "leverage": 7},
                                              FUT2: {"margin_mode": "cross", "leverage": 9}})
    code, _, err = cli("plan", path)
    assert code == 1
    assert "one cross leverage for all BTC-USDT futures" in err and f"{FUT1} 7x" in err and "Traceback" not in err


def test_a_pending_order_on_another_expiry_locks_the_family_cross_leverage(sim, cli, tmp_path):
    state = sim.state("okx")
    state["accounts"][0]["orders"].append({"instId": FUT2, "tdMode": "isolated", "side": "sell", "sz": "1",
                                           "px": "90000", "ordId": "333", "posSide": "short"})
    sim.put_state("okx", state)
    path = config(tmp_path, sim.url, symbols={FUT1: {"margin_mode": "cross", "leverage": 7}})
    code, out, _ = cli("plan", path, "--format", "json")
    change = json.loads(out)["changes"][0]
    assert change["status"] == "blocked" and "order 333 BTC-USDT-270326" in change["reason"]


def test_leverage_above_the_instrument_cap_is_refused_at_plan_time(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={FUT1: {"margin_mode": "cross", "leverage": 60}})
    code, out, err = cli("plan", path)
    assert code == 1 and out == ""
    assert f"accounts.ox.symbols.{FUT1}: leverage 60 is above {FUT1}'s maximum 50 on okx" in err


def test_unknown_instrument_is_a_clear_error(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"NOPE-USDT-SWAP": {"margin_mode": "cross", "leverage": 3},
                                              "BTC-USDT-C-60000": {"margin_mode": "cross", "leverage": 3}})
    code, _, err = cli("plan", path)
    assert code == 1 and "BTC-USDT-C-60000 is not an OKX SWAP, FUTURES or MARGIN instrument" in err
    assert "Traceback" not in err
    path = config(tmp_path, sim.url, symbols={"NOPE-USDT-SWAP": {"margin_mode": "cross", "leverage": 3}})
    code, _, err = cli("plan", path)
    assert code == 1 and "NOPE-USDT-SWAP is not an instrument OKX lists" in err


def test_an_unlisted_id_is_named_in_the_files_words_when_its_leverage_read_is_refused_before_the_listing_comes(
        sim, cli, tmp_path):
    # leverage-info goes out while the listing is still coming: the venue's refusal of the id must not be the
    # message, the listing's is
    sim.faults("okx", [{"method": "GET", "path": "/api/v5/public/instruments", "kind": "delay", "seconds": 1,
                        "count": 5},
                       {"method": "GET", "path": "/api/v5/account/leverage-info", "kind": "venue_error", "status": 200,
                        "code": "51001", "message": "Instrument ID doesn't exist.", "count": 5}])
    path = config(tmp_path, sim.url, symbols={"NOPE-USDT-SWAP": {"margin_mode": "cross", "leverage": 3}})
    code, _, err = cli("plan", path)
    assert code == 1 and "NOPE-USDT-SWAP is not an instrument OKX lists" in err and "51001" not in err
    assert "Traceback" not in err


def test_wrong_secret_gets_an_auth_message_naming_the_key_and_what_to_check(sim, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("OX_KEY", KEY["api_key"])
    monkeypatch.setenv("OX_SECRET", "wrong-secret")
    monkeypatch.setenv("OX_PASS", KEY["passphrase"])
    path = config(tmp_path, sim.url, environment="sim",
                  credentials={"api_key": "${OX_KEY}", "secret": "${OX_SECRET}", "passphrase": "${OX_PASS}"})
    code, _, err = cli("plan", path)
    assert code == 1
    assert "50113" in err and "check this account's api_key, secret and passphrase" in err
    assert "${OX_KEY}" in err and "${OX_SECRET}" in err
    assert "wrong-secret" not in err


def test_a_new_pending_order_after_the_plan_makes_the_saved_plan_stale(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"SOL-USDT-SWAP": {"margin_mode": "isolated", "leverage": 6}})
    code, _, _ = cli("plan", path, "--out", tmp_path / "plan.json")
    assert code == 0
    state = sim.state("okx")
    state["accounts"][0]["orders"].append({"instId": "SOL-USDT-SWAP", "tdMode": "isolated", "side": "buy",
                                           "posSide": "long", "sz": "1", "px": "100"})
    sim.put_state("okx", state)
    sim.clear_calls("okx")
    code, out, err = cli("apply", tmp_path / "plan.json", "--auto-approve")
    # the fresh plan sees the order and calls the change blocked: the saved plan is stale, nothing is sent
    assert code == 1 and "plan is stale" in err and "now blocked" in err, out + err
    assert [c for c in sim.calls("okx") if c["method"] == "POST"] == []
