"""Values no venue can hold, and addresses a file must not send to: refused offline by `validate` and by `plan`
(before any request), or at plan time from the venue's listing before anything is written anywhere."""

from __future__ import annotations

import pytest

import test_okx_e2e as okx
import test_orderly_e2e as orderly
from hostile.edits import THREE_VENUES, replace, then, three_venue_world
from hostile.refusal import assert_nothing_written, assert_refused

BG, OX, OL = "accounts.bg", "accounts.ox", "accounts.ol"
SOL_LEVERAGE = "leverage: 5}\n      ETHUSDT"


def bitget_coin(coin: str, symbol_line: str = "SOLUSDT: {margin_mode: cross, leverage: 5"):
    return replace(symbol_line, f"{symbol_line}, margin_coin: {coin}")


def okx_leverage(value: str):
    return replace(f"{okx.FUT1}: {{margin_mode: cross, leverage: 7}}", f"{okx.FUT1}: {{margin_mode: cross, leverage: {value}}}")


def margin(value: str):
    return replace("isolated_margin: {min: 400, max: 600}", f"isolated_margin: {value}")


def every_url(url: str):
    return lambda text: text.replace(text.split("base_url: ")[1].split("\n")[0], url)


def bitget_url(url: str):
    return lambda text: text.replace(text.split("base_url: ")[1].split("\n")[0], url, 1)


def bitget_environment(environment: str):
    return replace("environment: sim", f"environment: {environment}")


LIVE_CREDENTIALS = replace("api_key: bk-7d2e, secret: bitget-secret-5f3a, passphrase: bitget-pass-9c1e",
                           'api_key: "${BG_KEY}", secret: "${BG_SECRET}", passphrase: "${BG_PASS}"')
SIMULATOR = replace("version: 1\n", "version: 1\nsimulator: {world: world.yaml}\n")

# Each case: an edit of THREE_VENUES, and what the one line must say (offline: validate and plan alike).
OFFLINE = {
    # where a file may send
    "simulator with a live account": (then(SIMULATOR, bitget_environment("live"), LIVE_CREDENTIALS,
                                           bitget_url("https://api.bitget.com")),
                                      [f"{BG}.environment", "simulator: block", "environment: sim"]),
    "simulator with a demo account": (then(SIMULATOR, bitget_environment("demo"), LIVE_CREDENTIALS,
                                           bitget_url("https://api.bitget.com")),
                                      [f"{BG}.environment", "environment: demo in a file with a simulator"]),
    "live over plain http": (then(bitget_environment("live"), LIVE_CREDENTIALS, bitget_url("http://api.bitget.com")),
                             [f"{BG}.base_url", "environment: live needs an https:// base_url"]),
    "demo over plain http": (then(bitget_environment("demo"), LIVE_CREDENTIALS, bitget_url("http://api.bitget.com")),
                             [f"{BG}.base_url", "environment: demo needs an https:// base_url"]),
    "sim without base_url or simulator": (lambda text: text.replace(text.split("    base_url: ")[1].split("\n")[0], "", 1)
                                          .replace("    base_url: \n", "", 1),
                                          [f"desired.yaml:3: {BG}", "environment: sim needs base_url"]),
    **{f"sim sending to {host}": (bitget_url(url), [f"{BG}.base_url", "must be a loopback address", host])
       for host, url in [("10.0.0.5", "http://10.0.0.5:8800"), ("192.168.1.20", "http://192.168.1.20"),
                         ("api.bitget.com", "https://api.bitget.com"), ("0.0.0.0", "http://0.0.0.0:8800"),
                         ("169.254.169.254", "http://169.254.169.254/latest"),
                         ("localhost.example.com", "http://localhost.example.com:8800"),
                         ("127.0.0.1.nip.io", "http://127.0.0.1.nip.io:8800"), ("::ffff:8.8.8.8", "http://[::ffff:8.8.8.8]:80"),
                         ("8.8.8.8", "http://8.8.8.8:80")]},
    # Bitget product types and margin coins
    **{f"product type {value!r}": (replace("product_type: USDT-FUTURES", f"product_type: {value}"),
                                   [f"{BG}.product_type", "Bitget has no product type"])
       for value in ["USDT-PERP", "'USDT FUTURES'", "usdt_futures", "COIN-M", "MIX", "'USDT-FUTURES '", "UMCBL"]},
    "empty product type": (replace("product_type: USDT-FUTURES", "product_type: ''"), [f"{BG}.product_type"]),
    **{f"margin coin {coin} on USDT-FUTURES": (bitget_coin(coin), [f"{BG}.symbols.SOLUSDT.margin_coin",
                                                               "USDT-FUTURES contracts margin in USDT only"])
       for coin in ["USDC", "usdc", "BTC", "SUSDT", "USD"]},
    "margin coin on a pattern": (replace("      SOLUSDT:", '      "*USDT": {margin_mode: cross, margin_coin: BTC}\n      SOLUSDT:'),
                                 ["accounts.bg.symbols.*USDT.margin_coin", "margin in USDT only"]),
    "margin coin in defaults": (then(replace("    symbols:\n      SOLUSDT", "    defaults: {margin_coin: USDC}\n    symbols:\n      SOLUSDT"),
                                     replace("ETHUSDT: {margin_mode: isolated", "ETHUSDT: {margin_coin: USDT, margin_mode: isolated")),
                                ["margin_coin", "USDT-FUTURES contracts margin in USDT only"]),
    "USDT margin on USDC-FUTURES": (then(replace("product_type: USDT-FUTURES", "product_type: USDC-FUTURES"),
                                         bitget_coin("USDT")), ["USDC-FUTURES contracts margin in USDC only"]),
    "ETH margin for BTCUSD on COIN-FUTURES": (then(replace("product_type: USDT-FUTURES", "product_type: COIN-FUTURES"),
                                                   replace("SOLUSDT: {margin_mode: cross, leverage: 5",
                                                           "BTCUSD: {margin_mode: cross, leverage: 5, margin_coin: ETH")),
                                              [f"{BG}.symbols.BTCUSD.margin_coin", "base coin", "BTCUSD"]),
    "USD margin on COIN-FUTURES": (then(replace("product_type: USDT-FUTURES", "product_type: coin-futures"),
                                        replace("SOLUSDT: {margin_mode: cross, leverage: 5",
                                                "BTCUSD: {margin_mode: cross, leverage: 5, margin_coin: USD")),
                                   ["COIN-FUTURES contracts margin in their base coin"]),
    "margin coin on okx": (replace(f"{okx.FUT1}: {{margin_mode: cross, leverage: 7",
                                   f"{okx.FUT1}: {{margin_mode: cross, leverage: 7, margin_coin: USDT"),
                           [f"{OX}.symbols.{okx.FUT1}.margin_coin", "not a okx setting"]),
    "product type on orderly": (replace("    venue: orderly\n", "    venue: orderly\n    product_type: USDT-FUTURES\n"),
                                [f"{OL}.product_type", "not a orderly setting"]),
    # OKX leverage precision
    **{f"okx leverage {value}": (okx_leverage(value), [f"{OX}.symbols.{okx.FUT1}.leverage",
                                                       "okx accepts at most 2 decimals for leverage", value])
       for value in ["2.555", "0.001", "10.125", "7.0001"]},
    "okx per-side leverage 20.005": (replace("ETH-USDT-SWAP: {margin_mode: isolated, leverage: {long: 20,",
                                             "ETH-USDT-SWAP: {margin_mode: isolated, leverage: {long: 20.005,"),
                                     [f"{OX}.symbols.ETH-USDT-SWAP.leverage", "at most 2 decimals"]),
    "okx currency leverage 3.333": (replace("    settings: {position_mode: hedge}\n    symbols:\n      ETH-USDT-SWAP",
                                            "    currencies: {BTC: {leverage: 3.333}}\n    settings: {position_mode: hedge}\n"
                                            "    symbols:\n      ETH-USDT-SWAP"),
                                    [f"{OX}.currencies.BTC.leverage", "at most 2 decimals"]),
    "orderly leverage 2.5": (replace(f"{orderly.SOL}: {{margin_mode: cross, leverage: 5}}",
                                     f"{orderly.SOL}: {{margin_mode: cross, leverage: 2.5}}"),
                             [f"{OL}.symbols.{orderly.SOL}.leverage", "whole numbers only"]),
    "orderly leverage above the documented 100": (replace(f"{orderly.SOL}: {{margin_mode: cross, leverage: 5}}",
                                                          f"{orderly.SOL}: {{margin_mode: cross, leverage: 101}}"),
                                                  [f"{OL}.symbols.{orderly.SOL}.leverage",
                                                   "orderly accepts leverage up to 100 for any symbol (got 101)"]),
    # margin targets that would move everything out
    **{f"isolated margin {value}": (margin(value), [f"{BG}.symbols.ETHUSDT.isolated_margin", "must be a positive number"])
       for value in ["0", "0.0", "-0", "-5", "0E+3", "{long: 0, short: 5}", "{long: 5, short: -1}", "{min: 0, max: 0}",
                     "{min: -1, max: 600}"]},
    # numbers of absurd size
    "5,000-digit leverage": (replace(SOL_LEVERAGE, "leverage: " + "9" * 5000 + "}\n      ETHUSDT"),
                             [f"{BG}.symbols.SOLUSDT.leverage", "a number of 5000 characters", "at most 40 digits"]),
    "100-digit margin": (margin("1" + "0" * 99), [f"{BG}.symbols.ETHUSDT.isolated_margin", "at most 40 digits"]),
    "100-decimal leverage": (okx_leverage("1." + "1" * 100), ["at most 40 digits"]),
    "huge exponent": (okx_leverage("1.0e+999999999"), [f"{OX}.symbols.{okx.FUT1}.leverage", "exponent beyond 40"]),
    "tiny exponent": (margin("{min: 1.0e-999999, max: 600}"), ["isolated_margin.min", "exponent beyond 40"]),
    "5,000-digit version": (replace("version: 1", "version: " + "1" * 5000), ["desired.yaml:1: version", "at most 40 digits"]),
    "5,000-digit tolerance": (replace("max: 600}}", "max: 600}, tolerance: 0." + "5" * 5000 + "}"),
                              ["tolerance", "at most 40 digits"]),
}


@pytest.fixture
def sim(start_sim):
    return start_sim(three_venue_world())


def write(tmp_path, text: str):
    path = tmp_path / "desired.yaml"
    path.write_text(text)
    (tmp_path / "world.yaml").write_text("bitget: {contracts: [], accounts: []}\n")
    return path


def test_the_three_venue_file_plans(sim, cli, tmp_path):
    code, out, err = cli("plan", write(tmp_path, THREE_VENUES.format(url=sim.url)))
    assert code == 0, err
    assert "bg (bitget)" in out and "ox (okx)" in out and "ol (orderly)" in out


@pytest.mark.parametrize("command", ["validate", "plan"])
@pytest.mark.parametrize("case", list(OFFLINE))
def test_a_value_no_venue_can_hold_is_refused_offline(case, command, sim, cli, tmp_path, monkeypatch):
    for name in ("BG_KEY", "BG_SECRET", "BG_PASS"):
        monkeypatch.setenv(name, "x")
    edit, expected = OFFLINE[case]
    path = write(tmp_path, edit(THREE_VENUES.format(url=sim.url)))
    result = cli(command, path)
    assert_refused(result, "desired.yaml:", *expected, sims=[sim])
    assert result[1] == ""
    for venue in sim.server.venues:
        assert sim.calls(venue) == []  # not even a read


# Mistakes only the venue's listing shows: refused at plan time at the symbol's line, before any account is
# written (the other accounts of the file are fine and get nothing either).
PLAN_TIME = {
    "bitget leverage above the contract's 100": (replace("SOLUSDT: {margin_mode: cross, leverage: 5}",
                                                          "SOLUSDT: {margin_mode: cross, leverage: 150}"),
                                                  ["desired.yaml:11: accounts.bg.symbols.SOLUSDT: leverage 150 is above "
                                                   "SOLUSDT's maximum 100 on bitget"]),
    "bitget per-side leverage above the cap": (replace("leverage: {long: 20, short: 15}, isolated_margin",
                                                       "leverage: {long: 20, short: 101}, isolated_margin"),
                                               ["desired.yaml:12: accounts.bg.symbols.ETHUSDT: leverage 101 is above"]),
    "okx leverage above the instrument's 50": (okx_leverage("60"),
                                               [f"accounts.ox.symbols.{okx.FUT1}: leverage 60 is above", "maximum 50"]),
    "okx per-side leverage above the swap's 75": (replace("ETH-USDT-SWAP: {margin_mode: isolated, leverage: {long: 20,",
                                                          "ETH-USDT-SWAP: {margin_mode: isolated, leverage: {long: 80,"),
                                                  ["accounts.ox.symbols.ETH-USDT-SWAP: leverage 80 is above", "maximum 75"]),
    "orderly leverage above the symbol's maximum": (replace(f"{orderly.SOL}: {{margin_mode: cross, leverage: 5}}",
                                                            f"{orderly.NEAR}: {{margin_mode: cross, leverage: 20}}"),
                                                    [f"accounts.ol.symbols.{orderly.NEAR}: leverage 20 is above",
                                                     "maximum 10"]),
    "bitget leverage from a pattern above the cap": (replace("      SOLUSDT:", '      "X*": {margin_mode: cross, leverage: 150}\n      SOLUSDT:'),
                                                     ["desired.yaml:11: accounts.bg.symbols.X* (matching XRPUSDT): "
                                                      "leverage 150 is above XRPUSDT's maximum 100 on bitget"]),
    "bitget symbol not listed": (replace("SOLUSDT: {margin", "NOPEUSDT: {margin"),
                                 ["desired.yaml:11: accounts.bg.symbols.NOPEUSDT: NOPEUSDT is not a USDT-FUTURES contract"]),
    "bitget symbol of another product type": (replace("SOLUSDT: {margin", "BTCUSD: {margin"),
                                              ["accounts.bg.symbols.BTCUSD: BTCUSD is not a USDT-FUTURES contract"]),
    "okx instrument not listed": (replace(f"{okx.FUT1}: {{margin", "NOPE-USDT-SWAP: {margin"),
                                  ["accounts.ox.symbols.NOPE-USDT-SWAP: NOPE-USDT-SWAP is not an instrument OKX lists"]),
    "okx instrument in lower case": (replace("ETH-USDT-SWAP: {margin", "eth-usdt-swap: {margin"),
                                     ["accounts.ox.symbols.eth-usdt-swap", "not an OKX SWAP, FUTURES or MARGIN"]),
    "okx option id": (replace(f"{okx.FUT1}: {{margin", "BTC-USD-261225-60000-C: {margin"),
                      ["accounts.ox.symbols.BTC-USD-261225-60000-C", "not an OKX SWAP, FUTURES or MARGIN"]),
    "orderly symbol not listed": (replace(f"{orderly.SOL}: {{margin", "PERP_NOPE_USDC: {margin"),
                                  ["accounts.ol.symbols.PERP_NOPE_USDC: PERP_NOPE_USDC is not a symbol Orderly lists"]),
    "a cyrillic letter in a symbol": (replace("SOLUSDT: {margin", "SOLUSD\u0422: {margin"),
                                      ["desired.yaml:11: accounts.bg.symbols.SOLUSD\u0422", "not a USDT-FUTURES contract"]),
    "a zero-width space in a symbol": (replace("SOLUSDT: {margin", "SOL\u200bUSDT: {margin"),
                                       ["desired.yaml:11:", "not a USDT-FUTURES contract"]),
    "a symbol in NFD": (replace("ETH-USDT-SWAP: {margin", "E\u0301TH-USDT-SWAP: {margin"),
                        ["accounts.ox.symbols.E\u0301TH-USDT-SWAP", "not an instrument OKX lists"]),
    "orderly symbol in bitget spelling": (replace(f"{orderly.SOL}: {{margin", "SOLUSDC: {margin"),
                                          ["accounts.ol.symbols.SOLUSDC", "not a symbol Orderly lists"]),
}


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("case", list(PLAN_TIME))
def test_a_mistake_only_the_listing_shows_is_refused_before_anything_is_written(case, command, sim, cli, tmp_path):
    edit, expected = PLAN_TIME[case]
    path = write(tmp_path, edit(THREE_VENUES.format(url=sim.url)))
    args = ["plan", path] if command == "plan" else ["apply", path, "--auto-approve"]
    result = cli(*args)
    assert_refused(result, *expected, sims=[sim])
    assert result[1] == ""
    assert_nothing_written(sim)
