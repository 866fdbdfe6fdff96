"""OKX as the seed pages give it, end to end through the CLI: the 11 set-leverage scenarios, margin-balance
with and without ccy, set-isolated-mode for CONTRACTS and MARGIN, each read back by the official python-okx."""

from __future__ import annotations

import json

import okx.Account as Account
import pytest
import yaml

from conftest import write_yaml, writes

SWAP, ETH_SWAP = "BTC-USDT-SWAP", "ETH-USDT-SWAP"
FUT1, FUT2 = "BTC-USDT-261225", "BTC-USDT-270326"
PAIR = "BTC-USDT"

INSTRUMENTS = [
    {"instId": PAIR, "instType": "SPOT"},            # OKX lists the pair twice: as SPOT ...
    {"instId": PAIR, "instType": "MARGIN", "lever": "10"},   # ... and as MARGIN
    {"instId": "ETH-USDT", "instType": "MARGIN", "lever": "10"},
    {"instId": SWAP, "instType": "SWAP", "instFamily": "BTC-USDT", "lever": "100", "settleCcy": "USDT",
     "ctVal": "0.01"},
    {"instId": ETH_SWAP, "instType": "SWAP", "instFamily": "ETH-USDT", "lever": "75", "settleCcy": "USDT",
     "ctVal": "0.1"},
    {"instId": FUT1, "instType": "FUTURES", "instFamily": "BTC-USDT", "lever": "50", "settleCcy": "USDT",
     "ctVal": "0.01"},
    {"instId": FUT2, "instType": "FUTURES", "instFamily": "BTC-USDT", "lever": "50", "settleCcy": "USDT",
     "ctVal": "0.01"},
]


def venue_account(uid: str, level: str, pos_mode: str = "net_mode", **extra) -> dict:
    config = {"acctLv": level, "posMode": pos_mode, **extra.pop("config", {})}
    return {"api_key": f"k{uid}", "secret": f"s{uid}", "passphrase": f"p{uid}", "uid": uid, "config": config,
            "balances": {"USDT": "100000", "BTC": "10"}, **extra}


def desired(tmp_path, url, accounts: dict) -> str:
    """A desired-state file with one OKX account per uid: {uid: {"symbols": .., "currencies": .., ...}}."""
    blocks = {f"okx-{uid}": {"venue": "okx", "environment": "sim", "base_url": url,
                             "credentials": {"api_key": f"k{uid}", "secret": f"s{uid}", "passphrase": f"p{uid}"},
                             **block} for uid, block in accounts.items()}
    return str(write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": blocks}))


def python_okx(sim, uid: str) -> Account.AccountAPI:
    return Account.AccountAPI(f"k{uid}", f"s{uid}", f"p{uid}", False, flag="0", domain=sim.url, debug=False)


# scenario -> (acctLv, posMode, extra config, file block, bodies sent, python-okx leverage query, levers read)
SCENARIOS = {
    1: ("3", "net_mode", {}, {"symbols": {PAIR: {"margin_mode": "isolated", "leverage": 5}}},
        [{"instId": PAIR, "lever": "5", "mgnMode": "isolated"}],
        {"mgnMode": "isolated", "instId": PAIR}, {(PAIR, "net"): "5"}),
    2: ("1", "net_mode", {"enableSpotBorrow": True}, {"currencies": {"BTC": {"leverage": 5}}},
        [{"ccy": "BTC", "lever": "5", "mgnMode": "cross"}],
        {"mgnMode": "cross", "ccy": "BTC"}, {("BTC", "net"): "5"}),
    3: ("2", "net_mode", {}, {"symbols": {PAIR: {"margin_mode": "cross", "leverage": 5}}},
        [{"instId": PAIR, "lever": "5", "mgnMode": "cross"}],
        {"mgnMode": "cross", "instId": PAIR}, {(PAIR, "net"): "5"}),
    4: ("3", "net_mode", {}, {"currencies": {"BTC": {"leverage": 5}}},
        [{"ccy": "BTC", "lever": "5", "mgnMode": "cross"}],
        {"mgnMode": "cross", "ccy": "BTC"}, {("BTC", "net"): "5"}),
    5: ("4", "net_mode", {}, {"currencies": {"BTC": {"leverage": 5}}},
        [{"ccy": "BTC", "lever": "5", "mgnMode": "cross"}],
        {"mgnMode": "cross", "ccy": "BTC"}, {("BTC", "net"): "5"}),
    6: ("2", "net_mode", {}, {"symbols": {FUT1: {"margin_mode": "cross", "leverage": 5}}},
        [{"instId": FUT1, "lever": "5", "mgnMode": "cross"}],
        {"mgnMode": "cross", "instId": f"{FUT1},{FUT2}"}, {(FUT1, "net"): "5", (FUT2, "net"): "5"}),
    7: ("2", "net_mode", {}, {"symbols": {FUT1: {"margin_mode": "isolated", "leverage": 5}}},
        [{"instId": FUT1, "lever": "5", "mgnMode": "isolated"}],
        {"mgnMode": "isolated", "instId": FUT1}, {(FUT1, "net"): "5"}),
    8: ("2", "long_short_mode", {}, {"settings": {"position_mode": "hedge"},
                                     "symbols": {FUT1: {"margin_mode": "isolated", "leverage": {"long": 5, "short": 4}}}},
        [{"instId": FUT1, "lever": "5", "mgnMode": "isolated", "posSide": "long"},
         {"instId": FUT1, "lever": "4", "mgnMode": "isolated", "posSide": "short"}],
        {"mgnMode": "isolated", "instId": FUT1}, {(FUT1, "long"): "5", (FUT1, "short"): "4"}),
    9: ("2", "net_mode", {}, {"symbols": {SWAP: {"margin_mode": "cross", "leverage": 5}}},
        [{"instId": SWAP, "lever": "5", "mgnMode": "cross"}],
        {"mgnMode": "cross", "instId": SWAP}, {(SWAP, "net"): "5"}),
    10: ("2", "net_mode", {}, {"symbols": {SWAP: {"margin_mode": "isolated", "leverage": 5}}},
         [{"instId": SWAP, "lever": "5", "mgnMode": "isolated"}],
         {"mgnMode": "isolated", "instId": SWAP}, {(SWAP, "net"): "5"}),
    11: ("2", "long_short_mode", {}, {"settings": {"position_mode": "hedge"},
                                      "symbols": {SWAP: {"margin_mode": "isolated", "leverage": {"long": 5, "short": 4}}}},
         [{"instId": SWAP, "lever": "5", "mgnMode": "isolated", "posSide": "long"},
          {"instId": SWAP, "lever": "4", "mgnMode": "isolated", "posSide": "short"}],
         {"mgnMode": "isolated", "instId": SWAP}, {(SWAP, "long"): "5", (SWAP, "short"): "4"}),
}


@pytest.mark.parametrize("number", sorted(SCENARIOS))
def test_seed_set_leverage_scenario(number, start_sim, cli, tmp_path):
    level, pos_mode, config, block, bodies, query, levers = SCENARIOS[number]
    sim = start_sim({"okx": {"instruments": INSTRUMENTS,
                             "accounts": [venue_account("1", level, pos_mode, config=config)]}})
    path = desired(tmp_path, sim.url, {"1": block})

    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    planned = [call["body"] for change in json.loads(out)["changes"] for call in change["calls"]]
    assert sorted(planned, key=json.dumps) == sorted(bodies, key=json.dumps)

    sim.clear_calls("okx")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    sent = [(c["path"], c["body"], c["code"]) for c in writes(sim.calls("okx"))]
    assert sorted(sent, key=json.dumps) == sorted(
        [("/api/v5/account/set-leverage", body, "0") for body in bodies], key=json.dumps)

    api = python_okx(sim, "1")
    try:
        answer = api.get_leverage(**query)
    finally:
        api.close()
    assert answer["code"] == "0"
    assert {(row["instId"] or row["ccy"], row["posSide"]): row["lever"] for row in answer["data"]} == levers
    assert cli("plan", path, "--detailed-exitcode")[0] == 0  # nothing left to do


def test_margin_balance_with_and_without_ccy(start_sim, cli, tmp_path):
    """Seed okx-margin-balance: a contract position moves settleCcy without ccy; an isolated MARGIN
    position names the currency its margin is held in."""
    positions = [
        {"instId": SWAP, "mgnMode": "isolated", "posSide": "net", "pos": "2", "margin": "400", "avgPx": "60000"},
        {"instId": PAIR, "mgnMode": "isolated", "posSide": "net", "pos": "1", "margin": "0.2", "avgPx": "60000",
         "ccy": "BTC"},
    ]
    sim = start_sim({"okx": {"instruments": INSTRUMENTS, "accounts": [
        venue_account("1", "2", leverage={SWAP: {"isolated": "5"}, PAIR: {"isolated": "5"}}, positions=positions)]}})
    path = desired(tmp_path, sim.url, {"1": {"symbols": {
        SWAP: {"margin_mode": "isolated", "leverage": 5, "isolated_margin": 500},
        PAIR: {"margin_mode": "isolated", "leverage": 5, "isolated_margin": 0.3}}}})

    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    sent = sorted((c["body"] for c in writes(sim.calls("okx"))), key=json.dumps)
    assert sent == sorted([
        {"instId": SWAP, "posSide": "net", "type": "add", "amt": "100"},
        {"instId": PAIR, "posSide": "net", "type": "add", "amt": "0.1", "ccy": "BTC"},
    ], key=json.dumps)
    api = python_okx(sim, "1")
    try:
        rows = api.get_positions()["data"]
    finally:
        api.close()
    assert {(row["instId"], row["instType"], row["ccy"]): row["margin"] for row in rows} == {
        (SWAP, "SWAP", "USDT"): "500", (PAIR, "MARGIN", "BTC"): "0.3"}


def test_set_isolated_mode_for_contracts_and_margin(start_sim, cli, tmp_path):
    sim = start_sim({"okx": {"instruments": INSTRUMENTS, "accounts": [
        venue_account("1", "2", config={"ctIsoMode": "autonomy", "mgnIsoMode": "automatic"})]}})
    path = desired(tmp_path, sim.url, {"1": {"settings": {
        "isolated_transfer_mode": "automatic", "margin_isolated_transfer_mode": "auto_transfers_ccy"}}})

    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    changes = {c["id"]: (c["from"], c["to"], c["calls"][0]["body"]) for c in json.loads(out)["changes"]}
    assert changes == {
        "okx-1/isolated_transfer_mode": ("autonomy", "automatic", {"isoMode": "automatic", "type": "CONTRACTS"}),
        "okx-1/margin_isolated_transfer_mode": ("automatic", "auto_transfers_ccy",
                                                {"isoMode": "auto_transfers_ccy", "type": "MARGIN"}),
    }
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    api = python_okx(sim, "1")
    try:
        config = api.get_account_config()["data"][0]
    finally:
        api.close()
    assert (config["ctIsoMode"], config["mgnIsoMode"]) == ("automatic", "auto_transfers_ccy")


def test_trading_bots_block_account_settings_and_nothing_else(start_sim, cli, tmp_path):
    """okx.md 7: 59002 (sub-accounts) names trading bots among what blocks settings: a plan-time blocked item."""
    bots = [{"instId": SWAP, "algoOrdType": "contract_grid", "algoId": "901"}]
    sim = start_sim({"okx": {"instruments": INSTRUMENTS, "accounts": [
        venue_account("1", "2", config={"mainUid": "999", "ctIsoMode": "autonomy"}, bots=bots)]}})
    path = desired(tmp_path, sim.url, {"1": {"settings": {"isolated_transfer_mode": "automatic"},
                                             "symbols": {ETH_SWAP: {"margin_mode": "cross", "leverage": 4}}}})
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    by_id = {c["id"]: c for c in json.loads(out)["changes"]}
    assert by_id["okx-1/isolated_transfer_mode"]["status"] == "blocked"
    assert f"running contract_grid trading bot 901 {SWAP}" in by_id["okx-1/isolated_transfer_mode"]["reason"]
    assert by_id[f"okx-1/{ETH_SWAP}/leverage/cross"]["status"] == "change"  # bots lock no leverage

    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err  # all it could do was done; the blocked setting remains
    assert [(c["path"], c["body"]) for c in writes(sim.calls("okx"))] == [
        ("/api/v5/account/set-leverage", {"instId": ETH_SWAP, "lever": "4", "mgnMode": "cross"})]


def test_a_long_queue_does_not_outlive_exp_time(start_sim, cli, tmp_path):
    """Each write is signed (and given its 5 s expTime) as it leaves the pacer, not when it is queued."""
    coins = [f"C{i}" for i in range(14)]
    swaps = [{"instId": f"{c}-USDT-SWAP", "instType": "SWAP", "instFamily": f"{c}-USDT", "lever": "50",
              "settleCcy": "USDT", "ctVal": "1"} for c in coins]
    sim = start_sim({"okx": {"instruments": swaps, "accounts": [venue_account("1", "2")]}})
    path = desired(tmp_path, sim.url, {"1": {
        "rate_limits": {"POST /api/v5/account/set-leverage": "2/1s"},   # 14 writes: about 7 s of queue
        "symbols": {f"{c}-USDT-SWAP": {"margin_mode": "cross", "leverage": 3} for c in coins}}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert [c["code"] for c in writes(sim.calls("okx"))] == ["0"] * len(coins)


def test_import_writes_margin_pairs_and_currency_leverage_as_they_are(start_sim, cli, tmp_path):
    sim = start_sim({"okx": {"instruments": INSTRUMENTS, "accounts": [venue_account(
        "1", "3", config={"mgnIsoMode": "auto_transfers_ccy"},
        leverage={PAIR: {"isolated": "7"}, "BTC": {"cross": "3"}})]}})
    path = desired(tmp_path, sim.url, {"1": {"symbols": {PAIR: {"margin_mode": "isolated", "leverage": 2}},
                                             "currencies": {"BTC": {"leverage": 9}}}})
    code, out, err = cli("import", path, "--account", "okx-1")
    assert code == 0, err
    block = yaml.safe_load(out)["accounts"]["okx-1"]
    assert block["symbols"] == {PAIR: {"margin_mode": "isolated", "leverage": 7}}
    assert block["currencies"] == {"BTC": {"leverage": 3}}
    assert block["settings"]["margin_isolated_transfer_mode"] == "auto_transfers_ccy"
    imported = tmp_path / "imported.yaml"
    imported.write_text(out)
    assert cli("plan", imported, "--detailed-exitcode")[0] == 0  # what was imported is what holds
