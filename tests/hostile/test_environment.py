"""Wrong environments: credential variables, backend and lock settings, and keys that the venue refuses (also on
an account of 200 symbols): one line naming the account or variable and what to check, nothing written."""

from __future__ import annotations

import json

import base58
import pytest
import yaml
from nacl.signing import SigningKey

import test_bitget_e2e as bitget
import test_okx_e2e as okx
import test_orderly_e2e as orderly
from conftest import write_yaml
from hostile.refusal import PLANTED, assert_refused

REFERENCES = {"api_key": "${BG_KEY}", "secret": "${BG_SECRET}", "passphrase": "${BG_PASS}"}
GOOD_VALUES = {"BG_KEY": bitget.KEY["api_key"], "BG_SECRET": bitget.KEY["secret"], "BG_PASS": bitget.KEY["passphrase"]}

# Each case: variables to set (None: unset), and what the one line says.
VARIABLES = {
    "secret not set": ({"BG_SECRET": None}, ["accounts.bg.credentials.secret", "BG_SECRET is not set"]),
    "secret empty": ({"BG_SECRET": ""}, ["accounts.bg.credentials.secret", "BG_SECRET is not set"]),
    "key not set": ({"BG_KEY": None}, ["accounts.bg.credentials.api_key", "BG_KEY is not set"]),
    "passphrase with a newline and a secret": ({"BG_PASS": f"{PLANTED}\n"}, ["BG_PASS holds a line break"]),
    "secret with a header injection": ({"BG_SECRET": f"x\r\nX-Token: {PLANTED}"}, ["BG_SECRET holds a line break"]),
    "key with a NUL-like control": ({"BG_KEY": "k\x01"}, ["BG_KEY holds a line break or another control character"]),
    "backend of an unknown kind": ({"RECONCILER_BACKEND": "mysql://db/x"}, ["backend 'mysql://db/x' is not known"]),
    "backend nobody listens on": ({"RECONCILER_BACKEND": "postgresql://nobody@127.0.0.1:1/db"},
                                  ["backend postgresql://nobody@127.0.0.1:1/db cannot be reached"]),
    "backend password variable not set": ({"RECONCILER_BACKEND": "postgresql://u:${UNSET_PW}@127.0.0.1:1/db"},
                                          ["UNSET_PW", "not set"]),
    "lock dir that is a file": ({"RECONCILER_LOCK_DIR": "desired.yaml"}, ["RECONCILER_LOCK_DIR desired.yaml: cannot be used"]),
    "lock dir that is a device": ({"RECONCILER_LOCK_DIR": "/dev/full"}, ["RECONCILER_LOCK_DIR /dev/full: cannot be used"]),
    "lock dir under /proc": ({"RECONCILER_LOCK_DIR": "/proc/no/such"}, ["RECONCILER_LOCK_DIR /proc/no/such"]),
    "http timeout of a year": ({"RECONCILER_HTTP_TIMEOUT": "31536000"}, ["RECONCILER_HTTP_TIMEOUT"]),
}


@pytest.fixture
def sim(start_sim):
    return start_sim(bitget.world())


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("case", list(VARIABLES))
def test_a_wrong_variable_is_one_line_before_anything_is_sent(case, command, sim, cli, tmp_path, monkeypatch):
    variables, expected = VARIABLES[case]
    path = bitget.config(tmp_path, sim.url, credentials=REFERENCES)
    for name, value in {**GOOD_VALUES, **variables}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    args = ["plan", path] if command == "plan" else ["apply", path, "--auto-approve"]
    assert_refused(cli(*args), *expected, sims=[sim])
    assert sim.calls("bitget") == []


def other_orderly_secret() -> str:
    return base58.b58encode(bytes(SigningKey(bytes(range(2, 34))))).decode()


# A key the venue refuses, per venue: (module, account, credential to spoil, its wrong value)
WRONG_KEYS = {
    "bitget secret": (bitget, "bg", "secret", "not-the-secret"),
    "bitget passphrase": (bitget, "bg", "passphrase", "not-the-passphrase"),
    "bitget key": (bitget, "bg", "api_key", "bk-0000"),
    "okx secret": (okx, "ox", "secret", "not-the-secret"),
    "okx passphrase": (okx, "ox", "passphrase", "not-the-passphrase"),
    "okx key": (okx, "ox", "api_key", "ok-0000"),
    "orderly key of another account": (orderly, "ol", "secret", other_orderly_secret()),
}


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("case", list(WRONG_KEYS))
def test_a_key_the_venue_refuses_is_one_line_naming_the_account(case, command, start_sim, cli, tmp_path):
    module, account, credential, value = WRONG_KEYS[case]
    sim = start_sim(module.world())
    path = module.config(tmp_path, sim.url)
    data = yaml.safe_load(path.read_text())
    data["accounts"][account]["credentials"][credential] = value
    write_yaml(path, data)
    args = ["plan", path] if command == "plan" else ["apply", path, "--auto-approve"]
    line = assert_refused(cli(*args), f"{account} (", "check", sims=[sim])
    assert value not in line or credential == "api_key"


def test_a_wrong_key_on_200_symbols_is_one_line_and_no_storm(start_sim, cli, tmp_path):
    symbols = [f"S{i:03d}USDT" for i in range(200)]
    world = bitget.world()
    account = world["bitget"]["accounts"][0]
    world["bitget"]["contracts"] = [{"symbol": s, "productType": "USDT-FUTURES", "baseCoin": s[:-4], "quoteCoin": "USDT",
                                     "minLever": "1", "maxLever": "100", "supportMarginCoins": ["USDT"]} for s in symbols]
    account["symbols"] = {s: {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": "10",
                              "isolatedLongLever": "10", "isolatedShortLever": "10"} for s in symbols}
    account["positions"] = []
    sim = start_sim(world)
    path = bitget.config(tmp_path, sim.url, symbols={s: {"margin_mode": "cross", "leverage": 20} for s in symbols},
                         credentials={**{k: bitget.KEY[k] for k in ("api_key", "passphrase")}, "secret": "wrong"})
    for command in (["plan", path], ["apply", path, "--auto-approve"]):
        sim.clear_calls("bitget")
        line = assert_refused(cli(*command), "bg (bitget)", "40009", "check the api_key, secret and passphrase",
                              "environment sim", sim.url, sims=[sim])
        assert len(sim.calls("bitget")) < 40, len(sim.calls("bitget"))  # not one read per symbol after the refusal
        assert "S199USDT" not in line
    journal = (tmp_path / ".reconciler" / "journal.jsonl").read_text().splitlines()
    assert len(journal) < 40 and not any(json.loads(entry)["event"] == "intent" for entry in journal)
