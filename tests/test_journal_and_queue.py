"""What the journal says is what happened; a long queue never sends an expired signature."""

from __future__ import annotations

import json

import test_bitget_e2e as bitget
from conftest import write_yaml, writes


def journal_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_journal_has_intent_and_outcome_with_the_codes_as_answered(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    sim.faults("bitget", [{"method": "POST", "path": "/api/v2/mix/account/set-leverage", "kind": "venue_error",
                           "status": 500, "code": "40015", "count": 1}])
    code, out, err = cli("apply", bitget.config(tmp_path, sim.url), "--auto-approve", "--journal", "j.jsonl")
    assert code == 3, out + err
    lines = journal_lines(tmp_path / "j.jsonl")
    assert len({line["run"] for line in lines}) == 1
    assert {line["event"] for line in lines} == {"intent", "outcome", "read"}
    leverage = [line for line in lines if line["path"] == "/api/v2/mix/account/set-leverage"]
    failed = [line for line in leverage if line["event"] == "outcome" and line["status"] == 500]
    assert len(failed) == 1 and failed[0]["code"] == "40015" and failed[0]["attempt"] == 1
    retried = [line for line in leverage if line["attempt"] == 2 and line["body"] == failed[0]["body"]]
    assert [line["event"] for line in retried] == ["intent", "outcome"]
    assert retried[1]["status"] == 200 and retried[1]["code"] == "00000"
    # Every write has its intent line before its outcome line, and as many of each as the venue saw.
    intents = [line for line in lines if line["event"] == "intent"]
    outcomes = [line for line in lines if line["event"] == "outcome"]
    assert len(intents) == len(outcomes) == len(writes(sim.calls("bitget")))
    for line in lines:
        assert line["time"].endswith("Z") and len(line["time"]) == len("2026-01-01T00:00:00.000Z")


def test_a_failed_call_never_gets_the_success_code(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    sim.faults("bitget", [{"method": "POST", "path": "/api/v2/mix/account/set-margin-mode", "kind": "http_500",
                           "count": 5}])
    cli("apply", bitget.config(tmp_path, sim.url), "--auto-approve", "--journal", "j.jsonl")
    failed = [line for line in journal_lines(tmp_path / "j.jsonl") if line.get("status") == 500]
    assert failed and all(line["code"] is None for line in failed)


def test_an_unwritable_journal_stops_before_anything_is_sent(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    (tmp_path / "blocked").write_text("a file where a directory should be")
    code, _, err = cli("apply", bitget.config(tmp_path, sim.url), "--auto-approve",
                       "--journal", tmp_path / "blocked" / "j.jsonl")
    assert code == 1 and "journal" in err
    assert writes(sim.calls("bitget")) == []


def test_two_hundred_queued_changes_are_each_signed_as_they_leave_the_queue(start_sim, cli, tmp_path):
    """200 leverage writes queue for 10 s at 20/s, far longer than a 3 s timestamp window: none expires."""
    symbols = [f"C{i:03d}USDT" for i in range(200)]
    limits = {"POST /api/v2/mix/account/set-leverage": "20/1s", "GET /api/v2/mix/account/account": "200/1s"}
    world = {"bitget": {
        "contracts": [{"symbol": s, "productType": "USDT-FUTURES", "baseCoin": s[:-4], "quoteCoin": "USDT",
                       "minLever": "1", "maxLever": "100", "supportMarginCoins": ["USDT"]} for s in symbols],
        "accounts": [{**bitget.KEY, "position_modes": {"USDT-FUTURES": "one_way_mode"},
                      "balances": {"USDT": "1000"}, "positions": [], "orders": [],
                      "symbols": {s: {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": "10",
                                      "isolatedLongLever": "10", "isolatedShortLever": "10"} for s in symbols}}]},
        "rate_limits": limits, "timestamp_windows": {"bitget": 3}}
    sim = start_sim(world)
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"bg": {
        "venue": "bitget", "environment": "sim", "base_url": sim.url, "product_type": "USDT-FUTURES",
        "credentials": {k: bitget.KEY[k] for k in ("api_key", "secret", "passphrase")}, "rate_limits": limits,
        "symbols": {s: {"margin_mode": "cross", "leverage": 20} for s in symbols}}}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out[-2000:] + err
    sent = writes(sim.calls("bitget"))
    assert len(sent) == 200 and all(c["status"] == 200 for c in sent)
    assert not [c for c in sim.calls("bitget") if c["code"] == "40008"]
