"""Defaults, symbol patterns and excludes: matched against what the venue lists, end to end and pure."""

from __future__ import annotations

import json
import re

import pytest
import yaml

import test_bitget_e2e as bitget
from reconciler.errors import ConfigError
from reconciler.model import AccountSpec, PatternSpec, SymbolSpec
from reconciler.patterns import expand, syntax_problem, unmatched_text
from test_readme_examples import fenced

KEY = bitget.KEY
BTC_ETH = ["BTCUSDT", "ETHUSDT"]
ALTS = [f"{a}{b}{c}USDT" for a in "ACDMZ" for b in "AEIOU" for c in "KLMNPRSTVX"]  # 250 ids
MEMES = ["1000PEPEUSDT", "1000BONKUSDT", "1000SATSUSDT"]
NOT_TRADING = {"CAXUSDT": "maintain", "ZUXUSDT": "restrictedAPI"}  # listed, but not trading
LISTED = BTC_ETH + ALTS + MEMES + ["ETHPERPUSDT", "BTCUSDC"]
# A VIP tier in both the simulator and the file, so that reading 250 symbols per step takes no 25 s.
FAST = {f"{method} /api/v2/mix/{path}": "1000/1s" for method, path in (
    ("GET", "account/account"), ("GET", "position/all-position"), ("GET", "order/orders-pending"),
    ("GET", "order/orders-plan-pending"), ("POST", "account/set-leverage"), ("POST", "account/set-margin-mode"))}


def world(start: dict | None = None) -> dict:
    """A Bitget world of a few hundred contracts; every symbol isolated at 5x unless `start` says otherwise."""
    start = start or {}
    contracts = [{"symbol": s, "productType": "USDT-FUTURES", "baseCoin": s[:-4], "quoteCoin": "USDT",
                  "minLever": "1", "maxLever": "50", "supportMarginCoins": ["USDT"],
                  "symbolStatus": NOT_TRADING.get(s, "normal")} for s in LISTED]
    symbols = {s: {"marginCoin": "USDT", "marginMode": "isolated", "crossedMarginLeverage": "5",
                   "isolatedLongLever": "5", "isolatedShortLever": "5", **start.get(s, {})} for s in LISTED}
    return {"rate_limits": FAST, "bitget": {"contracts": contracts, "accounts": [{
        **KEY, "position_modes": {"USDT-FUTURES": "one_way_mode"}, "balances": {"USDT": "100000"},
        "symbols": symbols, "positions": [], "orders": []}]}}


def readme_file(tmp_path, url) -> str:
    """The README's pattern example, pointed at the simulator (the only change: where and with what key)."""
    block = next(b for b in fenced("yaml") if "exclude:" in b and "defaults:" in b)
    assert len(block.strip().splitlines()) < 15
    document = yaml.safe_load(block)
    account = document["accounts"]["bitget-alts"]
    account.update(environment="sim", base_url=url, rate_limits=FAST,
                   credentials={k: KEY[k] for k in ("api_key", "secret", "passphrase")})
    return bitget.write_yaml(tmp_path / "desired.yaml", document)


def expected_symbols() -> set[str]:
    trading = [s for s in LISTED if s not in NOT_TRADING]
    return {s for s in trading if s.endswith("USDT") and not s.startswith("1000") and "PERP" not in s}


def planned_symbols(plan: dict) -> set[str]:
    ids = plan["in_sync"] + [c["id"] for c in plan["changes"]]
    return {item.split("/")[1] for item in ids if item.count("/") >= 2}


def test_the_readme_example_plans_exactly_the_listed_trading_symbols_it_matches(start_sim, cli, tmp_path):
    sim = start_sim(world({"BTCUSDT": {"marginMode": "crossed", "crossedMarginLeverage": "20"}}))
    code, out, err = cli("plan", readme_file(tmp_path, sim.url), "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert planned_symbols(plan) == expected_symbols()
    assert len(expected_symbols()) > 240
    changes = {c["symbol"]: c for c in plan["changes"]}
    a_to_c = {s for s in expected_symbols() if s[0] in "ABC" and s != "BTCUSDT"}
    assert set(changes) == a_to_c  # only the [A-C]*USDT ones differ: 5 -> 3
    assert {(c["field"], c["from"], c["to"], c["source"]) for c in changes.values()} == {
        ("leverage", "5", "3", "*USDT + [A-C]*USDT")}
    assert not any(c["method"] != "GET" for c in sim.calls("bitget"))


def test_the_compact_import_round_trips_in_a_few_lines(start_sim, cli, tmp_path):
    sim = start_sim(world({"BTCUSDT": {"marginMode": "crossed", "crossedMarginLeverage": "20"},
                           "DAKUSDT": {"isolatedLongLever": "7", "isolatedShortLever": "7"}}))
    desired = readme_file(tmp_path, sim.url)
    code, out, err = cli("apply", desired, "--auto-approve")
    assert code == 0, out + err
    code, imported, err = cli("import", desired, "--account", "bitget-alts", "--compact")
    assert code == 0, err
    document = yaml.safe_load(imported)
    account = document["accounts"]["bitget-alts"]
    assert account["defaults"] == {"margin_mode": "isolated", "leverage": 5}
    assert account["exclude"] == ["1000*", "*PERP*"]
    written = {k for k in account["symbols"] if not re.search(r"[*?\[]", k)}
    assert written == {"BTCUSDT"}  # the patterns say the rest
    assert account["symbols"]["[A-C]*USDT"] == {"leverage": 3}
    assert len(imported.splitlines()) < 40  # block style, rate limits included
    again = tmp_path / "imported.yaml"
    again.write_text(imported)
    code, out, err = cli("plan", str(again), "--format", "json", "--detailed-exitcode")
    assert code == 0, out + err  # in sync
    assert planned_symbols(json.loads(out)) == expected_symbols()


def test_two_patterns_setting_one_field_differently_are_refused_and_nothing_is_sent(start_sim, cli, tmp_path):
    sim = start_sim(world())
    desired = bitget.config(tmp_path, sim.url, settings={}, rate_limits=FAST, symbols={
        "*USDT": {"margin_mode": "isolated", "leverage": 5}, "D*": {"leverage": 8}})
    code, out, err = cli("apply", desired, "--auto-approve")
    assert code == 1
    assert re.search(r"desired\.yaml:\d+: patterns '\*USDT' \(.*desired\.yaml:\d+\) and 'D\*' both match "
                     r"DAKUSDT \(and \d+ more\) and set leverage to different values", err)
    assert not any(c["method"] != "GET" for c in sim.calls("bitget"))


def test_an_explicit_key_wins_and_a_pattern_matching_nothing_is_a_note(start_sim, cli, tmp_path):
    sim = start_sim(world())
    desired = bitget.config(tmp_path, sim.url, settings={}, rate_limits=FAST, defaults={"margin_mode": "isolated"}, symbols={
        "btcusdt": {"leverage": 9}, "[ab]*usdt": {"leverage": 4}, "QQ*": {"leverage": 2}})
    code, out, err = cli("plan", desired, "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    leverage = {c["symbol"]: (c["to"], c["source"]) for c in plan["changes"]}
    assert leverage["BTCUSDT"] == ("9", "BTCUSDT")
    assert leverage["AAKUSDT"] == ("4", "[AB]*USDT")
    assert planned_symbols(plan) == {s for s in LISTED if s[0] in "AB" and s.endswith("USDT")
                                     and s not in NOT_TRADING} | {"BTCUSDT"}
    assert any("'QQ*'" in note["text"] and "matches no instrument" in note["text"] for note in plan["notes"])


def test_symbol_narrows_to_a_matched_symbol_and_refuses_one_that_no_pattern_matches(start_sim, cli, tmp_path):
    sim = start_sim(world())
    desired = bitget.config(tmp_path, sim.url, settings={}, rate_limits=FAST, symbols={"A*": {"margin_mode": "cross"}})
    code, out, err = cli("plan", desired, "--symbol", "AEKUSDT", "--format", "json")
    assert code == 0, err
    assert planned_symbols(json.loads(out)) == {"AEKUSDT"}
    code, out, err = cli("plan", desired, "--symbol", "ANOTHERUSDT")
    assert code == 1 and "no symbol ANOTHERUSDT in the file, nor among the instruments its patterns match" in err


def test_validate_counts_patterns_and_refuses_an_unclosed_set(cli, tmp_path):
    good = bitget.config(tmp_path, "http://127.0.0.1:1", settings={}, symbols={"*USDT": {}, "BTCUSDT": {}},
                         exclude=["1000*"])
    code, out, err = cli("validate", good)
    assert code == 0 and "1 symbols, 1 patterns matched at plan time" in out
    bad = bitget.config(tmp_path, "http://127.0.0.1:1", settings={}, symbols={"[AB*USDT": {}},
                        exclude=["[Z"])
    code, out, err = cli("validate", bad)
    assert code == 1
    assert re.search(r"desired\.yaml:\d+: accounts\.bg\.symbols\.\[AB\*USDT: the pattern '\[AB\*USDT' has an "
                     r"unclosed '\['", err)
    assert re.search(r"desired\.yaml:\d+: accounts\.bg\.exclude\.0: the pattern '\[Z' has an unclosed", err)


def test_a_pattern_entry_is_checked_at_load_time_with_the_defaults_it_inherits(cli, tmp_path):
    bad = bitget.config(tmp_path, "http://127.0.0.1:1", settings={}, defaults={"margin_mode": "cross"},
                        symbols={"*USDT": {"isolated_margin": 100}})
    code, out, err = cli("validate", bad)
    assert code == 1 and "symbols.*USDT.isolated_margin: isolated_margin needs margin_mode: isolated" in err


# --- pure ----------------------------------------------------------------------------------------

def account(patterns, symbols=(), exclude=(), defaults=None) -> AccountSpec:
    return AccountSpec("a", "okx", "sim", None, {}, {}, {s: SymbolSpec(s, source=s) for s in symbols},
                       defaults=defaults or {}, exclude=list(exclude),
                       patterns=[PatternSpec(p, p, values, f"f.yaml:{n}") for n, (p, values) in
                                 enumerate(patterns.items(), 1)])


def build(symbol, raw, source):
    return SymbolSpec(symbol, leverage=raw.get("leverage"), margin_mode=raw.get("margin_mode"), source=source)


def test_expand_adds_matches_keeps_explicit_keys_and_applies_defaults():
    original = account({"*-SWAP": {"leverage": 3}, "X*": {}}, symbols=["BTC-USDT-SWAP"],
                       defaults={"margin_mode": "cross"}, exclude=["DOGE*"])
    spec, unmatched = expand(original, ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "DOGE-USDT-SWAP", "BTC-USDT"], build)
    assert list(spec.symbols) == ["BTC-USDT-SWAP", "ETH-USDT-SWAP"]
    assert spec.symbols["BTC-USDT-SWAP"].leverage is None  # the explicit key, untouched
    eth = spec.symbols["ETH-USDT-SWAP"]
    assert (eth.leverage, eth.margin_mode, eth.source) == (3, "cross", "*-SWAP")
    assert [unmatched_text(original, p) for p in unmatched] == [
        "pattern 'X*' (f.yaml:2) matches no instrument okx lists for this account after exclude"]
    assert spec.patterns == []


def test_expand_merges_agreeing_patterns_and_refuses_disagreeing_ones_once_per_pair():
    spec, _ = expand(account({"*": {"margin_mode": "cross"}, "B*": {"leverage": 2}}), ["BTC", "BCH"], build)
    assert (spec.symbols["BTC"].margin_mode, spec.symbols["BTC"].leverage) == ("cross", 2)
    with pytest.raises(ConfigError) as refused:
        expand(account({"*": {"leverage": 1}, "B*": {"leverage": 2}}), ["BTC", "BCH", "ETH"], build)
    assert refused.value.messages == ["f.yaml:2: patterns '*' (f.yaml:1) and 'B*' both match BTC (and 1 more) "
                                      "and set leverage to different values; write the symbol out, or narrow a "
                                      "pattern, or exclude it"]


def test_syntax_problem_finds_only_unclosed_sets():
    assert syntax_problem("[A-C]*") is None and syntax_problem("*?") is None
    assert "unclosed" in syntax_problem("[A-C*")
