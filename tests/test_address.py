"""Change addresses: one format and one parse, each the inverse of the other, and the words plans show."""

import pytest

from reconciler.address import Address

CASES = [
    (Address("okx-main", "position_mode"), "okx-main/position_mode", "position mode"),
    (Address("bg", "margin_mode", "ETHUSDT"), "bg/ETHUSDT/margin_mode", "ETHUSDT margin mode"),
    (Address("bg", "leverage", "ETHUSDT", "isolated", "long"), "bg/ETHUSDT/leverage/isolated/long",
     "ETHUSDT isolated long leverage"),
    (Address("ox", "leverage", "BTC-USDT-SWAP", "cross"), "ox/BTC-USDT-SWAP/leverage/cross",
     "BTC-USDT-SWAP cross leverage"),
    (Address("ol", "isolated_margin", "PERP_ETH_USDC", side="short"), "ol/PERP_ETH_USDC/isolated_margin/short",
     "PERP_ETH_USDC short isolated margin"),
    (Address("ol", "isolated_margin", "PERP_ETH_USDC"), "ol/PERP_ETH_USDC/isolated_margin",
     "PERP_ETH_USDC isolated margin"),
    (Address("ox", "leverage", "BTC", "cross", scope="currency"), "ox/currency/BTC/leverage/cross",
     "BTC cross leverage (currency)"),
]


@pytest.mark.parametrize("address,text,words", CASES, ids=[text for _, text, _ in CASES])
def test_format_parse_and_words(address, text, words):
    assert str(address) == text
    assert Address.parse(text) == address
    assert address.words() == words


def test_a_plan_uses_the_same_addresses(tmp_path):
    """The diff writes its ids with Address: every id of a real plan parses back to its change's fields."""
    from decimal import Decimal

    from reconciler.diff import diff_account
    from reconciler.model import AccountLive, AccountSpec, Position, SymbolLive, SymbolSpec
    from reconciler.venues.bitget import BitgetAdapter

    spec = AccountSpec("bg", "bitget", "sim", None, {}, {"position_mode": "hedge"},
                       {"ETHUSDT": SymbolSpec("ETHUSDT", "isolated", {"long": Decimal(5), "short": Decimal(6)},
                                              Decimal(100))}, options={"product_type": "USDT-FUTURES"})
    live = AccountLive(settings={"position_mode": "net"},
                       symbols={"ETHUSDT": SymbolLive("ETHUSDT", "cross", {("cross", None): Decimal(3)})},
                       positions=[Position("ETHUSDT", "isolated", "long", Decimal(1), Decimal(50))])
    result = diff_account(spec, live, BitgetAdapter(spec))
    assert result.changes
    for change in result.changes:
        address = Address.parse(change.id)
        assert (address.account, address.symbol, address.setting, address.side) == (
            change.account, change.symbol, change.field, change.side)
