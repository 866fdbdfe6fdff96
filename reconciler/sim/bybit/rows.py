"""How Bybit writes an instrument, a position and an order in its answers (DOCS instrument, position, open-order)."""

from __future__ import annotations

from decimal import Decimal

from . import margin
from .world import Account, Instrument, decimal, text

SIM_EPOCH_MS = 1_700_000_000_000
_EIGHT = Decimal("0.00000001")
_SIM_ONLY = ("category", "riskLimits", "markPrice")


def amount(value: Decimal) -> str:
    """A money figure as Bybit writes it: at most 8 decimals."""
    return text(value.quantize(_EIGHT))


def instrument_row(inst: Instrument) -> dict:
    row = {
        "symbol": inst.symbol, "contractType": inst.contract_type, "status": inst.status,
        "baseCoin": inst.base_coin, "quoteCoin": inst.quote_coin, "settleCoin": inst.settle_coin,
        "launchTime": str(SIM_EPOCH_MS), "deliveryTime": "0", "deliveryFeeRate": "", "priceScale": "2",
        "leverageFilter": dict(inst.leverage_filter), "priceFilter": dict(inst.price_filter),
        "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001",
                          "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "500.000", "minNotionalValue": "5"},
        "unifiedMarginTrade": True, "fundingInterval": 480, "copyTrading": "both",
        "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375", "isPreListing": False,
        "preListingInfo": None, "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"},
        "symbolType": "",
    }
    row.update({key: value for key, value in inst.raw.items() if key not in _SIM_ONLY})
    row["leverageFilter"] = dict(inst.leverage_filter)
    row["priceFilter"] = dict(inst.price_filter)
    return row


def position_row(account: Account, inst: Instrument, position: dict | None, idx: int, category: str) -> dict:
    """One row of GET /v5/position/list; `position` None is the flat row of a symbol (size "0", side "")."""
    position = position or {}
    size = decimal(position.get("size", "0"), "size")
    side = account.side_of(position)
    mode = account.margin_mode(inst)
    leverage = account.leverage_of(inst, idx)
    average = decimal(position.get("avgPrice", "0"), "avgPrice")
    mark = account.mark_price(inst, position) if size > 0 else (inst.mark_price or Decimal(0))
    value = margin.position_value(inst.linear, size, average)
    tier = margin.tier_for(inst.tiers, value)
    initial = maintenance = Decimal(0)
    liquidation = ""
    if size > 0:
        maintenance = max(margin.maintenance_margin(value, tier), Decimal(0))
        if mode == "isolated":
            initial = account.isolated_margin(inst, position)
            liquidation = liquidation_text(inst, side == "Buy", size, average, initial, maintenance)
        else:
            initial = margin.position_value(inst.linear, size, mark) / leverage
    row = {
        "positionIdx": idx, "riskId": int(tier["id"]), "riskLimitValue": str(tier["riskLimitValue"]),
        "symbol": inst.symbol, "side": side, "size": text(size), "avgPrice": text(average) if size > 0 else "0",
        "positionValue": amount(value), "tradeMode": _trade_mode(account, inst),
        "autoAddMargin": int(position.get("autoAddMargin", 0)), "positionStatus": "Normal",
        "leverage": text(leverage), "markPrice": text(mark), "liqPrice": liquidation, "bustPrice": "",
        "positionIM": amount(initial), "positionIMByMp": amount(initial), "positionMM": amount(maintenance),
        "positionMMByMp": amount(maintenance), "positionBalance": amount(initial),
        "takeProfit": "", "stopLoss": "", "trailingStop": "0", "sessionAvgPrice": "",
        "delta": "", "gamma": "", "vega": "", "theta": "",
        "unrealisedPnl": amount(_unrealised(inst.linear, side, size, average, mark)),
        "curRealisedPnl": "0", "cumRealisedPnl": "0", "adlRankIndicator": 2 if size > 0 else 0,
        "createdTime": str(SIM_EPOCH_MS), "updatedTime": str(SIM_EPOCH_MS), "openTime": SIM_EPOCH_MS if size > 0 else 0,
        "seq": 1 if size > 0 else -1, "isReduceOnly": False, "mmrSysUpdatedTime": "", "leverageSysUpdatedTime": "",
        "breakEvenPrice": text(average) if size > 0 else "", "tpslMode": "Full",
    }
    if mode == "portfolio":
        # DOCS position.mdx: under Portfolio Margin leverage, liqPrice and the margins are "", the tier 0.
        row.update({"leverage": "", "liqPrice": "", "positionIM": "", "positionIMByMp": "", "positionMM": "",
                    "positionMMByMp": "", "positionBalance": "", "riskId": 0, "riskLimitValue": "0"})
    if category:
        row["category"] = category
    return row


def liquidation_text(inst: Instrument, long: bool, size: Decimal, entry: Decimal, held: Decimal,
                     maintenance: Decimal) -> str:
    """liqPrice on the instrument's tick; "" outside (minPrice, maxPrice) as DOCS position.mdx says."""
    price = margin.liquidation_price(inst.linear, long, size, entry, held, maintenance)
    if price is None or not inst.within_prices(price):
        return ""
    return text(inst.tick(price))


def order_row(account: Account, order: dict, index: int) -> dict:
    """One row of GET /v5/order/realtime."""
    conditional = is_conditional(order)
    qty = str(order.get("qty", "0"))
    price = str(order.get("price", "0"))
    row = {
        "orderId": order_id(account, order, index), "orderLinkId": str(order.get("orderLinkId", "")),
        "blockTradeId": "", "symbol": order["symbol"], "price": price, "qty": qty, "side": order["side"],
        "isLeverage": "", "positionIdx": int(order.get("positionIdx", 0)),
        "orderStatus": str(order.get("orderStatus") or ("Untriggered" if conditional else "New")),
        "cancelType": "UNKNOWN", "rejectReason": "EC_NoError", "avgPrice": "0", "leavesQty": qty,
        "leavesValue": amount(decimal(qty, "qty") * decimal(price, "price")), "cumExecQty": "0",
        "cumExecValue": "0", "cumExecFee": "0", "timeInForce": str(order.get("timeInForce", "GTC")),
        "orderType": str(order.get("orderType", "Limit")),
        "stopOrderType": str(order.get("stopOrderType") or ("Stop" if conditional else "")),
        "orderIv": "", "triggerPrice": str(order.get("triggerPrice", "")), "takeProfit": "", "stopLoss": "",
        "tpTriggerBy": "", "slTriggerBy": "", "triggerDirection": int(order.get("triggerDirection", 0)),
        "triggerBy": "LastPrice" if conditional else "", "lastPriceOnCreated": "",
        "reduceOnly": bool(order.get("reduceOnly", False)), "closeOnTrigger": False, "smpType": "None",
        "smpGroup": 0, "smpOrderId": "", "tpslMode": "", "tpLimitPrice": "", "slLimitPrice": "",
        "placeType": "", "createdTime": str(SIM_EPOCH_MS), "updatedTime": str(SIM_EPOCH_MS),
    }
    return row


def is_conditional(order: dict) -> bool:
    return bool(order.get("triggerPrice") or order.get("stopOrderType"))


def order_id(account: Account, order: dict, index: int) -> str:
    return str(order.get("orderId") or f"{account.uid}-{index:08d}-0000-0000-000000000000")


def _trade_mode(account: Account, inst: Instrument) -> int:
    # DOCS position.mdx: tradeMode is deprecated, always 0. Unconfirmed (bybit.md section 3): whether classic
    # accounts still report their real per-symbol value; we report it there, the one place it is set.
    if account.symbol_margin_is_per_symbol(inst):
        return 1 if account.margin_mode(inst) == "isolated" else 0
    return 0


def _unrealised(linear: bool, side: str, size: Decimal, entry: Decimal, mark: Decimal) -> Decimal:
    if size <= 0 or entry <= 0 or mark <= 0:
        return Decimal(0)
    sign = 1 if side == "Buy" else -1
    if linear:
        return sign * (mark - entry) * size
    return sign * size * (1 / entry - 1 / mark)
