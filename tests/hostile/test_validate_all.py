"""`validate` reports every problem of a file (and of its --policy files) in one run, one line each at its
file:line, in this project's words, for --format text, json and github; offline, so nothing is sent."""

from __future__ import annotations

import json

import pytest

from hostile.refusal import assert_no_secret

MANY_PROBLEMS = """\
version: 2
accounts:
  bg:
    venue: bitget
    environment: sim
    base_url: http://10.0.0.1:1
    product_type: USDT-PERP
    credentials: {api_key: k, secret: bitget-secret-5f3a, passphrase: p}
    symbols:
      SOLUSDT: {margin_mode: cross, leverage: 2.5}
      ETHUSDT: {margin_mode: isolated, isolated_margin: 0}
  ox:
    venue: okx
    environment: sim
    base_url: http://127.0.0.1:1
    credentials: {api_key: k, secret: 12345, passphrase: p}
    symbols:
      BTC-USDT-SWAP: {margin_mode: cross, leverage: 1.005}
      ETH-USDT-SWAP: {margin_mode: sideways, leverage: 3}
  ol:
    venue: orderly
    environment: live
    credentials: {account_id: "${OL_ID}", secret: "${OL_SECRET}"}
    settings: {position_mode: hedge}
    symbols:
      PERP_BTC_USDC: {margin_mode: cross, leverage: 5, margin_coin: USDC}
"""
# (line, key path, what the message says), in the order of the file
EXPECTED = [
    (1, "version", "must be 1"),
    (6, "accounts.bg.base_url", "must be a loopback address"),
    (7, "accounts.bg.product_type", "Bitget has no product type of this name"),
    (10, "accounts.bg.symbols.SOLUSDT.leverage", "bitget accepts whole numbers only for leverage (got 2.5)"),
    (11, "accounts.bg.symbols.ETHUSDT.isolated_margin", "must be a positive number"),
    (16, "accounts.ox.credentials.secret", "must be a string"),
    (18, "accounts.ox.symbols.BTC-USDT-SWAP.leverage", "okx accepts at most 2 decimals for leverage (got 1.005)"),
    (19, "accounts.ox.symbols.ETH-USDT-SWAP.margin_mode", "must be cross or isolated"),
    (24, "accounts.ol.settings.position_mode", "orderly has no setting 'position_mode'"),
    (26, "accounts.ol.symbols.PERP_BTC_USDC.margin_coin", "'margin_coin' is not a orderly setting"),
]
BAD_POLICY = """\
version: 1
max_leverage: -3
allowed_margin_modes: [sideways]
"""
POLICY_EXPECTED = [(2, "max_leverage", ""), (3, "allowed_margin_modes", "")]


def problems(fmt: str, code: int, out: str, err: str) -> list[tuple[str, int, str, str]]:
    """(file name, line, key path, message) of every reported problem, from any format."""
    assert code == 1 and "Traceback" not in out + err and "internal error" not in out + err
    assert_no_secret(out + err)
    if fmt == "json":
        assert err == ""
        return [(p["file"].rsplit("/", 1)[-1], p["line"], p["path"], p["message"]) for p in json.loads(out)]
    if fmt == "github":
        assert err == ""
        rows = []
        for line in out.strip().splitlines():
            where, text = line.removeprefix("::error ").split("::", 1)
            fields = dict(part.split("=", 1) for part in where.split(","))
            path, message = text.split(": ", 1)
            rows.append((fields["file"].rsplit("/", 1)[-1], int(fields["line"]), path, message))
        return rows
    assert out == ""
    rows = []
    for line in err.strip().splitlines():
        location, path, message = line.removeprefix("error: ").split(": ", 2)
        name, number = location.rsplit(":", 1)
        rows.append((name.rsplit("/", 1)[-1], int(number), path, message))
    return rows


def check(rows, expected, name: str):
    assert [(r[1], r[2]) for r in rows if r[0] == name] == [(line, path) for line, path, _ in expected]
    for row, (_, _, says) in zip([r for r in rows if r[0] == name], expected):
        assert says in row[3], row


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_every_problem_of_a_file_is_reported_in_one_run(fmt, cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text(MANY_PROBLEMS)
    rows = problems(fmt, *cli("validate", path, "--format", fmt))
    assert len(rows) == len(EXPECTED)
    check(rows, EXPECTED, "desired.yaml")


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_the_policy_files_problems_come_with_the_files(fmt, cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text(MANY_PROBLEMS)
    policy = tmp_path / "risk.yaml"
    policy.write_text(BAD_POLICY)
    rows = problems(fmt, *cli("validate", path, "--policy", policy, "--format", fmt))
    check(rows, EXPECTED, "desired.yaml")
    check(rows, POLICY_EXPECTED, "risk.yaml")


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_plan_and_apply_refuse_with_the_same_lines(command, fmt, cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text(MANY_PROBLEMS)
    args = [command, path] + (["--auto-approve"] if command == "apply" else [])
    code, out, err = cli(*args)
    rows = problems("text", code, "", err)
    check(rows, EXPECTED, "desired.yaml")
    assert fmt in ("text", "json", "github")  # the lines do not depend on any format flag of validate
