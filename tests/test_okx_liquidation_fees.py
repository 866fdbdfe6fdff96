"""OKX liquidation prices count the fee to close: liquidation when (margin + upl) / (maintenance margin + fees)
reaches 100 %, in the simulator's liqPx and in the plan's estimate for a margin move."""

from __future__ import annotations

from decimal import Decimal

import okx.Account as Account
import pytest

from test_liquidation_preview import close, okx_desired, okx_world, preview_of

FEE = "0.01"  # a taker fee rate large enough that leaving the fee out misses by about 1 %, twice the tolerance


def world_with_fee(fee: str = FEE) -> dict:
    world = okx_world()
    world["okx"]["accounts"][0]["taker_fee_rate"] = fee
    return world


def test_the_simulators_liquidation_price_is_where_the_margin_ratio_reaches_100_percent(start_sim, cli, tmp_path):
    sim = start_sim(world_with_fee())
    # ETH long: 2 contracts of 0.1 at 3000, margin 300, maintenance 0.4 % + fee 1 % of the notional:
    # (3000 x 0.2 - 300) / (0.2 x (1 - 0.004 - 0.01)) = 1521.30 (1506.02 without the fee)
    path = okx_desired(tmp_path, sim.url, "ETH-USDT-SWAP", "long", 10, 400)
    liquidation = preview_of(cli, path, "ox/ETH-USDT-SWAP/isolated_margin/long")["from"]
    assert Decimal(liquidation) == Decimal("1521.30")
    state = sim.state("okx")
    api = Account.AccountAPI(*(state["accounts"][0][k] for k in ("api_key", "secret", "passphrase")), False,
                             flag="0", domain=sim.url, debug=False)

    def eth_row():
        return next(p for p in api.get_positions()["data"] if p["instId"] == "ETH-USDT-SWAP")

    state["accounts"][0]["positions"][0]["markPx"] = eth_row()["liqPx"]  # unrounded, as OKX gives it
    sim.put_state("okx", state)
    row = eth_row()
    assert abs(Decimal(row["mgnRatio"]) - 1) < Decimal("0.00001"), row  # marked at liqPx: 100 %


@pytest.mark.parametrize("symbol, side, leverage, margin, expected", [
    # the document's rule with a 1 % fee: long (avgPx Q - margin) / (Q (1 - 0.014)),
    # short (avgPx Q + margin) / (Q (1 + 0.014)); without the fee each is about 1 % off
    ("ETH-USDT-SWAP", "long", 10, 400, "1014.20"), ("ETH-USDT-SWAP", "long", 10, 200, "2028.40"),
    ("SOL-USDT-SWAP", "short", 5, 1000, "1134.12"), ("SOL-USDT-SWAP", "short", 5, 500, "641.03"),
], ids=["long-add", "long-reduce", "short-add", "short-reduce"])
def test_a_margin_moves_preview_counts_the_fee_and_is_what_okx_reports_after_it(symbol, side, leverage, margin,
                                                                               expected, start_sim, cli, tmp_path):
    sim = start_sim(world_with_fee())
    change_id = f"ox/{symbol}/isolated_margin/{side}"
    planned = preview_of(cli, okx_desired(tmp_path, sim.url, symbol, side, leverage, margin), change_id)
    assert close(planned["to"], expected), planned
    code, out, err = cli("apply", okx_desired(tmp_path, sim.url, symbol, side, leverage, margin), "--auto-approve")
    assert code == 0, out + err
    reported = preview_of(cli, okx_desired(tmp_path, sim.url, symbol, side, leverage, margin + 10), change_id)["from"]
    assert close(planned["to"], reported), (planned, reported)


def test_the_fee_term_is_read_from_the_margin_ratio_and_left_out_where_okx_gives_none():
    from reconciler.venues.okx.liquidation import maintenance_and_fees
    row = {"margin": "300", "upl": "10", "mmr": "2.44", "mgnRatio": "36.3"}
    assert maintenance_and_fees(row) == Decimal(310) / Decimal("36.3")  # maintenance margin + fees
    assert maintenance_and_fees({**row, "mgnRatio": ""}) == Decimal("2.44")  # no ratio: the fees left out
    assert maintenance_and_fees({**row, "mgnRatio": "3630"}) == Decimal("2.44")  # below mmr: not a plain ratio
