"""OKX's business refusals: what the account mode (acctLv) forbids, which pending orders lock a leverage,
and what blocks account settings."""

from __future__ import annotations

from .errors import OkxError
from .instruments import DERIVATIVES, type_of
from .values import dec
from .world import World, algos_of, config_value, orders_of, positions_of, spot_borrow, sub_account

CURRENCY_LEVEL_MODES = ("1", "3", "4")  # seed set-leverage scenarios 2, 4, 5


def account_mode_refusal(acct: dict, inst: dict | None, mgn_mode: str, ccy: str | None,
                          reading: bool) -> OkxError | None:
    """What the account mode (acctLv) does not allow, per seed set-leverage scenarios 1-11."""
    acct_lv = config_value(acct, "acctLv")
    unsupported = OkxError("51010", "Request unsupported under current account mode")
    if ccy:
        # Unconfirmed: the seed names no code for ccy outside scenarios 2, 4, 5 (nor for Spot mode
        # without borrowing); we choose 51010 because it is the safe behaviour (refuse).
        if acct_lv not in CURRENCY_LEVEL_MODES or (acct_lv == "1" and not spot_borrow(acct)):
            return unsupported
        return None
    inst_type = type_of(inst)
    if inst_type in DERIVATIVES and acct_lv == "1":
        return unsupported
    if inst_type in DERIVATIVES and acct_lv == "4" and mgn_mode == "cross":
        if reading:
            return OkxError("59111", "Leverage query isn't supported in portfolio margin account mode")
        return OkxError("51039", "Leverage cannot be adjusted for the cross positions of Expiry Futures "
                                 "and Perpetual Futures under the PM account.")
    if inst_type == "MARGIN" and mgn_mode == "cross" and acct_lv != "2":
        # Seed scenarios 2-5: cross MARGIN leverage is per pair only in Spot and futures mode.
        # Unconfirmed: the code for a pair-level cross MARGIN request in the other modes; 51010.
        return unsupported
    return None


def blocking_orders(world: World, acct: dict, inst: dict, mgn_mode: str) -> tuple[list, list]:
    """Pending orders (regular and algo) on the leverage scope: (same mode, other mode)."""
    scope = {str(inst["instId"])}
    if mgn_mode == "cross" and type_of(inst) == "FUTURES":
        scope |= set(world.family_futures(inst, acct))
    same, other = [], []
    for order in orders_of(acct) + algos_of(acct):
        if str(order["instId"]) not in scope:
            continue
        (same if str(order.get("tdMode", "cross")) == mgn_mode else other).append(order)
    return same, other


def open_items(acct: dict) -> bool:
    """Any open position (pos != 0), pending order (regular or algo) or running trading bot."""
    if any(dec(p.get("pos", "0")) != 0 for p in positions_of(acct)):
        return True
    return bool(orders_of(acct) or algos_of(acct) or acct.get("bots"))


def settings_refused(acct: dict) -> OkxError:
    """okx.md 7: 59002 for a sub-account ("close any open positions, orders, or trading bots"), else 59000."""
    if sub_account(acct):
        return OkxError("59002", "Sub-account settings failed. Close any open positions, orders, or "
                                 "trading bots before modifying settings.")
    return OkxError("59000", "Settings failed. Close any open positions or orders before modifying settings.")
