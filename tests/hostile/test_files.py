"""Hostile desired-state files: each ends in exit 1, one line naming file, line and key, and no request sent."""

from __future__ import annotations

import codecs
import gzip

import pytest

from reconciler.venues.bitget import BitgetAdapter
from hostile.edits import replace
from hostile.refusal import assert_one_clear_line, assert_refused
from test_bitget_e2e import world

GOOD = """\
version: 1
accounts:
  bg:
    venue: bitget
    environment: sim
    base_url: {url}
    product_type: USDT-FUTURES
    credentials:
      api_key: bk-7d2e
      secret: bitget-secret-5f3a
      passphrase: bitget-pass-9c1e
    settings:
      position_mode: hedge
    symbols:
      SOLUSDT:
        margin_mode: cross
        leverage: 5
      ETHUSDT:
        margin_mode: isolated
        leverage: {{long: 20, short: 15}}
        isolated_margin: {{min: 400, max: 600}}
"""
LEVERAGE = "desired.yaml:17: accounts.bg.symbols.SOLUSDT.leverage"
BAND = "desired.yaml:21: accounts.bg.symbols.ETHUSDT.isolated_margin"
ORDERLY = """\
  ol:
    venue: orderly
    environment: sim
    base_url: {url}
    credentials: {{account_id: "0x5e3f", secret: 44skGk1iDAdAhENCjn46AJ7t46LnDDRDwGZwhKnJFUH1}}
    symbols:
      PERP_BTC_USDC: {{margin_mode: cross, leverage: 3.5}}
"""


def leverage(value: str):
    return replace("leverage: 5\n", f"leverage: {value}\n")


def add_account_key(line: str):
    return replace("    symbols:\n", f"    {line}\n    symbols:\n")


def encoded(codec: str):
    return lambda text: text.encode(codec)


def nested(depth: int):
    return lambda text: text + "deep: " + "[" * depth + "]" * depth + "\n"


BILLION_LAUGHS = "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n" for i in range(10))

CASES = {
    # YAML 1.1 numbers that mean something else
    "sexagesimal leverage": (leverage("1:20"), [LEVERAGE, "sexagesimal", "read as 80"]),
    "octal leverage": (leverage("010"), [LEVERAGE, "octal", "read as 8"]),
    "negative octal leverage": (leverage("-010"), [LEVERAGE, "octal"]),
    "hex leverage": (leverage("0x1F"), [LEVERAGE, "hexadecimal", "read as 31"]),
    "signed hex leverage": (leverage("+0x0A"), [LEVERAGE, "hexadecimal"]),
    "binary leverage": (leverage("0b11"), [LEVERAGE, "binary", "read as 3"]),
    "underscore leverage": (leverage("1_0"), [LEVERAGE, "underscores", "read as 10"]),
    "sexagesimal float leverage": (leverage("1:20.5"), [LEVERAGE, "sexagesimal"]),
    "underscore float leverage": (leverage("1_0.5"), [LEVERAGE, "underscores"]),
    "octal margin band": (replace("min: 400", "min: 0400"), [BAND + ".min", "octal"]),
    "hex margin band": (replace("max: 600", "max: 0x258"), [BAND + ".max", "hexadecimal"]),
    "sexagesimal margin band": (replace("max: 600", "max: 10:00"), [BAND + ".max", "sexagesimal"]),
    "hex per-side leverage": (replace("long: 20", "long: 0x14"),
                              ["desired.yaml:20: accounts.bg.symbols.ETHUSDT.leverage.long", "hexadecimal"]),
    "underscore tolerance": (replace("max: 600}\n", "max: 600}\n        tolerance: 0_5\n"),
                             ["desired.yaml:22: accounts.bg.symbols.ETHUSDT.tolerance", "underscores"]),
    "hex version": (replace("version: 1", "version: 0x1"), ["desired.yaml:1: version", "hexadecimal"]),
    # values the venue cannot hold
    "fractional bitget leverage": (leverage("2.5"), [LEVERAGE, "bitget accepts whole numbers only", "2.5"]),
    "fractional bitget per-side leverage": (replace("long: 20", "long: 20.5"),
                                            ["accounts.bg.symbols.ETHUSDT.leverage", "whole numbers only"]),
    "fractional orderly leverage": (lambda text: text + ORDERLY.format(url="http://127.0.0.1:9"),
                                    ["desired.yaml:28: accounts.ol.symbols.PERP_BTC_USDC.leverage",
                                     "orderly accepts whole numbers only", "3.5"]),
    # numbers that are not numbers
    "infinite leverage": (leverage(".inf"), [LEVERAGE, "must be a positive number"]),
    "nan leverage": (leverage(".nan"), [LEVERAGE, "must be a positive number"]),
    "negative leverage": (leverage("-5"), [LEVERAGE, "must be a positive number"]),
    "zero leverage": (leverage("0"), [LEVERAGE, "must be a positive number"]),
    "boolean leverage": (leverage("yes"), [LEVERAGE, "must be a positive number"]),
    "quoted leverage": (leverage('"5"'), [LEVERAGE, "must be a positive number"]),
    "exponent without dot": (leverage("1e3"), [LEVERAGE, "must be a positive number"]),
    "empty leverage": (leverage(""), [LEVERAGE, "must be a positive number"]),
    "negative margin band": (replace("min: 400", "min: -1"), [BAND, "must be"]),
    "negative tolerance": (replace("max: 600}\n", "max: 600}\n        tolerance: -0.5\n"),
                           ["desired.yaml:22: accounts.bg.symbols.ETHUSDT.tolerance", "at least 0"]),
    # encodings and bytes that are not UTF-8 YAML
    "utf-16 le with bom": (lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), ["desired.yaml:1:", "UTF-8"]),
    "utf-16 be with bom": (lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), ["desired.yaml:1:", "UTF-8"]),
    "utf-16 without bom": (encoded("utf-16-le"), ["desired.yaml:1:", "UTF-16"]),
    "utf-32": (encoded("utf-32"), ["desired.yaml:1:", "UTF-8"]),
    "latin-1 comment": (lambda text: (text + "# caf\u00e9\n").encode("latin-1"), ["desired.yaml:22:", "not UTF-8", "0xe9"]),
    "lone 0xff byte": (lambda text: text.encode() + b"\xff\n", ["desired.yaml:22:", "not UTF-8"]),
    "png image": (lambda text: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["desired.yaml:3:", "binary"]),
    "gzip archive": (lambda text: gzip.compress(text.encode()), ["desired.yaml:", "binary" ]),
    "nul byte in a value": (replace("secret: bitget-secret-5f3a", "secret: bitget\0secret"), ["desired.yaml:10:", "NUL"]),
    "control character": (replace("secret: bitget-secret-5f3a", "secret: bitget\x01secret"),
                          ["desired.yaml:10:", "U+0001 is not allowed"]),
    "escape character": (replace("passphrase: bitget-pass-9c1e", "passphrase: \x1b[31m"),
                         ["desired.yaml:11:", "U+001B is not allowed"]),
    # YAML features this file does not use
    "merge key in a symbol": (replace("      SOLUSDT:\n", "      SOLUSDT:\n        <<: {margin_mode: cross}\n"),
                              ["desired.yaml:16: accounts.bg.symbols.SOLUSDT", "merge keys (<<)"]),
    "merge key from an anchor": (
        replace("      ETHUSDT:\n", "      ADAUSDT: &defaults {margin_mode: cross}\n      ETHUSDT:\n        <<: *defaults\n"),
        ["desired.yaml:20: accounts.bg.symbols.ETHUSDT", "merge keys"]),
    "unknown local tag": (leverage("!lev 5"), [LEVERAGE, "unknown tag !lev"]),
    "python object tag": (leverage("!!python/object/apply:os.system ['true']"), [LEVERAGE, "unknown tag"]),
    "binary tag": (replace("secret: bitget-secret-5f3a", "secret: !!binary aGk="),
                   ["desired.yaml:10: accounts.bg.credentials.secret", "unknown tag"]),
    "set tag": (replace("    symbols:\n", "    symbols: !!set\n"), ["desired.yaml:14: accounts.bg.symbols", "unknown tag"]),
    "custom mapping tag": (replace("      SOLUSDT:\n", "      SOLUSDT: !spec\n"), ["accounts.bg.symbols.SOLUSDT", "unknown tag !spec"]),
    "omap tag": (replace("accounts:\n", "accounts: !!omap\n"), ["desired.yaml:2: accounts", "unknown tag"]),
    "two documents": (lambda text: text + "---\nversion: 1\n", ["desired.yaml:22:", "more than one YAML document"]),
    "nesting ten thousand deep": (nested(10_000), ["desired.yaml:22:", "nested more than 32 levels"]),
    "nesting a million deep": (nested(1_000_000), ["desired.yaml:22:", "nested more than 32 levels"]),
    "billion laughs": (lambda text: text + BILLION_LAUGHS, ["desired.yaml:", "alias bomb"]),
    "recursive alias": (lambda text: text + "loop: &loop [*loop]\n", ["desired.yaml:22: loop.0", "alias *loop"]),
    "undefined alias": (leverage("*nowhere"), [LEVERAGE, "alias *nowhere names no anchor"]),
    "list as a key": (replace("      SOLUSDT:\n", "      ? [SOLUSDT]\n"), ["accounts.bg.symbols", "a key must be text"]),
    "duplicate key": (replace("        leverage: 5\n", "        leverage: 5\n        leverage: 6\n"),
                      ["desired.yaml:18: accounts.bg.symbols.SOLUSDT.leverage", "key given twice"]),
    "top-level list": (lambda text: "- version: 1\n", ["desired.yaml:1: (top level)"]),
    "top-level text": (lambda text: "just some words\n", ["desired.yaml:1: (top level)"]),
    "empty file": (lambda text: "", ["desired.yaml:1: the file is empty"]),
    "only comments": (lambda text: "# nothing here\n", ["desired.yaml:1: the file is empty"]),
    "only a document marker": (lambda text: "---\n", ["desired.yaml:1: the file is empty"]),
    "unclosed bracket": (leverage("[5"), ["desired.yaml:", "not valid YAML"]),
    "tab indentation": (replace("        leverage: 5", "\tleverage: 5"), ["desired.yaml:17", "not valid YAML"]),
    "larger than 32 MiB": (lambda text: text + ("#" * 1023 + "\n") * 33 * 1024, ["desired.yaml:", "32 MiB"]),
    # keys and values the schema and the venue rules refuse
    "300-character account name": (replace("  bg:\n", "  " + "a" * 300 + ":\n"),
                                   ["desired.yaml:3: accounts." + "a" * 300, "300 characters long; at most 64"]),
    "account name with a space": (replace("  bg:\n", "  'b g':\n"), ["desired.yaml:3: accounts.b g", "may use only"]),
    "account name with a newline": (replace("  bg:\n", '  "b\\ng":\n'), ["desired.yaml:3:", "may use only"]),
    "300-character symbol": (replace("      SOLUSDT:\n", "      " + "S" * 300 + ":\n"),
                             ["desired.yaml:15:", "300 characters long"]),
    "zero requests per second": (add_account_key("rate_limits: {GET /api/v2/mix/account/accounts: 0/1s}"),
                                 ["desired.yaml:14: accounts.bg.rate_limits.GET /api/v2/mix/account/accounts",
                                  "0/1s lets no request through"]),
    "zero-second window": (add_account_key("rate_limits: {GET /api/v2/mix/account/accounts: 5/0s}"),
                           ["accounts.bg.rate_limits", "5/0s lets no request through"]),
    "zero milliseconds": (add_account_key("rate_limits: {GET /api/v2/mix/account/accounts: 0/0ms}"),
                          ["accounts.bg.rate_limits", "lets no request through"]),
    "malformed rate limit": (add_account_key("rate_limits: {GET /api/v2/mix/account/accounts: 1/1.2.3s}"),
                             ["accounts.bg.rate_limits", "must look like 10/1s"]),
    "port above 65535": (replace("base_url: http://127.0.0.1:", "base_url: http://127.0.0.1:7"),
                         ["desired.yaml:6: accounts.bg.base_url", "port from 1 to 65535"]),
    "port zero": (lambda text: text.replace(text.split("base_url: ")[1].split("\n")[0], "http://127.0.0.1:0"),
                  ["desired.yaml:6: accounts.bg.base_url", "port from 1 to 65535"]),
    "port that is not a number": (lambda text: text.replace(text.split("base_url: ")[1].split("\n")[0],
                                                            "http://127.0.0.1:http"),
                                  ["desired.yaml:6: accounts.bg.base_url", "port from 1 to 65535"]),
    "user and password in base_url": (replace("base_url: http://", "base_url: http://user:pw@"),
                                      ["desired.yaml:6: accounts.bg.base_url", "no user"]),
    "query in base_url": (lambda text: text.replace("product_type:", "product_type:", 1).replace(
        text.split("base_url: ")[1].split("\n")[0], text.split("base_url: ")[1].split("\n")[0] + "/?x=1"),
        ["desired.yaml:6: accounts.bg.base_url", "no user, query"]),
    "ftp base_url": (replace("base_url: http://", "base_url: ftp://"), ["desired.yaml:6: accounts.bg.base_url", "http(s) URL"]),
    "unknown environment": (replace("environment: sim", "environment: prod"),
                            ["desired.yaml:5: accounts.bg.environment", "live, demo, testnet, sim"]),
    "venue in capitals": (replace("venue: bitget", "venue: Bitget"), ["desired.yaml:4: accounts.bg.venue", "not supported"]),
    "missing product_type": (replace("    product_type: USDT-FUTURES\n", ""), ["desired.yaml:3: accounts.bg", "product_type"]),
    "unknown top-level key": (lambda text: text + "acounts: {}\n", ["desired.yaml:22: acounts", "unknown key"]),
    "misspelt account key": (add_account_key("base_ulr: x"), ["desired.yaml:14: accounts.bg.base_ulr", "unknown key"]),
    "version 2": (replace("version: 1", "version: 2"), ["desired.yaml:1: version", "must be 1"]),
    "version as text": (replace("version: 1", "version: '1'"), ["desired.yaml:1: version", "must be 1"]),
    "no accounts": (lambda text: "version: 1\naccounts: {}\n", ["desired.yaml:2: accounts"]),
    "accounts as a list": (lambda text: "version: 1\naccounts: [bg]\n", ["desired.yaml:2: accounts", "mapping"]),
    "literal credential outside sim": (
        lambda text: text.replace("environment: sim", "environment: live").replace("http://", "https://").replace(
            "api_key: bk-7d2e", "api_key: ${BG_KEY}").replace("passphrase: bitget-pass-9c1e", "passphrase: ${BG_PASS}"),
        ["desired.yaml:10: accounts.bg.credentials.secret", "a literal credential is allowed only with environment: sim"]),
    "unknown credential": (replace("      passphrase: bitget-pass-9c1e\n", "      passphrase: p\n      token: t\n"),
                           ["desired.yaml:12: accounts.bg.credentials.token", "unknown credential"]),
    "missing credential": (replace("      passphrase: bitget-pass-9c1e\n", ""),
                           ["desired.yaml:8: accounts.bg.credentials", "missing credential 'passphrase'"]),
    "credential as a number": (replace("secret: bitget-secret-5f3a", "secret: 12345"),
                               ["desired.yaml:10: accounts.bg.credentials.secret", "must be a string"]),
    "setting bitget does not have": (replace("      position_mode: hedge\n",
                                             "      position_mode: hedge\n      isolated_transfer_mode: automatic\n"),
                                     ["desired.yaml:14: accounts.bg.settings.isolated_transfer_mode", "no setting"]),
    "per-side cross leverage": (replace("margin_mode: isolated\n        leverage: {long: 20, short: 15}\n"
                                        "        isolated_margin: {min: 400, max: 600}\n",
                                        "margin_mode: cross\n        leverage: {long: 20, short: 15}\n"),
                                ["desired.yaml:20: accounts.bg.symbols.ETHUSDT.leverage", "only for isolated margin"]),
    "margin mode in capitals": (replace("margin_mode: cross", "margin_mode: CROSS"),
                                ["desired.yaml:16: accounts.bg.symbols.SOLUSDT.margin_mode", "cross or isolated"]),
    # unicode that looks like what it is not
    "fullwidth digits as leverage": (leverage("\uff15"), [LEVERAGE, "must be a positive number"]),
    "arabic-indic digits as leverage": (leverage("\u0665"), [LEVERAGE, "must be a positive number"]),
    "right-to-left override in an account name": (replace("  bg:\n", "  b\u202eg:\n"), ["desired.yaml:3:", "may use only"]),
    "emoji account name": (replace("  bg:\n", "  \U0001f680:\n"), ["desired.yaml:3:", "may use only"]),
    "non-breaking space before a value": (replace("margin_mode: cross", "margin_mode:\u00a0cross"),
                                          ["desired.yaml:"]),
    "fullwidth colon": (replace("        leverage: 5\n", "        leverage\uff1a 5\n"), ["desired.yaml:"]),
    "symbol given as a list": (replace("      SOLUSDT:\n        margin_mode: cross\n        leverage: 5\n",
                                       "      SOLUSDT: [cross, 5]\n"),
                               ["desired.yaml:15: accounts.bg.symbols.SOLUSDT"]),
}


@pytest.fixture
def sim(start_sim):
    return start_sim(world())


def test_the_good_file_plans(sim, cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text(GOOD.format(url=sim.url))
    code, _, err = cli("plan", path)
    assert code == 0, err


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_file_is_refused_before_anything_is_sent(case, sim, cli, tmp_path):
    edit, expected = CASES[case]
    content = edit(GOOD.format(url=sim.url))
    path = tmp_path / "desired.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    sim.clear_calls("bitget")
    result = cli("plan", path)
    assert_refused(result, *expected, sims=[sim])
    assert result[1] == ""
    assert sim.calls("bitget") == []


def test_the_billion_laughs_fail_fast(cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text("version: 1\n" + BILLION_LAUGHS)
    code, _, err = cli("validate", path)  # without a bound it runs for minutes into a MemoryError
    assert_one_clear_line(code, err, "alias bomb")


def test_two_spellings_of_one_bitget_symbol_are_refused_naming_both(sim, cli, tmp_path, monkeypatch):
    # Bitget reads ids in any case; its canonical_symbol spells them in upper case.
    monkeypatch.setattr(BitgetAdapter, "canonical_symbol", classmethod(lambda cls, symbol: symbol.upper()))
    path = tmp_path / "desired.yaml"
    path.write_text(GOOD.format(url=sim.url).replace("      ETHUSDT:\n", "      solusdt: {leverage: 7}\n      ETHUSDT:\n"))
    sim.clear_calls("bitget")
    code, _, err = cli("plan", path)
    assert_one_clear_line(code, err, "desired.yaml:18: accounts.bg.symbols.solusdt: 'solusdt' and 'SOLUSDT' (line 15) "
                                     "are the same bitget symbol SOLUSDT")
    assert sim.calls("bitget") == []


def test_lower_case_ids_and_product_type_are_read_as_bitget_spells_them(sim, cli, tmp_path, monkeypatch):
    monkeypatch.setattr(BitgetAdapter, "canonical_symbol", classmethod(lambda cls, symbol: symbol.upper()))
    path = tmp_path / "desired.yaml"
    path.write_text(GOOD.format(url=sim.url).replace("SOLUSDT:", "solusdt:").replace("USDT-FUTURES", "usdt-futures"))
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    assert '"bg/SOLUSDT/leverage/cross"' in out and "solusdt" not in out


@pytest.mark.parametrize("value", ["\r\n", "key\r\nX-Injected: 1", "key\n", "\rkey", "key\x1b[2J", "key\x7f", "a\tb"])
def test_a_control_character_in_a_credential_variable_is_refused(value, sim, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HOSTILE_SECRET", value)
    path = tmp_path / "desired.yaml"
    path.write_text(GOOD.format(url=sim.url).replace("secret: bitget-secret-5f3a", "secret: ${HOSTILE_SECRET}"))
    sim.clear_calls("bitget")
    code, out, err = cli("plan", path)
    line = assert_one_clear_line(code, err, "desired.yaml:10: accounts.bg.credentials.secret: environment variable "
                                            "HOSTILE_SECRET holds a line break or another control character")
    assert "X-Injected" not in line and "key" not in line.split("HOSTILE_SECRET")[1]
    assert sim.calls("bitget") == []


def test_a_desired_state_file_written_as_json_is_planned_not_taken_for_a_plan(sim, cli, tmp_path):
    import json

    import yaml
    path = tmp_path / "desired.json"
    path.write_text(json.dumps(yaml.safe_load(GOOD.format(url=sim.url))))
    code, out, err = cli("plan", path)
    assert code == 0, err
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, err  # applied and verified: the file is a desired state, not a saved plan
    assert "Verified: everything in the file now holds." in out
