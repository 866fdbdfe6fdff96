"""Orderly's own Python SDK (orderly-evm-connector) and ccxt woofipro, unchanged, on every endpoint the adapter uses.

The simulator is written from Orderly's documents; these clients were written by others from the same venue. Each
test drives one client through the reads and writes the reconciler's Orderly adapter sends and checks the
simulator's state and call log.
"""

from __future__ import annotations

import base58
import ccxt
import pytest
from nacl.signing import SigningKey
from orderly_evm_connector.error import ClientError
from orderly_evm_connector.rest import Rest

KEY = SigningKey(bytes(range(40, 72)))  # fixed, test-only
ORDERLY_KEY = "ed25519:" + base58.b58encode(bytes(KEY.verify_key)).decode()
SECRET = base58.b58encode(bytes(KEY)).decode()
ACCOUNT = "0x5e3f0000000000000000000000000000000000000000000000000000000000c3"
BTC, ETH, SOL = "PERP_BTC_USDC", "PERP_ETH_USDC", "PERP_SOL_USDC"

# Every endpoint the reconciler's Orderly adapter calls (reads, then writes).
ADAPTER_ENDPOINTS = {
    ("GET", "/v1/public/info"), ("GET", "/v1/client/margin_modes"), ("GET", "/v1/client/leverages"),
    ("GET", "/v1/positions"), ("GET", "/v1/orders"), ("GET", "/v1/algo/orders"),
    ("POST", "/v1/client/leverages"), ("POST", "/v1/client/margin_mode"), ("POST", "/v1/position_margin"),
}


def world():
    return {"orderly": {
        "symbols": [{"symbol": name, "base_imr": "0.01", "base_mmr": "0.006", "imr_factor": "0.0000002"}
                    for name in (BTC, ETH, SOL)],
        "accounts": [{
            "account_id": ACCOUNT, "orderly_key": ORDERLY_KEY, "balances": {"USDC": "100000"},
            "margin_modes": {BTC: "ISOLATED"},
            "leverage": {BTC: {"CROSS": "10", "ISOLATED": "5"}},
            "positions": [{"symbol": BTC, "margin_mode": "ISOLATED", "position_qty": "0.1", "margin": "1500",
                           "average_open_price": "60000"}],
            "orders": [{"symbol": ETH, "side": "BUY", "order_type": "LIMIT", "order_price": "2000",
                        "order_quantity": "1", "margin_mode": "CROSS"}],
            "algo_orders": [{"symbol": BTC, "side": "SELL", "algo_type": "STOP", "quantity": "0.1",
                             "trigger_price": "50000", "margin_mode": "ISOLATED"}],
        }],
    }}


def account_state(sim) -> dict:
    return sim.state("orderly")["accounts"][0]


def endpoints(sim) -> set[tuple[str, str]]:
    return {(c["method"], c["path"]) for c in sim.calls("orderly") if c["status"] == 200}


def test_orderly_evm_connector_on_every_endpoint_the_adapter_uses(start_sim):
    sim = start_sim(world())
    # The SDK signs with standard base64 and sends `json.dumps` bodies with spaces: both must verify.
    client = Rest(orderly_key=ORDERLY_KEY, orderly_secret="ed25519:" + SECRET, orderly_account_id=ACCOUNT,
                  orderly_api_url=sim.url)

    assert {row["symbol"] for row in client.get_available_symbols()["data"]["rows"]} == {BTC, ETH, SOL}
    modes = {row["symbol"]: row["default_margin_mode"] for row in client.get_margin_modes()["data"]["rows"]}
    assert modes[BTC] == "ISOLATED" and modes[ETH] == "CROSS"
    rows = client.get_all_leverages()["data"]["rows"]
    assert {(r["symbol"], r["margin_mode"]): r["leverage"] for r in rows}[(BTC, "ISOLATED")] == 5
    (position,) = client.get_all_positions_info()["data"]["rows"]
    assert (position["symbol"], position["margin_mode"], position["margin"]) == (BTC, "ISOLATED", 1500)
    orders = client.get_orders(status="INCOMPLETE", page=1, size=500)["data"]["rows"]
    assert [(o["symbol"], o["margin_mode"]) for o in orders] == [(ETH, "CROSS")]
    algo = client.get_algo_orders(algo_type="STOP", status="INCOMPLETE")["data"]["rows"]
    assert [(o["symbol"], o["margin_mode"]) for o in algo] == [(BTC, "ISOLATED")]

    client.update_leverages(leverage=8, symbol=SOL, margin_mode="ISOLATED")
    client.update_margin_mode(symbol=SOL, default_margin_mode="ISOLATED")
    client.adjust_position_margin(symbol=BTC, amount="100", type="REDUCE")
    # an isolated position and an isolated algo order are open (the SDK raises only above HTTP 400)
    refused = client.update_margin_mode(symbol=BTC, default_margin_mode="CROSS")
    assert (refused["success"], refused["code"]) == (False, -1005)
    with pytest.raises(ClientError) as unauthorised:
        wrong_secret = "ed25519:" + base58.b58encode(bytes(SigningKey(bytes(32)))).decode()
        Rest(orderly_key=ORDERLY_KEY, orderly_secret=wrong_secret, orderly_account_id=ACCOUNT,
             orderly_api_url=sim.url).get_all_leverages()
    assert (unauthorised.value.status_code, unauthorised.value.error_code) == (401, -1001)
    client.update_leverage_configuration(leverage=10)  # the older path: the account's legacy max leverage

    state = account_state(sim)
    assert state["leverage"][SOL]["ISOLATED"] == "8" and state["margin_modes"][SOL] == "ISOLATED"
    assert state["positions"][0]["margin"] == "1400" and state["balances"]["USDC"] == "100100"
    assert state["max_leverage"] == 10 and state["leverage"][BTC] == {"CROSS": "10", "ISOLATED": "5"}
    assert client.get_account_information()["data"]["max_leverage"] == 10
    assert ADAPTER_ENDPOINTS <= endpoints(sim)
    assert [c["path"] for c in sim.calls("orderly") if c["status"] == 401] == ["/v1/client/leverages"]


def private(exchange, method: str, path: str, params: dict | None = None) -> dict:
    """A signed /v1 call through ccxt's own request path: the SDK's cryptography pin holds ccxt at a version
    whose woofipro lacks the named methods for the leverage, margin-mode and position-margin endpoints."""
    return exchange.request(path, ["v1", "private"], method, params or {})


def test_ccxt_woofipro_on_every_endpoint_the_adapter_uses(start_sim):
    sim = start_sim(world())
    exchange = ccxt.woofipro({"apiKey": ORDERLY_KEY, "secret": SECRET, "accountId": ACCOUNT,
                              "enableRateLimit": False})
    exchange.urls["api"] = {name: sim.url for name in exchange.urls["api"]}

    exchange.load_markets()  # GET /v1/public/info
    modes = private(exchange, "GET", "client/margin_modes")["data"]["rows"]
    assert {r["symbol"]: r["default_margin_mode"] for r in modes}[BTC] == "ISOLATED"
    leverages = private(exchange, "GET", "client/leverages")["data"]["rows"]
    assert {(r["symbol"], r["margin_mode"]): str(r["leverage"]) for r in leverages}[(BTC, "CROSS")] == "10"
    (position,) = exchange.fetch_positions()
    assert position["symbol"] == "BTC/USDC:USDC" and position["contracts"] == 0.1
    assert [o["symbol"] for o in exchange.fetch_open_orders()] == ["ETH/USDC:USDC"]
    algo = exchange.fetch_open_orders(params={"trigger": True})  # GET /v1/algo/orders
    assert [o["symbol"] for o in algo] == ["BTC/USDC:USDC"]

    private(exchange, "POST", "client/leverages", {"symbol": SOL, "leverage": 7, "margin_mode": "CROSS"})
    private(exchange, "POST", "client/margin_mode", {"symbol": SOL, "default_margin_mode": "ISOLATED"})
    private(exchange, "POST", "position_margin", {"symbol": BTC, "amount": "25", "type": "ADD"})
    with pytest.raises(ccxt.BadRequest):  # an isolated position is open
        private(exchange, "POST", "client/margin_mode", {"symbol": BTC, "default_margin_mode": "CROSS"})
    exchange.set_leverage(5)  # the older path without a symbol: the account's legacy max leverage

    state = account_state(sim)
    assert state["leverage"][SOL]["CROSS"] == "7" and state["margin_modes"][SOL] == "ISOLATED"
    assert state["positions"][0]["margin"] == "1525" and state["balances"]["USDC"] == "99975"
    assert state["max_leverage"] == 5
    assert ADAPTER_ENDPOINTS <= endpoints(sim)
    assert all(c["status"] != 401 for c in sim.calls("orderly"))
