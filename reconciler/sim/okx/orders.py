"""OKX's pending-order lists: regular orders, algo orders (ordType required) and grid trading bots, paged."""

from __future__ import annotations

from .errors import bad, empty
from .instruments import DERIVATIVES, INST_TYPES, family_of, settle_ccy, type_of
from .leverage import lever_of
from .params import parse_limit
from .values import SIM_EPOCH_MS, digits, fmt
from .world import World, algos_of, orders_of

GRID_TYPES = ("grid", "contract_grid", "moon_grid")
ALGO_ORD_TYPES = ("conditional", "oco", "chase", "trigger", "move_order_stop", "iceberg", "twap")


def order_row(world: World, acct: dict, order: dict) -> dict:
    inst = world.inst_or_guess(str(order["instId"]))
    mode = str(order.get("tdMode", "cross"))
    side = str(order.get("posSide") or "net")
    ts = str(SIM_EPOCH_MS + int(digits(world.ids[id(order)])[-3:] or 0) * 1000)
    row = {
        "accFillSz": "0", "algoClOrdId": "", "algoId": "", "attachAlgoClOrdId": "", "attachAlgoOrds": [],
        "avgPx": "", "cTime": ts, "cancelSource": "", "cancelSourceReason": "", "category": "normal",
        "ccy": "", "clOrdId": str(order.get("clOrdId", "")), "fee": "0",
        "feeCcy": settle_ccy(inst), "fillPx": "", "fillSz": "0", "fillTime": "",
        "instId": str(order["instId"]), "instType": type_of(inst), "isTpLimit": "false",
        "lever": fmt(lever_of(world, acct, inst, mode, side)) if mode in ("cross", "isolated") and
        type_of(inst) in ("MARGIN", "SWAP", "FUTURES") else "",
        "linkedAlgoOrd": {"algoId": ""}, "ordId": world.ids[id(order)],
        "ordType": str(order.get("ordType", "limit")), "pnl": "0", "posSide": side,
        "px": str(order.get("px", "")), "pxType": "", "pxUsd": "", "pxVol": "", "quickMgnType": "",
        "rebate": "0", "rebateCcy": settle_ccy(inst),
        "reduceOnly": str(order.get("reduceOnly", "false")).lower(), "side": str(order.get("side", "buy")),
        "slOrdPx": "", "slTriggerPx": "", "slTriggerPxType": "", "source": "",
        "state": str(order.get("state", "live")), "stpId": "", "stpMode": "cancel_maker",
        "sz": str(order.get("sz", "")), "tag": "", "tdMode": mode, "tgtCcy": "", "tpOrdPx": "",
        "tpTriggerPx": "", "tpTriggerPxType": "", "tradeId": "", "uTime": ts,
    }
    return row


def orders_pending(world: World, acct, params):
    inst_type = params.get("instType")
    if inst_type and inst_type not in INST_TYPES:
        raise bad("instType")
    limit = parse_limit(params.get("limit"))
    state = params.get("state")
    if state and state not in ("live", "partially_filled"):
        raise bad("state")
    rows = []
    for order in orders_of(acct):
        row = order_row(world, acct, order)
        inst = world.inst_or_guess(row["instId"])
        if inst_type and row["instType"] != inst_type:
            continue
        if params.get("instId") and row["instId"] != params["instId"]:
            continue
        if params.get("instFamily") and family_of(inst) != params["instFamily"]:
            continue
        if params.get("uly") and family_of(inst) != params["uly"]:
            continue
        if params.get("ordType") and row["ordType"] not in params["ordType"].split(","):
            continue
        if state and row["state"] != state:
            continue
        rows.append(row)
    return paginate(rows, "ordId", params, limit)


def orders_algo_pending(world: World, acct, params):
    ord_type = params.get("ordType")
    if not ord_type and not params.get("algoId"):
        raise empty("ordType")
    types = ord_type.split(",") if ord_type else list(ALGO_ORD_TYPES)
    if ord_type:
        if any(t not in ALGO_ORD_TYPES for t in types):
            raise bad("ordType")
        if len(types) > 1 and set(types) != {"conditional", "oco"}:
            raise bad("ordType")
    inst_type = params.get("instType")
    limit = parse_limit(params.get("limit"))
    rows = []
    for algo in algos_of(acct):
        inst = world.inst_or_guess(str(algo["instId"]))
        kind = str(algo.get("ordType", "conditional"))
        if kind not in types:
            continue
        if inst_type and type_of(inst) != inst_type:
            continue
        if params.get("instId") and str(algo["instId"]) != params["instId"]:
            continue
        algo_id = world.ids[id(algo)]
        if params.get("algoId") and algo_id != params["algoId"]:
            continue
        mode = str(algo.get("tdMode", "cross"))
        side = str(algo.get("posSide") or "net")
        ts = str(SIM_EPOCH_MS + int(digits(algo_id)[-3:] or 0) * 1000)
        rows.append({
            "activePx": "", "actualPx": "", "actualSide": "", "actualSz": "0", "algoClOrdId": "",
            "algoId": algo_id, "amendPxOnTriggerType": "", "attachAlgoOrds": [], "cTime": ts,
            "callbackRatio": "", "callbackSpread": "", "ccy": "", "clOrdId": "", "closeFraction": "",
            "failCode": "", "instId": str(algo["instId"]), "instType": type_of(inst), "last": "",
            "lever": fmt(lever_of(world, acct, inst, mode, side)) if type_of(inst) in DERIVATIVES else "",
            "moveTriggerPx": "", "ordId": "", "ordIdList": [], "ordPx": str(algo.get("ordPx", "")),
            "ordType": kind, "posSide": side, "pxLimit": "", "pxSpread": "", "pxVar": "",
            "quickMgnType": "", "reduceOnly": str(algo.get("reduceOnly", "false")).lower(),
            "side": str(algo.get("side", "buy")), "slOrdPx": str(algo.get("slOrdPx", "")),
            "slTriggerPx": str(algo.get("slTriggerPx", "")), "slTriggerPxType": "", "state": "live",
            "sz": str(algo.get("sz", "")), "szLimit": "", "tag": "", "tdMode": mode, "tgtCcy": "",
            "timeInterval": "", "tpOrdPx": str(algo.get("tpOrdPx", "")),
            "tpTriggerPx": str(algo.get("tpTriggerPx", "")), "tpTriggerPxType": "",
            "triggerPx": str(algo.get("triggerPx", "")), "triggerPxType": "", "triggerTime": "",
            "uTime": ts,
        })
    return paginate(rows, "algoId", params, limit)


def grid_bots_pending(world: World, acct, params):
    """Running grid trading bots (GET /api/v5/tradingBot/grid/orders-algo-pending; algoOrdType required)."""
    kind = params.get("algoOrdType")
    if not kind:
        raise empty("algoOrdType")
    if kind not in GRID_TYPES:
        raise bad("algoOrdType")
    limit = parse_limit(params.get("limit"))
    rows = []
    for bot in acct.get("bots") or []:
        if str(bot.get("algoOrdType", "grid")) != kind:
            continue
        inst = world.inst_or_guess(str(bot["instId"]))
        if params.get("instId") and str(bot["instId"]) != params["instId"]:
            continue
        if params.get("instType") and type_of(inst) != params["instType"]:
            continue
        algo_id = world.ids[id(bot)]
        ts = str(SIM_EPOCH_MS)
        rows.append({
            "algoId": algo_id, "algoClOrdId": "", "algoOrdType": kind, "instId": str(bot["instId"]),
            "instType": type_of(inst), "instFamily": family_of(inst) if type_of(inst) in DERIVATIVES else "",
            "state": "running", "direction": str(bot.get("direction", "")), "lever": str(bot.get("lever", "")),
            "maxPx": str(bot.get("maxPx", "")), "minPx": str(bot.get("minPx", "")),
            "gridNum": str(bot.get("gridNum", "")), "runType": "1", "investment": str(bot.get("investment", "")),
            "cTime": ts, "uTime": ts, "tag": "",
        })
    return paginate(rows, "algoId", params, limit)


def paginate(rows: list[dict], id_field: str, params: dict, limit: int) -> list[dict]:
    """Newest first; `after` = older than that id, `before` = newer than that id (OKX pagination)."""
    rows.sort(key=lambda r: int(digits(r[id_field]) or 0), reverse=True)
    if params.get("after"):
        after = int(digits(params["after"]) or 0)
        rows = [r for r in rows if int(digits(r[id_field]) or 0) < after]
    if params.get("before"):
        before = int(digits(params["before"]) or 0)
        rows = [r for r in rows if int(digits(r[id_field]) or 0) > before]
    return rows[:limit]
