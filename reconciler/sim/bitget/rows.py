"""The rows Bitget answers reads with: a margin coin's account summary, a position, an order, a page of them."""

from __future__ import annotations

from decimal import Decimal

from .errors import bad
from .margin import keep_margin_rate, liquidation_price, mark_price
from .values import norm_mode, now_ms, number, text
from .world import World

ORDER_SPAN_MS = 90 * 24 * 3600 * 1000  # orders-pending / orders-plan-pending: at most three months per query


def coin_summary(world: World, acct: dict, coin: str) -> dict:
    balance = number(acct["balances"].get(coin), Decimal(0))
    iso = cross = Decimal(0)
    for pos in acct["positions"]:
        if str(pos.get("marginCoin") or "").upper() != coin or not world.is_open(pos):
            continue
        margin = number(pos.get("marginSize"), Decimal(0))
        if norm_mode(pos.get("marginMode")) == "isolated":
            iso += margin
        else:
            cross += margin
    equity = balance + iso + cross
    return {
        "marginCoin": coin,
        "locked": "0",
        "available": text(balance),
        "crossedMaxAvailable": text(balance),
        "isolatedMaxAvailable": text(balance),
        "maxTransferOut": text(balance),
        "accountEquity": text(equity),
        # no prices are simulated: usdtEquity is the equity for USDT/USDC, btcEquity is not modelled
        "usdtEquity": text(equity) if coin in ("USDT", "USDC", "SUSDT", "SUSDC") else "0",
        "btcEquity": "0",
        "crossedRiskRate": "0",
        "unrealizedPL": "0",
        "coupon": "0",
        "grant": "0",
        "crossedUnrealizedPL": "0",
        "isolatedUnrealizedPL": "0",
        "isolatedMargin": text(iso),
        "crossedMargin": text(cross),
        "assetMode": "single",
    }


def position_view(world: World, acct: dict, pos: dict) -> dict:
    """A position as all-position / single-position list it; the liquidation price of a cross one is "0"
    unless the world gives one."""
    product = world.product_of(pos)
    settings = world.settings(acct, str(pos["symbol"]).upper())
    mode = norm_mode(pos.get("marginMode")) or settings["marginMode"]
    total = number(pos.get("total"), Decimal(0))
    price = number(pos.get("openPriceAvg"), Decimal(0))
    liq = "0"
    if mode == "isolated" and total > 0:
        liq = liquidation_price(pos, world.taker_fee_rate(str(pos["symbol"])))
    stamp = str(world.epoch_ms)
    view = {
        "symbol": str(pos["symbol"]).upper(),
        "marginCoin": str(pos.get("marginCoin") or settings["marginCoin"]).upper(),
        "holdSide": pos["holdSide"],
        "openDelegateSize": "0",
        "marginSize": text(number(pos.get("marginSize"), Decimal(0))),
        "available": text(total),
        "locked": "0",
        "total": text(total),
        "leverage": world.position_leverage(acct, pos),
        "achievedProfits": "0",
        "openPriceAvg": text(price),
        "marginMode": mode,
        "posMode": world.pos_mode(acct, product),
        "unrealizedPL": "0",
        "liquidationPrice": liq,
        "keepMarginRate": text(keep_margin_rate(pos)),
        "markPrice": text(mark_price(pos)),
        "breakEvenPrice": text(price),
        "marginRatio": "0",
        "totalFee": "0",
        "deductedFee": "0",
        "assetMode": "single",
        "autoMargin": "off",
        "takeProfit": "",
        "stopLoss": "",
        "takeProfitId": "",
        "stopLossId": "",
        "cTime": stamp,
        "uTime": stamp,
    }
    # a world value wins over a computed default; the fields normalised above stay as they are
    for key, value in pos.items():
        if key not in ("productType", "marginMode", "symbol", "leverage", "marginCoin"):
            view[key] = value
    return view


def order_view(world: World, acct: dict, order: dict, plan: bool) -> dict:
    product = world.product_of(order)
    pos_mode = world.pos_mode(acct, product)
    symbol = str(order["symbol"]).upper()
    settings = world.settings(acct, symbol)
    side = str(order.get("side") or "buy")
    if pos_mode == "hedge_mode":
        pos_side = "long" if side == "buy" else "short"
    else:
        pos_side = "net"
    stamp = str(world.epoch_ms)
    mode = norm_mode(order.get("marginMode")) or settings["marginMode"]
    if mode == "crossed":
        lever = settings["crossedMarginLeverage"]
    elif pos_side == "long" or (pos_side == "net" and side == "buy"):
        lever = settings["isolatedLongLever"]
    else:
        lever = settings["isolatedShortLever"]
    view = {
        "symbol": symbol,
        "size": "0",
        "orderId": order["orderId"],
        "clientOid": order["orderId"],
        "price": "",
        "status": "live",
        "side": side,
        "force": "gtc",
        "posSide": pos_side,
        "tradeSide": "open",
        "marginMode": mode,
        "marginCoin": str(order.get("marginCoin") or settings["marginCoin"]).upper(),
        "leverage": lever,
        "posMode": pos_mode,
        "orderType": "limit",
        "reduceOnly": "NO",
        "baseVolume": "0",
        "quoteVolume": "0",
        "fee": "0",
        "totalProfits": "0",
        "priceAvg": "",
        "enterPointSource": "API",
        "orderSource": "normal",
        "presetStopSurplusPrice": "",
        "presetStopLossPrice": "",
        "cTime": stamp,
        "uTime": stamp,
    }
    if plan:
        view.update({"planType": "normal_plan", "triggerPrice": "", "triggerType": "fill_price",
                     "planStatus": "not_trigger", "executePrice": "0", "callbackRatio": "",
                     "stopSurplusTriggerPrice": "", "stopLossTriggerPrice": ""})
        for key in ("status", "force", "fee", "priceAvg", "baseVolume", "quoteVolume", "totalProfits"):
            view.pop(key, None)
    for key, value in order.items():
        if key not in ("productType", "symbol"):
            view[key] = value
    return view


def in_time_range(views: list[dict], params: dict) -> list[dict]:
    """Entries created within startTime..endTime: "the maximum time span supported is three months", and a
    bound not given defaults to three months from the other one (or the last three months)."""
    start, end = params.get("startTime"), params.get("endTime")
    for name, value in (("startTime", start), ("endTime", end)):
        if value not in (None, "") and not str(value).isdigit():
            raise bad(name)
    if end in (None, ""):
        end = int(start) + ORDER_SPAN_MS if start not in (None, "") else now_ms()
    if start in (None, ""):
        start = int(end) - ORDER_SPAN_MS
    start, end = int(start), int(end)
    # Unconfirmed: the answer to a longer span, and whether "three months" allows more than 90 days. We
    # refuse anything over 90 days (40020), the strict reading, so clients are made to stay within it.
    if end < start or end - start > ORDER_SPAN_MS:
        raise bad("startTime")
    return [view for view in views if start <= int(view["cTime"]) <= end]


def page(entries: list[dict], params: dict) -> dict:
    """Newest first (descending orderId); `idLessThan` continues after the previous `endId`."""
    limit_text = str(params.get("limit") or "100")
    if not limit_text.isdigit() or int(limit_text) < 1:
        raise bad("limit")
    # Unconfirmed: the answer to limit > 100; we clamp to the documented maximum.
    limit = min(int(limit_text), 100)
    before = params.get("idLessThan")
    if before not in (None, ""):
        if not str(before).isdigit():
            raise bad("idLessThan")
        entries = [e for e in entries if int(e["orderId"]) < int(before)]
    entries = sorted(entries, key=lambda e: int(e["orderId"]), reverse=True)[:limit]
    # Unconfirmed (§5.3): null or [] when nothing is pending; we choose null, the form a
    # client is likelier to trip over, so clients are made to handle it.
    return {"entrustedList": entries or None, "endId": entries[-1]["orderId"] if entries else None}
