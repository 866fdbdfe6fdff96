"""The OKX world: instruments keyed by (instType, instId), accounts by API key, and what each account holds.

World section (``okx:``), keys pinned by DESIGN.md, plus these optional ones:

- instrument: any public field (``lotSz``, ``minSz``, ``tickSz``, ``ctType``, ``expTime``, ``state``, ...)
  overrides the generated one;
- account: ``algo_orders`` (pending algo orders: instId, tdMode, side, posSide, sz, ordType, triggerPx...),
  ``bots`` (running grid trading bots: instId, algoOrdType ``grid``/``contract_grid``/``moon_grid``,
  algoId), ``config.enableSpotBorrow`` (Spot mode borrowing, default false), ``config.mainUid``
  (a uid other than the account's own makes it a sub-account: settings refusals answer 59002),
  ``taker_fee_rate`` (the fee rate in its positions' margin ratio and liqPx, default 0.0005: liquidation.py);
- leverage: besides instIds, a currency (``BTC: {cross: "5"}``) holds its currency-level cross leverage;
  ``demo`` (true: only answers with ``x-simulated-trading: 1``; false: only without it; absent: both),
  ``config.perm`` (default ``read_only,trade``; without ``trade`` every write answers 50120),
  ``config.mainUid``, ``config.label``;
- position: ``markPx`` (defaults to ``avgPx``), ``posId``, ``ccy`` (the margin currency of an isolated
  MARGIN position, default the quote currency; margin-balance must name it); order: ``ordId``, ``ordType`` (default limit),
  ``reduceOnly``, ``clOrdId``; algo order: ``algoId``.

Defaults for settings the world does not give:

- ``config``: posMode ``net_mode``, acctLv ``"2"``, ctIsoMode ``automatic``, mgnIsoMode ``automatic``;
- leverage never set for an instrument and margin mode: ``DEFAULT_LEVER`` (10), capped at the
  instrument's maximum ``lever`` (unconfirmed, see leverage.py); currency-level (``ccy``) cross
  leverage likewise 10;
- a cross FUTURES leverage not given for one expiry takes the value given for another FUTURES
  instrument of the same instFamily (one value per family, seed scenario 6).
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal, InvalidOperation

from .errors import OkxError
from .instruments import INST_TYPES, LEVERAGED_FIRST, family_of, infer_type, public_instrument, type_of
from .values import dec, digits, fmt

DEFAULT_CONFIG = {
    "posMode": "net_mode",
    "acctLv": "2",
    "ctIsoMode": "automatic",
    "mgnIsoMode": "automatic",
}


class World:
    """The world section, checked once; its accounts are the mappings the handlers read and change."""

    def __init__(self, section: dict):
        section = copy.deepcopy(section or {})
        if not isinstance(section, dict):
            raise TypeError("the okx section must be a mapping")
        instruments = section.setdefault("instruments", [])
        accounts = section.setdefault("accounts", [])
        if not isinstance(instruments, list) or not isinstance(accounts, list):
            raise TypeError("okx instruments and accounts must be lists")
        by_id = {}
        for inst in instruments:
            if not isinstance(inst, dict):
                raise TypeError("each okx instrument must be a mapping")
            inst_id = str(inst["instId"])
            inst_type = str(inst.get("instType") or infer_type(inst_id))
            if inst_type not in INST_TYPES:
                raise ValueError(f"instrument {inst_id}: unknown instType {inst_type!r}")
            by_id[(inst_type, inst_id)] = inst
        keys = {}
        ids: dict[int, str] = {}
        for acct in accounts:
            if not isinstance(acct, dict):
                raise TypeError("each okx account must be a mapping")
            for key in ("api_key", "secret", "passphrase", "uid"):
                if acct.get(key) in (None, ""):
                    raise KeyError(f"okx account needs {key}")
            if str(acct["api_key"]) in keys:
                raise ValueError(f"duplicate okx api_key {acct['api_key']!r}")
            keys[str(acct["api_key"])] = acct
            for field, kind in (("config", dict), ("balances", dict), ("leverage", dict),
                                ("positions", list), ("orders", list), ("algo_orders", list), ("bots", list)):
                if acct.get(field) is not None and not isinstance(acct[field], kind):
                    raise TypeError(f"okx account {acct['uid']}: {field} must be a {kind.__name__}")
            for value in (acct.get("balances") or {}).values():
                number(value)
            if acct.get("taker_fee_rate") is not None:
                number(acct["taker_fee_rate"])
            for inst_id, row in (acct.get("leverage") or {}).items():
                if not isinstance(row, dict):
                    raise TypeError(f"okx leverage of {inst_id} must map mgnMode to a value")
                for mode, value in row.items():
                    if mode not in ("cross", "isolated"):
                        raise ValueError(f"okx leverage of {inst_id}: unknown mgnMode {mode!r}")
                    for side_value in (value.values() if isinstance(value, dict) else [value]):
                        number(side_value)
            for i, pos in enumerate(acct.get("positions") or []):
                require(pos, "instId", "mgnMode")
                for field in ("pos", "avgPx", "margin"):
                    number(pos.get(field) or "0")
                ids[id(pos)] = str(pos.get("posId") or f"{acct['uid']}{5000000 + i}")
            for i, order in enumerate(acct.get("orders") or []):
                require(order, "instId", "tdMode")
                ids[id(order)] = str(order.get("ordId") or 600_000_000_000_000_000 + uid_num(acct) * 1000 + i)
            for i, algo in enumerate(acct.get("algo_orders") or []):
                require(algo, "instId")
                ids[id(algo)] = str(algo.get("algoId") or 700_000_000_000_000_000 + uid_num(acct) * 1000 + i)
            for i, bot in enumerate(acct.get("bots") or []):
                require(bot, "instId")
                ids[id(bot)] = str(bot.get("algoId") or 800_000_000_000_000_000 + uid_num(acct) * 1000 + i)
        self.section = section
        self.instruments = by_id
        # (instType, instId) -> its public/instruments row as JSON text: a world's instruments never change
        self.listing = {key: json.dumps(public_instrument(inst), separators=(",", ":"))
                        for key, inst in by_id.items()}
        self.by_key = keys
        self.ids = ids

    def inst(self, inst_id: str, inst_type: str | None = None) -> dict | None:
        """The listing of this id (of this type; else the leveraged one: MARGIN over SPOT)."""
        for kind in (inst_type,) if inst_type else LEVERAGED_FIRST:
            inst = self.instruments.get((kind, inst_id))
            if inst is not None:
                return inst
        return None

    def inst_or_guess(self, inst_id: str) -> dict:
        """A world instrument, or one guessed from the id for positions/orders the world did not list."""
        inst = self.inst(inst_id)
        if inst is not None:
            return inst
        kind = infer_type(inst_id)
        return {"instId": inst_id, "instType": "MARGIN" if kind == "SPOT" else kind, "lever": "100", "ctVal": "1"}

    def known_inst(self, inst_id: str) -> dict:
        inst = self.inst(inst_id)
        if inst is None:
            raise OkxError("51001", "Instrument ID doesn't exist.")
        return inst

    def family_futures(self, inst: dict, acct: dict | None = None) -> list[str]:
        """Every FUTURES instId of this instrument's family (world instruments and leverage rows)."""
        family = family_of(inst)
        ids = [i for (kind, i), x in self.instruments.items() if kind == "FUTURES" and family_of(x) == family]
        for inst_id in ((acct or {}).get("leverage") or {}):
            other = self.inst(inst_id, "FUTURES")
            if other is not None and type_of(other) == "FUTURES" and family_of(other) == family \
                    and inst_id not in ids:
                ids.append(inst_id)
        return ids

    def state(self) -> dict:
        return copy.deepcopy(self.section)


# --- an account ------------------------------------------------------------------------------
def config_of(acct: dict) -> dict:
    return acct.get("config") or {}


def config_value(acct: dict, key: str) -> str:
    return str(config_of(acct).get(key, DEFAULT_CONFIG.get(key, "")))


def spot_borrow(acct: dict) -> bool:
    return str(config_of(acct).get("enableSpotBorrow", False)).lower() == "true"


def sub_account(acct: dict) -> bool:
    return str(config_of(acct).get("mainUid", acct["uid"])) != str(acct["uid"])


def is_hedge(acct: dict) -> bool:
    return config_value(acct, "posMode") == "long_short_mode"


def positions_of(acct: dict) -> list[dict]:
    return acct.get("positions") or []


def orders_of(acct: dict) -> list[dict]:
    return acct.get("orders") or []


def algos_of(acct: dict) -> list[dict]:
    return acct.get("algo_orders") or []


def balance_of(acct: dict, ccy: str) -> Decimal:
    return dec((acct.get("balances") or {}).get(ccy, "0"))


def set_balance(acct: dict, ccy: str, value: Decimal) -> None:
    acct.setdefault("balances", {})
    if acct["balances"] is None:
        acct["balances"] = {}
    acct["balances"][ccy] = fmt(value)


# --- checks of the section ---------------------------------------------------------------------
def uid_num(acct: dict) -> int:
    return int(digits(acct["uid"]) or 0) % 1_000_000_000


def require(item, *keys) -> None:
    if not isinstance(item, dict):
        raise TypeError("positions and orders must be mappings")
    for key in keys:
        if item.get(key) in (None, ""):
            raise KeyError(f"okx position/order needs {key}")


def number(value) -> Decimal:
    try:
        return dec(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
