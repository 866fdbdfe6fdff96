"""Checks that do not lie: a pattern that matches nothing fails a drift check, and a narrowed apply says what
it verified and that the rest of the file was not looked at."""

from __future__ import annotations

import json

import pytest

from conftest import write_yaml, writes
from test_bitget_e2e import KEY

OTHER_KEY = {"api_key": "bk-second", "secret": "bitget-secret-second", "passphrase": "bitget-pass-second",
             "uid": "2002"}
SYMBOLS = ("BTCUSDT", "ETHUSDT")


def world(symbols=SYMBOLS) -> dict:
    """Two Bitget accounts (KEY, OTHER_KEY), one-way mode, every symbol cross at 10x, nothing open."""
    contracts = [{"symbol": s, "productType": "USDT-FUTURES", "baseCoin": s[:-4], "quoteCoin": "USDT",
                  "minLever": "1", "maxLever": "100", "supportMarginCoins": ["USDT"]} for s in symbols]
    accounts = [{**key, "position_modes": {"USDT-FUTURES": "one_way_mode"}, "balances": {"USDT": "1000"},
                 "positions": [], "orders": [],
                 "symbols": {s: {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": "10",
                                 "isolatedLongLever": "10", "isolatedShortLever": "10"} for s in symbols}}
                for key in (KEY, OTHER_KEY)]
    return {"bitget": {"contracts": contracts, "accounts": accounts}}


def account(url, key, symbols) -> dict:
    return {"venue": "bitget", "environment": "sim", "base_url": url, "product_type": "USDT-FUTURES",
            "credentials": {k: key[k] for k in ("api_key", "secret", "passphrase")}, "symbols": symbols}


@pytest.fixture
def sim(start_sim):
    return start_sim(world())


def test_a_pattern_that_matches_nothing_fails_the_drift_check_and_is_named(sim, cli, tmp_path):
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"bg": account(sim.url, KEY, {
        "BTCUSDT": {"margin_mode": "cross", "leverage": 10},
        "ETHUSTD*": {"margin_mode": "cross", "leverage": 10}})}})  # a typo: ETHUSDT is left unmanaged
    code, out, err = cli("plan", path, "--detailed-exitcode")
    assert code == 2, out + err
    assert "Everything in the file holds" not in out
    assert "1 pattern matches no instrument: 'ETHUSTD*' (bg, " in out.splitlines()[-1]
    assert cli("plan", path, "--detailed-exitcode", "--allow-empty-patterns")[0] == 0
    assert cli("plan", path)[0] == 0  # without --detailed-exitcode a plan that read everything succeeds

    code, out, _ = cli("plan", path, "--format", "json", "--detailed-exitcode")
    assert code == 2
    (empty,) = json.loads(out)["summary"]["empty_patterns"]
    assert (empty["account"], empty["pattern"]) == ("bg", "ETHUSTD*") and empty["where"].startswith(str(path))
    code, out, _ = cli("plan", path, "--format", "markdown")
    assert "'ETHUSTD*' (bg, " in out and "Everything in the file holds" not in out
    assert writes(sim.calls("bitget")) == []


def test_a_pattern_that_matches_is_no_work_and_changes_still_count(sim, cli, tmp_path):
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"bg": account(sim.url, KEY, {
        "*USDT": {"margin_mode": "cross", "leverage": 10}})}})
    code, out, _ = cli("plan", path, "--detailed-exitcode")
    assert code == 0 and "No changes. Everything in the file holds (4 settings in sync)." in out
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"bg": account(sim.url, KEY, {
        "*USDT": {"margin_mode": "cross", "leverage": 12}, "QQ*": {"leverage": 3}})}})
    code, out, _ = cli("plan", path, "--detailed-exitcode", "--allow-empty-patterns")
    assert code == 2  # the changes are work, whatever the flag says of patterns
    assert out.splitlines()[-1].startswith("Plan: 2 to change") and "'QQ*' (bg, " in out.splitlines()[-1]


def test_a_narrowed_apply_says_what_it_verified_and_that_the_rest_was_not_looked_at(sim, cli, tmp_path):
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {
        "bg": account(sim.url, KEY, {s: {"margin_mode": "cross", "leverage": 20} for s in SYMBOLS}),
        "bg-other": account(sim.url, OTHER_KEY, {s: {"margin_mode": "cross", "leverage": 30} for s in SYMBOLS})}})
    code, out, err = cli("apply", path, "--account", "bg", "--symbol", "BTCUSDT", "--auto-approve")
    assert code == 0, out + err
    assert "everything in the file now holds" not in out
    assert ("Verified: everything --account bg --symbol BTCUSDT chose now holds (bg: BTCUSDT and its account "
            "settings). The rest of the file was not looked at") in out
    sent = writes(sim.calls("bitget"))
    assert [(c["account"], c["body"]["symbol"]) for c in sent] == [(KEY["uid"], "BTCUSDT")]
    code, out, _ = cli("plan", path, "--detailed-exitcode")  # and indeed the rest still differs
    assert code == 2 and "Plan: 3 to change" in out

    code, out, _ = cli("plan", path, "--account", "bg", "--symbol", "BTCUSDT")
    assert "Everything --account bg --symbol BTCUSDT chose holds" in out and "the rest of the file was not read" in out
