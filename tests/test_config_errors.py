"""Bad input: one line naming file, line and key path, exit 1, and no request sent."""

from __future__ import annotations

import re

import pytest

from test_bitget_e2e import config, world  # noqa: F401 (the same valid file, then broken)

GOOD = """\
version: 1
accounts:
  bg:
    venue: bitget
    environment: sim
    base_url: {url}
    product_type: USDT-FUTURES
    credentials:
      api_key: ${{BG_KEY}}
      secret: ${{BG_SECRET}}
      passphrase: ${{BG_PASS}}
    symbols:
      SOLUSDT:
        margin_mode: cross
        leverage: 5
"""


@pytest.fixture
def sim(start_sim):
    return start_sim(world())


@pytest.fixture(autouse=True)
def env(monkeypatch):
    for name, value in {"BG_KEY": "bk-7d2e", "BG_SECRET": "bitget-secret-5f3a", "BG_PASS": "bitget-pass-9c1e"}.items():
        monkeypatch.setenv(name, value)


def run_broken(cli, sim, tmp_path, text, command="plan"):
    path = tmp_path / "desired.yaml"
    path.write_text(text)
    sim.clear_calls("bitget")
    code, out, err = cli(command, path)
    assert code == 1
    assert "Traceback" not in err and out == ""
    assert sim.calls("bitget") == []  # nothing was sent
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def good(sim):
    return GOOD.format(url=sim.url)


def test_the_good_file_plans(sim, cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text(good(sim))
    assert cli("plan", path)[0] == 0


def test_malformed_yaml(sim, cli, tmp_path):
    message = run_broken(cli, sim, tmp_path, good(sim).replace("leverage: 5", "leverage: [5"))
    assert re.search(r"desired\.yaml:\d+: not valid YAML", message)


def test_unknown_key(sim, cli, tmp_path):
    message = run_broken(cli, sim, tmp_path, good(sim).replace("leverage: 5", "leverage: 5\n        levrage: 5"))
    assert "desired.yaml:16: accounts.bg.symbols.SOLUSDT.levrage: unknown key 'levrage'" in message


@pytest.mark.parametrize("value", ["0", "-1", "abc", '"abc"'])
def test_bad_leverage(sim, cli, tmp_path, value):
    message = run_broken(cli, sim, tmp_path, good(sim).replace("leverage: 5", f"leverage: {value}"))
    assert "desired.yaml:15: accounts.bg.symbols.SOLUSDT.leverage: must be a positive number" in message


def test_unknown_venue(sim, cli, tmp_path):
    message = run_broken(cli, sim, tmp_path, good(sim).replace("venue: bitget", "venue: kraken"))
    assert "desired.yaml:4: accounts.bg.venue: venue 'kraken' is not supported" in message


def test_literal_secret_outside_sim(sim, cli, tmp_path):
    text = good(sim).replace("${BG_SECRET}", "hunter2").replace("environment: sim", "environment: live").replace(
        "http://", "https://")
    message = run_broken(cli, sim, tmp_path, text)
    assert "desired.yaml:10: accounts.bg.credentials.secret: a literal credential is allowed only with " \
           "environment: sim" in message
    assert "hunter2" not in message


def test_missing_environment_variable(sim, cli, tmp_path, monkeypatch):
    monkeypatch.delenv("BG_SECRET")
    message = run_broken(cli, sim, tmp_path, good(sim))
    assert "desired.yaml:10: accounts.bg.credentials.secret: environment variable BG_SECRET is not set" in message


def test_missing_variable_is_not_an_offline_validate_error(sim, cli, tmp_path, monkeypatch):
    monkeypatch.delenv("BG_SECRET")
    path = tmp_path / "desired.yaml"
    path.write_text(good(sim))
    assert cli("validate", path)[0] == 0


def test_missing_variable_of_an_account_not_planned_is_ignored(sim, cli, tmp_path, monkeypatch):
    monkeypatch.delenv("OTHER_KEY", raising=False)
    other = ("  other:\n    venue: bitget\n    environment: live\n    product_type: USDT-FUTURES\n"
             "    credentials: {api_key: '${OTHER_KEY}', secret: '${OTHER_KEY}', passphrase: '${OTHER_KEY}'}\n")
    path = tmp_path / "desired.yaml"
    path.write_text(good(sim).replace("accounts:\n", "accounts:\n" + other))
    code, _, err = cli("plan", path, "--account", "bg")
    assert code == 0, err


def test_setting_the_venue_does_not_have(sim, cli, tmp_path):
    text = good(sim).replace("    symbols:", "    settings:\n      isolated_transfer_mode: automatic\n    symbols:")
    message = run_broken(cli, sim, tmp_path, text)
    assert "accounts.bg.settings.isolated_transfer_mode: bitget has no setting 'isolated_transfer_mode'" in message


def test_per_side_leverage_without_hedge_mode(sim, cli, tmp_path):
    text = good(sim).replace("margin_mode: cross\n        leverage: 5",
                             "margin_mode: isolated\n        leverage: {long: 5, short: 3}")
    message = run_broken(cli, sim, tmp_path, text)
    assert "accounts.bg.symbols.SOLUSDT.leverage: per-side leverage needs settings.position_mode: hedge" in message


def test_validate_reports_every_problem_one_per_line(cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text(GOOD.format(url="http://127.0.0.1:1").replace("leverage: 5", "leverage: 0\n        foo: 1"))
    code, _, err = cli("validate", path)
    assert code == 1
    assert len(err.strip().splitlines()) == 2


def test_empty_and_missing_files(cli, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert cli("validate", empty)[0] == 1
    code, _, err = cli("validate", tmp_path / "nope.yaml")
    assert code == 1 and "cannot read" in err
