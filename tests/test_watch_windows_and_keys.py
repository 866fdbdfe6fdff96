"""Cron and deny windows (for apply and watch alike), the file's watch keys, and drift episodes (pure parts)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import yaml

import test_bitget_e2e as bitget
from conftest import write_yaml, writes
from reconciler.policy import windows
from reconciler.watch.items import Episodes, Item
from test_policy import at


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_a_cron_window_opens_in_its_time_zone_across_daylight_saving():
    london = [windows.parse_cron("0 6 * * 1-5", "90m", "Europe/London")]
    assert windows.open_window(london, utc("2026-07-06T05:30")) is not None  # BST: 06:00 London is 05:00 UTC
    assert windows.open_window(london, utc("2026-07-06T06:45")) is None
    assert windows.open_window(london, utc("2026-11-23T06:45")) is not None  # GMT: 06:00 London is 06:00 UTC
    assert windows.open_window(london, utc("2026-11-28T06:15")) is None  # Saturday
    assert windows.next_opening(london, utc("2026-11-27T08:00")) == utc("2026-11-30T06:00")
    with pytest.raises(ValueError, match="five fields"):
        windows.parse_cron("0 6 * *", "1h")
    with pytest.raises(ValueError, match="time zone 'Mars/Olympus'"):
        windows.parse_cron("0 6 * * *", "1h", "Mars/Olympus")


def test_a_deny_window_says_when_it_closes_chaining_overlaps():
    funding = [windows.parse_cron("55 7,15,23 * * *", "10m"), windows.parse("Mon 08:00-08:30")]
    assert windows.closing(funding, utc("2026-11-23T07:58")) == utc("2026-11-23T08:30")  # Monday: both chain
    assert windows.closing(funding, utc("2026-11-24T07:58")) == utc("2026-11-24T08:05")
    assert windows.closing(funding, utc("2026-11-24T09:00")) is None


def test_apply_sends_nothing_inside_a_deny_window_and_says_until_when(start_sim, cli, tmp_path, monkeypatch):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url, settings={}, symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 20}})
    data = yaml.safe_load(path.read_text())
    data["policy"] = {"change_windows": ["Mon-Fri 00:00-24:00"], "deny_windows": [
        {"cron": "55 7,15,23 * * *", "duration": "10m"},
        {"cron": "0 3 * * 3", "duration": "2h", "timezone": "Asia/Singapore"}]}
    write_yaml(path, data)
    at(monkeypatch, "2026-11-25T07:58:00")  # a Wednesday, just before a funding time
    sim.clear_calls("bitget")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3 and "[denied]" in out
    assert "inside the deny window cron '55 7,15,23 * * *' for 10m" in out and "2026-11-25 08:05 UTC" in out
    at(monkeypatch, "2026-11-24T19:30:00")  # 03:30 Wednesday in Singapore
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3 and "for 2h (Asia/Singapore)" in out and "2026-11-24 21:00 UTC" in out
    assert [c for c in writes(sim.calls("bitget"))] == []
    at(monkeypatch, "2026-11-25T09:00:00")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert {c["body"]["symbol"] for c in writes(sim.calls("bitget"))} == {"SOLUSDT"}


@pytest.mark.parametrize("policy, expected", [
    ({"deny_windows": [{"cron": "61 * * * *", "duration": "1h"}]},
     "desired.yaml:18: policy.deny_windows.0: '61 * * * *' is not a cron schedule"),
    ({"deny_windows": [{"cron": "0 * * * *", "duration": "soon"}]},
     "desired.yaml:18: policy.deny_windows.0: must be like"),
    ({"change_windows": [{"cron": "0 6 * * *", "duration": "1h", "timezone": "Nowhere/Land"}]},
     "desired.yaml:18: policy.change_windows.0: time zone 'Nowhere/Land' is not known"),
])
def test_bad_windows_are_refused_with_file_and_line(cli, tmp_path, policy, expected):
    path = bitget.config(tmp_path, "http://127.0.0.1:1", settings={}, symbols={"SOLUSDT": {"margin_mode": "cross"}})
    data = yaml.safe_load(path.read_text())
    data["policy"] = policy
    write_yaml(path, data)
    code, out, err = cli("validate", path)
    assert code == 1 and expected in err and "Traceback" not in err, err


@pytest.mark.parametrize("watch, account_watch, expected", [
    ({"mode": "fix"}, None, "desired.yaml:3: watch.mode: must be report or heal"),
    ({"interval": 0}, None, "desired.yaml:3: watch.interval: must be a number of seconds, at least 0.1"),
    ({"accounts": {"okx-*": {"mode": "heal"}}}, None, "desired.yaml:4: watch.accounts.okx-*: names no account"),
    (None, {"mode": "heal", "max_heals_per_hour": -1},
     "desired.yaml:18: accounts.bg.watch.max_heals_per_hour: must be a whole number of at least 0"),
    ({"speed": 3}, None, "desired.yaml:3: watch.speed: unknown key 'speed'"),
])
def test_bad_watch_keys_are_refused_with_file_and_line(cli, tmp_path, watch, account_watch, expected):
    path = bitget.config(tmp_path, "http://127.0.0.1:1", settings={}, symbols={"SOLUSDT": {"margin_mode": "cross"}},
                         **({"watch": account_watch} if account_watch else {}))
    data = yaml.safe_load(path.read_text())
    if watch is not None:
        data = {"version": 1, "watch": watch, "accounts": data["accounts"]}
    write_yaml(path, data)
    code, out, err = cli("validate", path)
    assert code == 1 and expected in err and "Traceback" not in err, err


def test_watch_modes_come_from_the_block_the_most_specific_pattern_and_the_account(tmp_path):
    from reconciler.config import load
    path = bitget.config(tmp_path, "http://127.0.0.1:1", settings={}, symbols={}, watch={"max_heals_per_hour": 2})
    data = yaml.safe_load(path.read_text())
    own = {key: value for key, value in data["accounts"]["bg"].items() if key != "watch"}
    data["accounts"]["bg-eu"] = own
    data["accounts"]["bg-us"] = {**own, "watch": {"mode": "report"}}
    data = {"version": 1, "watch": {"mode": "report", "max_heals_per_hour": 5, "accounts": {
        "bg*": {"mode": "heal"}, "bg-*": {"max_heals_per_hour": 1}}}, "accounts": data["accounts"]}
    state = load(write_yaml(path, data))
    chosen = {name: (state.watch.for_account(name).mode, state.watch.for_account(name).max_heals_per_hour)
              for name in state.accounts}
    assert chosen == {"bg": ("heal", 2), "bg-eu": ("heal", 1), "bg-us": ("report", 1)}


def test_an_episode_sends_each_event_once_and_resolves_when_back_in_sync_or_gone():
    episodes = Episodes()
    drift = Item("a/BTC/leverage", "BTC", "leverage", "drift", "7", "5")
    assert episodes.observe([drift], 0.0) == [("drift_detected", drift)]
    assert episodes.observe([drift], 1.0) == []
    blocked = Item("a/BTC/leverage", "BTC", "leverage", "blocked", "7", "5", "open order")
    assert episodes.observe([blocked], 2.0) == [("blocked", blocked)]
    assert episodes.once("a/BTC/leverage", "heal_failed") and not episodes.once("a/BTC/leverage", "heal_failed")
    assert episodes.drift_seconds(5.0) == 5.0
    back = Item("a/BTC/leverage", "BTC", "leverage", "in_sync")
    assert episodes.observe([back], 6.0) == [("drift_resolved", back)]
    assert episodes.observe([drift], 7.0) == [("drift_detected", drift)]  # a new episode
    [(kind, gone)] = episodes.observe([], 8.0)
    assert kind == "drift_resolved" and gone.reason == "no longer in the file"


@pytest.mark.parametrize("args, expected", [
    (["--webhook", "ftp://example.com/hook"], "--webhook json webhook on example.com: must be an http(s) URL"),
    (["--interval", "0"], "--interval: must be a number of seconds from 0.1 to 86400"),
    (["--metrics-port", "70000"], "port must be a number from 1 to 65535"),
])
def test_watch_refuses_bad_flags_in_one_line_before_reading_anything(cli, tmp_path, args, expected):
    path = bitget.config(tmp_path, "http://127.0.0.1:1", settings={}, symbols={"SOLUSDT": {"margin_mode": "cross"}})
    code, out, err = cli("watch", path, *args)
    assert code == 1 and expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_watch_refuses_a_bad_file_at_start(cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text("version: 1\naccounts: {}\n")
    code, out, err = cli("watch", path, "--metrics-port", "0")
    assert code == 1 and "desired.yaml:2: accounts" in err and out == ""
