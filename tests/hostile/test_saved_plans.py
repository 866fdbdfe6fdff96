"""A saved plan is a claim to check, never an instruction: edited plans send nothing to anyone.

Each case edits a saved plan as an attacker (or a careless merge) would, then runs `apply PLAN.json`.
The venue's call log must show no write, and a second simulator standing in for "another host" must
receive no request at all.
"""

from __future__ import annotations

import copy
import json

import pytest

from hostile.refusal import assert_no_secret, assert_refused
from test_bitget_e2e import KEY, config, world, writes


@pytest.fixture
def sims(start_sim):
    return start_sim(world()), start_sim(world())  # the account's venue, and another host


@pytest.fixture
def saved(sims, cli, tmp_path, monkeypatch):
    """(desired file, saved plan path, saved plan document), credentials from the environment."""
    monkeypatch.setenv("BG_KEY", KEY["api_key"])
    monkeypatch.setenv("BG_SECRET", KEY["secret"])
    monkeypatch.setenv("BG_PASS", KEY["passphrase"])
    monkeypatch.setenv("OTHER_VAR", "an-unrelated-secret")
    path = config(tmp_path, sims[0].url, credentials={"api_key": "${BG_KEY}", "secret": "${BG_SECRET}",
                                                      "passphrase": "${BG_PASS}"})
    plan_path = tmp_path / "plan.json"
    code, _, err = cli("plan", path, "--out", plan_path)
    assert code == 0, err
    sims[0].clear_calls("bitget")
    return path, plan_path, json.loads(plan_path.read_text())


def _change(plan, change_id):
    return next(c for c in plan["changes"] if c["id"] == change_id)


def _margin(plan):
    return next(c for c in plan["changes"] if c["field"] == "isolated_margin")


def edit_call_path(plan, other):
    _change(plan, "bg/SOLUSDT/leverage/cross")["calls"][0]["path"] = "/api/v2/mix/order/place-order"


def edit_transfer_path(plan, other):
    _change(plan, "bg/SOLUSDT/leverage/cross")["calls"][0]["path"] = "/api/v2/spot/wallet/transfer"


def edit_leverage_100x_on_another_symbol(plan, other):
    call = _change(plan, "bg/SOLUSDT/leverage/cross")["calls"][0]
    call["body"].update({"symbol": "BTCUSDT", "leverage": "100"})


def edit_leverage_value(plan, other):
    change = _change(plan, "bg/SOLUSDT/leverage/cross")
    change["to"] = "100"
    change["calls"][0]["body"]["leverage"] = "100"


def edit_margin_direction(plan, other):
    call = _margin(plan)["calls"][0]
    call["body"]["amount"] = "-" + call["body"]["amount"]


def edit_margin_amount(plan, other):
    _margin(plan)["calls"][0]["body"]["amount"] = "5000"


def empty_observed(plan, other):
    plan["observed"] = {}


def drop_observed_value(plan, other):
    observed = plan["observed"]["bg"]
    observed.pop(next(iter(observed)))


def edit_observed_value(plan, other):
    plan["observed"]["bg"]["bg/SOLUSDT/leverage/cross"] = "7"


def redirect_path_with_at(plan, other):
    host = other.url.removeprefix("http://")
    _change(plan, "bg/SOLUSDT/leverage/cross")["calls"][0]["path"] = f"@{host}/api/v2/mix/account/set-leverage"


def path_traversal(plan, other):
    _change(plan, "bg/SOLUSDT/leverage/cross")["calls"][0]["path"] = "/api/v2/mix/../../../admin"


def add_base_url_and_other_credentials(plan, other):
    plan["accounts"]["bg"].update({"base_url": other.url, "credentials": {"api_key": "${OTHER_VAR}"}})


def add_account_block(plan, other):
    plan["accounts"]["evil"] = {"venue": "bitget", "environment": "sim", "base_url": other.url}


def add_change_for_unplanned_symbol(plan, other):
    extra = copy.deepcopy(_change(plan, "bg/SOLUSDT/leverage/cross"))
    extra["id"] = "bg/BTCUSDT/leverage/cross"
    extra["symbol"] = "BTCUSDT"
    extra["calls"][0]["body"]["symbol"] = "BTCUSDT"
    plan["changes"].append(extra)


def add_second_call(plan, other):
    change = _change(plan, "bg/SOLUSDT/leverage/cross")
    change["calls"].append(copy.deepcopy(change["calls"][0]))


def unblock_a_blocked_change(plan, other):
    blocked = next(c for c in plan["changes"] if c["status"] == "blocked")
    blocked["status"] = "change"
    blocked["calls"] = [{"method": "POST", "path": "/api/v2/mix/account/set-margin-mode", "query": None,
                         "body": {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT",
                                  "marginMode": "isolated"}}]


def change_config_sha(plan, other):
    plan["config_sha256"] = "0" * 64


def point_config_path_elsewhere(plan, other):
    plan["config_path"] = "/etc/passwd"


def change_method(plan, other):
    _change(plan, "bg/SOLUSDT/leverage/cross")["calls"][0]["method"] = "DELETE"


def extra_top_level_key(plan, other):
    plan["base_url"] = other.url


def header_in_call(plan, other):
    _change(plan, "bg/SOLUSDT/leverage/cross")["calls"][0]["headers"] = {"ACCESS-KEY": "x"}


def wrong_format_version(plan, other):
    plan["format_version"] = "2"


def not_a_list_of_changes(plan, other):
    plan["changes"] = {"a": 1}


def remove_plan_id(plan, other):
    del plan["plan_id"]


def switch_venue(plan, other):
    for change in plan["changes"]:
        change["venue"] = "okx"


TAMPERS = [edit_call_path, edit_transfer_path, edit_leverage_100x_on_another_symbol, edit_leverage_value,
           edit_margin_direction, edit_margin_amount, empty_observed, drop_observed_value, edit_observed_value,
           redirect_path_with_at, path_traversal, add_base_url_and_other_credentials, add_account_block,
           add_change_for_unplanned_symbol, add_second_call, unblock_a_blocked_change, change_config_sha,
           point_config_path_elsewhere, change_method, extra_top_level_key, header_in_call, wrong_format_version,
           not_a_list_of_changes, remove_plan_id, switch_venue]


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.__name__ for t in TAMPERS])
def test_a_tampered_plan_sends_nothing_to_anyone(tamper, sims, saved, cli, tmp_path):
    venue, other = sims
    path, plan_path, plan = saved
    tamper(plan, other)
    plan_path.write_text(json.dumps(plan))
    code, out, err = cli("apply", plan_path)  # the desired file is found by the path the plan names
    assert code == 1, out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: ") and "Traceback" not in err and "internal error" not in err
    assert writes(venue.calls("bitget")) == []
    assert other.calls("bitget") == []
    assert_no_secret(out + err)


def test_an_untouched_plan_applies_once_and_is_stale_after(sims, saved, cli):
    venue, _ = sims
    path, plan_path, _ = saved
    code, out, err = cli("apply", plan_path)
    assert code == 3, out + err
    sent = len(writes(venue.calls("bitget")))
    assert sent > 0
    for _ in range(3):  # replayed: refused every time, nothing more sent
        code, out, err = cli("apply", plan_path)
        assert code == 1 and "nothing was sent" in err
    assert len(writes(venue.calls("bitget"))) == sent
    state = venue.state("bitget")["accounts"][0]
    assert next(p for p in state["positions"] if p["symbol"] == "ETHUSDT")["marginSize"] == "400"


def test_a_changed_desired_file_refuses_the_plan(sims, saved, cli):
    venue, _ = sims
    path, plan_path, _ = saved
    path.write_text(path.read_text() + "\n# a comment changes the file\n")
    code, _, err = cli("apply", plan_path)
    assert code == 1 and "changed since this plan was made" in err
    assert venue.calls("bitget") == []  # refused before anything was read


def test_a_plan_without_its_file_asks_for_config(sims, saved, cli, tmp_path):
    path, plan_path, plan = saved
    path.rename(tmp_path / "moved.yaml")
    code, _, err = cli("apply", plan_path)
    assert code == 1 and "pass --config FILE" in err
    code, out, err = cli("apply", plan_path, "--config", tmp_path / "moved.yaml")
    assert code == 3, out + err


def test_the_plan_holds_no_connection_or_credential(saved):
    _, plan_path, plan = saved
    text = plan_path.read_text()
    assert plan["accounts"] == {"bg": {"venue": "bitget", "environment": "sim",
                                       "identity": plan["accounts"]["bg"]["identity"]}}
    assert plan["accounts"]["bg"]["identity"].startswith("bitget-")  # a fingerprint: no key, no address
    for secret in (KEY["secret"], KEY["passphrase"], KEY["api_key"], "base_url", "127.0.0.1"):
        assert secret not in text


def test_the_python_api_follows_the_same_rule(sims, saved):
    import asyncio

    from reconciler import api
    from reconciler.errors import StalePlanError
    from reconciler.planfile import read_plan

    venue, _ = sims
    path, plan_path, plan = saved
    edit_margin_amount(plan, None)
    plan_path.write_text(json.dumps(plan))
    with pytest.raises(StalePlanError):
        asyncio.run(api.apply(read_plan(plan_path), api.load(path), journal_path=None))
    assert writes(venue.calls("bitget")) == []


# Every field of a change edited to each kind of value it must not hold (an edit equal to the saved value is
# no edit and is left out): the plan is refused before anything is sent.
CHANGE_FIELDS = ["id", "account", "venue", "symbol", "field", "side", "margin_mode", "from", "to", "status",
                 "depends_on", "calls"]
VALUES = {"nothing": None, "empty text": "", "300 characters": "x" * 300, "a number": 12345, "a list": [],
          "a mapping": {}}
FIELD_EDITS = [(field, value) for field in CHANGE_FIELDS for value in VALUES
               if not (field == "side" and value == "nothing") and not (field == "depends_on" and value == "a list")]


def refused_with_nothing_sent(sims, result) -> None:
    venue, other = sims
    assert_refused(result, "", sims=[venue])
    assert other.calls("bitget") == []


@pytest.mark.parametrize("field, value", FIELD_EDITS, ids=[f"{f}={v}" for f, v in FIELD_EDITS])
def test_every_field_of_a_change_edited_is_refused(field, value, sims, saved, cli):
    path, plan_path, plan = saved
    _change(plan, "bg/SOLUSDT/leverage/cross")[field] = copy.deepcopy(VALUES[value])
    plan_path.write_text(json.dumps(plan))
    refused_with_nothing_sent(sims, cli("apply", plan_path))


TOP_LEVEL = ["format_version", "plan_id", "created_at", "config_sha256", "changes", "observed", "summary", "in_sync",
             "not_applicable", "notes", "accounts", "estimates", "errors", "scope", "config_path"]
REMOVED = ["format_version", "plan_id", "created_at", "config_sha256", "changes", "observed", "summary", "config_path"]
TOP_EDITS = [(key, "set to nothing") for key in TOP_LEVEL] + [(key, "removed") for key in REMOVED]


@pytest.mark.parametrize("key, edit", TOP_EDITS, ids=[f"{k} {e}" for k, e in TOP_EDITS])
def test_every_top_level_key_edited_is_refused(key, edit, sims, saved, cli):
    path, plan_path, plan = saved
    if edit == "removed":
        del plan[key]
    else:
        plan[key] = None
    plan_path.write_text(json.dumps(plan))
    refused_with_nothing_sent(sims, cli("apply", plan_path))


# The plan's JSON text itself made hostile.
TEXT_EDITS = {
    "nested a hundred thousand deep": lambda text: text.replace('"notes": [', '"notes": [' + "[" * 100_000 + "]" * 100_000 + ",", 1),
    "a 5,000-digit number": lambda text: text.replace('"change": ', '"change": ' + "9" * 5000 + ", \"x\": ", 1),
    "NaN": lambda text: text.replace('"change": ', '"change": NaN, "x": ', 1),
    "Infinity": lambda text: text.replace('"change": ', '"change": Infinity, "x": ', 1),
    "a duplicated key raising leverage": lambda text: text.replace('"to": "20"', '"to": "20", "to": "100"', 1),
    "a byte order mark": lambda text: "\ufeff" + text,
    "trailing garbage": lambda text: text + "\n{}",
    "truncated": lambda text: text[: len(text) // 2],
    "a JavaScript comment": lambda text: "// edited\n" + text,
    "single quotes": lambda text: text.replace('"format_version"', "'format_version'", 1),
}
ENCODINGS = {"UTF-16": "utf-16", "UTF-32": "utf-32", "latin-1 text": "latin-1"}


@pytest.mark.parametrize("case", list(TEXT_EDITS) + list(ENCODINGS))
def test_a_plan_whose_json_is_hostile_is_one_line(case, sims, saved, cli):
    path, plan_path, plan = saved
    text = json.dumps(plan)
    if case in ENCODINGS:
        plan_path.write_bytes((text.replace('"bg"', '"b\u00e9g"', 1)).encode(ENCODINGS[case]))
    else:
        plan_path.write_text(TEXT_EDITS[case](text))
    still_json = case == "a duplicated key raising leverage"  # a plan `show` renders, and apply refuses
    for command in (["apply", plan_path], *([] if still_json else [["show", plan_path]])):
        refused_with_nothing_sent(sims, cli(*command))


@pytest.mark.parametrize("flags", [["--symbol", "NOPEUSDT"], ["--symbol", "SOLUSDT", "--symbol", "ADAUSDT"],
                                   ["--account", "nobody"], ["--account", "bg", "--account", "elsewhere"]],
                         ids=["unknown symbol", "one of two unknown", "unknown account", "one of two accounts unknown"])
def test_apply_of_a_plan_narrowed_to_what_it_does_not_cover_is_refused(flags, sims, saved, cli):
    path, plan_path, plan = saved
    line = assert_refused(cli("apply", plan_path, *flags), "not in this plan", "nothing was sent", sims=[sims[0]])
    assert flags[-1] in line
