"""The benchmark's world: three venues with N symbols each, half of them drifted, the matching desired-state
file, and the drift injected (what a perfect planner must write)."""

from __future__ import annotations

from pathlib import Path

import base58
import yaml
from nacl.signing import SigningKey

VENUES = ("bitget", "okx", "orderly")
ACCOUNTS = {"bitget": "bg", "okx": "ox", "orderly": "ol"}

BG_KEY = {"api_key": "bench-bg-key", "secret": "bench-bg-secret", "passphrase": "bench-bg-pass", "uid": "2001"}
OX_KEY = {"api_key": "bench-ox-key", "secret": "bench-ox-secret", "passphrase": "bench-ox-pass", "uid": "1001"}
OL_SIGNING_KEY = SigningKey(bytes(range(101, 133)))  # fixed, benchmark-only
OL_SECRET = base58.b58encode(bytes(OL_SIGNING_KEY)).decode()
OL_ORDERLY_KEY = "ed25519:" + base58.b58encode(bytes(OL_SIGNING_KEY.verify_key)).decode()
OL_ACCOUNT = "0xbe4c000000000000000000000000000000000000000000000000000000000001"

ORDERLY_LEVERAGE_WRITE = "POST /v1/client/leverages"
ORDERLY_LEGACY_LEVERAGE_WRITE = "POST /v1/client/leverage"  # what ccxt's set_leverage posts to

# Drift kinds, in rotation over the drifted symbols of a venue.
BITGET_KINDS = ("lev_cross", "lev_iso", "mode", "mode_lev", "margin")
OKX_KINDS = ("lev_cross", "lev_iso", "margin")
ORDERLY_KINDS = ("lev_cross", "lev_iso", "mode", "mode_lev", "margin")

MARGIN_FROM, MARGIN_TO = "300", "400"  # isolated margin drift: +100 to the target


def leverage_of(i: int, offset: int = 0) -> int:
    """A varied leverage (2..41), so that no Orderly batch leverage call applies (values differ)."""
    return 2 + (i * 7 + offset) % 40


def other(value: int) -> int:
    """A different leverage (the drifted live value)."""
    return value + 3 if value + 3 <= 45 else value - 1


# --- world and desired state -----------------------------------------------------------------------------
class Drift:
    """What was injected: one entry per drifted symbol, with the writes a perfect planner needs."""

    def __init__(self):
        self.items: list[dict] = []  # {"venue", "symbol", "kind", "writes": [endpoint, ...]}

    def add(self, venue: str, symbol: str, kind: str, writes: list[str]) -> None:
        self.items.append({"venue": venue, "symbol": symbol, "kind": kind, "writes": writes})

    def of(self, venue: str) -> list[dict]:
        return [item for item in self.items if item["venue"] == venue]


def bitget_section(n: int, drift: Drift):
    """Hedge mode, USDT-FUTURES. Even symbols in sync, odd ones drifted."""
    set_leverage, set_mode, set_margin = ("POST /api/v2/mix/account/set-leverage",
                                          "POST /api/v2/mix/account/set-margin-mode",
                                          "POST /api/v2/mix/account/set-margin")
    contracts, live, positions, desired = [], {}, [], {}
    kinds = iter(BITGET_KINDS * n)
    for i in range(n):
        symbol = f"C{i:03d}USDT"
        contracts.append({"symbol": symbol, "productType": "USDT-FUTURES", "baseCoin": f"C{i:03d}",
                          "quoteCoin": "USDT", "minLever": "1", "maxLever": "50",
                          "supportMarginCoins": ["USDT"]})
        lev, lev2 = leverage_of(i), leverage_of(i, 11)
        row = {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": str(lev),
               "isolatedLongLever": str(lev), "isolatedShortLever": str(lev2)}
        if i % 2 == 0:  # in sync: cross, isolated per side, isolated with a position inside its band
            if i % 6 == 0:
                desired[symbol] = {"margin_mode": "cross", "leverage": lev}
            else:
                row["marginMode"] = "isolated"
                desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2}}
                if i % 6 == 4:
                    positions.append(_bitget_position(symbol, MARGIN_TO))
                    desired[symbol]["isolated_margin"] = {"min": 350, "max": 450}
            live[symbol] = row
            continue
        kind = next(kinds)
        if kind == "lev_cross":
            row["crossedMarginLeverage"] = str(other(lev))
            desired[symbol] = {"margin_mode": "cross", "leverage": lev}
            writes = [set_leverage]
        elif kind == "lev_iso":  # long and short both off: one call carries both
            row.update(marginMode="isolated", isolatedLongLever=str(other(lev)), isolatedShortLever=str(other(lev2)))
            desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2}}
            writes = [set_leverage]
        elif kind == "mode":  # crossed -> isolated, isolated leverages already right
            desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2}}
            writes = [set_mode]
        elif kind == "mode_lev":  # crossed -> isolated, then both isolated sides in one call
            row.update(isolatedLongLever=str(other(lev)), isolatedShortLever=str(other(lev2)))
            desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2}}
            writes = [set_mode, set_leverage]
        else:  # margin: isolated long position 300, target 400
            row["marginMode"] = "isolated"
            positions.append(_bitget_position(symbol, MARGIN_FROM))
            desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2},
                               "isolated_margin": {"long": int(MARGIN_TO), "short": int(MARGIN_TO)}}
            writes = [set_margin]
        live[symbol] = row
        drift.add("bitget", symbol, kind, writes)
    section = {"contracts": contracts, "accounts": [{
        **BG_KEY, "position_modes": {"USDT-FUTURES": "hedge_mode"}, "balances": {"USDT": "1000000"},
        "symbols": live, "positions": positions, "orders": []}]}
    account = {"venue": "bitget", "product_type": "USDT-FUTURES",
               "credentials": {k: BG_KEY[k] for k in ("api_key", "secret", "passphrase")},
               "settings": {"position_mode": "hedge"}, "symbols": desired}
    return section, account


def _bitget_position(symbol: str, margin: str) -> dict:
    return {"symbol": symbol, "marginCoin": "USDT", "holdSide": "long", "marginMode": "isolated",
            "total": "1", "marginSize": margin, "openPriceAvg": "100"}


def okx_section(n: int, drift: Drift):
    """Net mode. Two futures families (two expiries each, cross) drifted: one call per family;
    the rest are swaps, every other one drifted."""
    set_leverage, margin_balance = "POST /api/v5/account/set-leverage", "POST /api/v5/account/position/margin-balance"
    instruments, leverage, positions, desired = [], {}, [], {}
    families = 2 if n >= 8 else 0
    futures = [(f"F{k}-USDT", f"F{k}-USDT-{expiry}") for k in range(families) for expiry in ("261225", "270326")]
    for family, inst_id in futures:
        instruments.append({"instId": inst_id, "instType": "FUTURES", "instFamily": family, "lever": "50",
                            "settleCcy": "USDT", "ctVal": "1"})
    for k in range(families):  # cross leverage is one value per family: the world gives it to each expiry
        family_ids = [inst_id for fam, inst_id in futures if fam == f"F{k}-USDT"]
        lev = leverage_of(k, 5)
        for index, inst_id in enumerate(family_ids):
            leverage[inst_id] = {"cross": str(other(lev))}
            desired[inst_id] = {"margin_mode": "cross", "leverage": lev}
            drift.add("okx", inst_id, "family", [set_leverage] if index == 0 else [])
    kinds = iter(OKX_KINDS * n)
    swaps = n - len(futures)
    for i in range(swaps):
        inst_id = f"C{i:03d}-USDT-SWAP"
        instruments.append({"instId": inst_id, "instType": "SWAP", "instFamily": f"C{i:03d}-USDT", "lever": "50",
                            "settleCcy": "USDT", "ctVal": "1"})
        lev = leverage_of(i)
        leverage[inst_id] = {"cross": str(lev), "isolated": str(lev)}
        mode = "cross" if i % 4 in (0, 1) else "isolated"
        desired[inst_id] = {"margin_mode": mode, "leverage": lev}
        # n // 2 drifted in all: the futures count already; then every other swap until that many
        drifted = i % 2 == 1 and len(drift.of("okx")) < n // 2
        if not drifted:
            if mode == "isolated" and i % 8 == 2:
                positions.append(_okx_position(inst_id, MARGIN_TO))
                desired[inst_id]["isolated_margin"] = {"min": 350, "max": 450}
            continue
        kind = next(kinds)
        if kind == "lev_cross":
            leverage[inst_id]["cross"] = str(other(lev))
            desired[inst_id]["margin_mode"] = "cross"
            writes = [set_leverage]
        elif kind == "lev_iso":
            leverage[inst_id]["isolated"] = str(other(lev))
            desired[inst_id]["margin_mode"] = "isolated"
            writes = [set_leverage]
        else:
            desired[inst_id] = {"margin_mode": "isolated", "leverage": lev, "isolated_margin": int(MARGIN_TO)}
            positions.append(_okx_position(inst_id, MARGIN_FROM))
            writes = [margin_balance]
        drift.add("okx", inst_id, kind, writes)
    section = {"instruments": instruments, "accounts": [{
        **OX_KEY, "config": {"posMode": "net_mode", "acctLv": "2", "ctIsoMode": "automatic",
                             "mgnIsoMode": "automatic"},
        "balances": {"USDT": "1000000"}, "leverage": leverage, "positions": positions, "orders": []}]}
    account = {"venue": "okx", "credentials": {k: OX_KEY[k] for k in ("api_key", "secret", "passphrase")},
               "settings": {"position_mode": "net"}, "symbols": desired}
    return section, account


def _okx_position(inst_id: str, margin: str) -> dict:
    return {"instId": inst_id, "mgnMode": "isolated", "posSide": "net", "pos": "1", "margin": margin,
            "avgPx": "100"}


def orderly_section(n: int, drift: Drift, leverage_limit: str):
    set_leverage, set_mode, set_margin = ("POST /v1/client/leverages", "POST /v1/client/margin_mode",
                                          "POST /v1/position_margin")
    symbols, modes, leverage, positions, desired = [], {}, {}, [], {}
    kinds = iter(ORDERLY_KINDS * n)
    for i in range(n):
        symbol = f"PERP_C{i:03d}_USDC"
        symbols.append({"symbol": symbol, "base_imr": "0.02", "base_mmr": "0.01", "imr_factor": "0.0000002"})
        lev, lev_iso = leverage_of(i), leverage_of(i, 13)
        leverage[symbol] = {"CROSS": str(lev), "ISOLATED": str(lev_iso)}
        if i % 2 == 0:
            if i % 6 == 0:
                desired[symbol] = {"margin_mode": "cross", "leverage": lev}
            else:
                modes[symbol] = "ISOLATED"
                desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso}
                if i % 6 == 4:
                    positions.append(_orderly_position(symbol, MARGIN_TO))
                    desired[symbol]["isolated_margin"] = {"min": 350, "max": 450}
            continue
        kind = next(kinds)
        if kind == "lev_cross":
            leverage[symbol]["CROSS"] = str(other(lev))
            desired[symbol] = {"margin_mode": "cross", "leverage": lev}
            writes = [set_leverage]
        elif kind == "lev_iso":
            modes[symbol] = "ISOLATED"
            leverage[symbol]["ISOLATED"] = str(other(lev_iso))
            desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso}
            writes = [set_leverage]
        elif kind == "mode":  # CROSS (the default) -> ISOLATED, isolated leverage already right
            desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso}
            writes = [set_mode]
        elif kind == "mode_lev":
            leverage[symbol]["ISOLATED"] = str(other(lev_iso))
            desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso}
            writes = [set_mode, set_leverage]
        else:
            modes[symbol] = "ISOLATED"
            positions.append(_orderly_position(symbol, MARGIN_FROM))
            desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso, "isolated_margin": int(MARGIN_TO)}
            writes = [set_margin]
        drift.add("orderly", symbol, kind, writes)
    section = {"symbols": symbols, "accounts": [{
        "account_id": OL_ACCOUNT, "orderly_key": OL_ORDERLY_KEY, "balances": {"USDC": "1000000"},
        "margin_modes": modes, "leverage": leverage, "positions": positions, "orders": []}]}
    account = {"venue": "orderly", "credentials": {"account_id": OL_ACCOUNT, "secret": OL_SECRET},
               "rate_limits": {ORDERLY_LEVERAGE_WRITE: leverage_limit}, "symbols": desired}
    return section, account


def _orderly_position(symbol: str, margin: str) -> dict:
    return {"symbol": symbol, "margin_mode": "ISOLATED", "position_qty": "1", "margin": margin,
            "average_open_price": "100"}


def build(n: int, leverage_limit: str):
    """(world, desired accounts without base_url, drift)."""
    drift = Drift()
    world, accounts = {}, {}
    for venue, make in (("bitget", bitget_section), ("okx", okx_section)):
        world[venue], accounts[ACCOUNTS[venue]] = make(n, drift)
    world["orderly"], accounts["ol"] = orderly_section(n, drift, leverage_limit)
    # The VIP tier is enforced by the simulator too (both paths: ccxt posts to the older singular one).
    world["rate_limits"] = {ORDERLY_LEVERAGE_WRITE: leverage_limit, ORDERLY_LEGACY_LEVERAGE_WRITE: leverage_limit}
    return world, accounts, drift


def write_desired(directory: Path, accounts: dict, url: str, name: str) -> Path:
    data = {"version": 1, "accounts": {
        account: {"venue": spec["venue"], "environment": "sim", "base_url": url,
                  **{k: v for k, v in spec.items() if k != "venue"}}
        for account, spec in accounts.items()}}
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


