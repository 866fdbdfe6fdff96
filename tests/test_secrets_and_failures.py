"""No secret in any output, journal or plan; one account failing does not stop the others."""

from __future__ import annotations

import json

import test_bitget_e2e as bitget
import yaml

from conftest import write_yaml
from kits import kit, venues_with_kits


def test_no_secret_appears_in_output_journal_or_plan(start_sim, cli, tmp_path, monkeypatch):
    world = {section: rows for venue in venues_with_kits() for section, rows in kit(venue).world().items()}
    sim = start_sim(world)
    secrets, refs = {}, {}  # variable -> secret value; account -> {credential: variable}
    accounts = {}
    for venue in venues_with_kits():
        account = kit(venue).ACCOUNT
        refs[account] = {key: f"{account}_{key}".upper() for key in kit(venue).CREDENTIALS}
        for key, value in kit(venue).CREDENTIALS.items():
            monkeypatch.setenv(refs[account][key], value)
            if value in kit(venue).SECRETS:
                secrets[refs[account][key]] = value
        document = yaml.safe_load(kit(venue).config(tmp_path, sim.url).read_text())
        for name, block in document["accounts"].items():
            block["environment"] = "sim"  # credentials from the environment, as live; http only in sim
            block["credentials"] = {key: "${%s}" % var for key, var in refs[account].items()}
            accounts[name] = block
    path = write_yaml(tmp_path / "all.yaml", {"version": 1, "accounts": accounts})

    outputs = [cli("plan", path, "--out", tmp_path / "plan.json"),
               cli("plan", path, "--format", "markdown"),
               cli("plan", path, "--format", "json", "-v"),
               cli("apply", tmp_path / "plan.json", "--journal", tmp_path / "journal.jsonl"),
               *(cli("import", path, "--account", account) for account in refs),
               cli("apply", path, "--auto-approve", "--journal", tmp_path / "journal.jsonl")]
    assert outputs[3][0] == 3 and all(code == 0 for code, _, _ in outputs[4:-1]) and outputs[-1][0] == 3
    for account, variables in refs.items():  # an auth failure message, too
        secret = next(var for var in variables.values() if var in secrets)
        monkeypatch.setenv(secret, "not-the-secret-but-wrong")
        outputs.append(cli("plan", path, "--account", account))
        monkeypatch.setenv(secret, secrets[secret])
        assert outputs[-1][0] == 1, outputs[-1]
    texts = [out + err for _, out, err in outputs]
    texts += [(tmp_path / "plan.json").read_text(), (tmp_path / "journal.jsonl").read_text()]
    assert len((tmp_path / "journal.jsonl").read_text().splitlines()) > 5
    for text in texts:
        for name, value in secrets.items():
            assert value not in text, f"{name} leaked"
        assert "not-the-secret-but-wrong" not in text


def test_journal_records_every_apply_call_without_headers(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    journal = tmp_path / "j.jsonl"
    assert cli("apply", bitget.config(tmp_path, sim.url), "--auto-approve", "--journal", journal)[0] == 3
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    venue_calls = [c for c in sim.calls("bitget")]
    applied = [e for e in entries if e["event"] == "outcome"]
    assert len(applied) == len([c for c in venue_calls if c["method"] == "POST"])
    assert len([e for e in entries if e["event"] == "intent"]) == len(applied)
    for entry in entries:
        assert set(entry) - {"status", "code", "duration_ms", "error"} == {
            "time", "run", "event", "attempt", "account", "venue", "method", "path", "query", "body"}
    assert all(e["code"] == "00000" and e["status"] == 200 for e in applied)


def test_one_account_down_does_not_stop_the_others(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    document = yaml.safe_load(bitget.config(tmp_path, sim.url).read_text())
    down = json.loads(json.dumps(document["accounts"]["bg"]))
    down["base_url"] = "http://127.0.0.1:9"  # nothing listens there
    document["accounts"]["bg-down"] = down
    path = write_yaml(tmp_path / "two.yaml", document)
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 1
    assert "bg-down" in err + out and "cannot connect" in err + out
    posts = [c for c in sim.calls("bitget") if c["method"] == "POST"]
    assert len(posts) == 5  # the healthy account was applied in full
    code, out, err = cli("plan", path)
    assert code == 1 and "bg-down" in err
    assert "bg (bitget)" in out  # the healthy account's plan is still shown


def test_apply_refuses_while_another_apply_holds_the_account(start_sim, cli, tmp_path):
    from reconciler.lock import AccountLocks
    sim = start_sim(bitget.world())
    from reconciler.venues.bitget import BitgetAdapter
    path = bitget.config(tmp_path, sim.url)
    spec = next(iter(__import__("reconciler.config").config.load(path).accounts.values()))
    identity = BitgetAdapter(spec, {"api_key": bitget.KEY["api_key"]}).identity(sim.url)
    with AccountLocks({identity: "bg"}, directory=tmp_path / "locks"):
        code, _, err = cli("apply", path, "--auto-approve")
    assert code == 1 and "is in use by pid" in err and "wait for it to finish" in err
    assert [c for c in sim.calls("bitget") if c["method"] == "POST"] == []
