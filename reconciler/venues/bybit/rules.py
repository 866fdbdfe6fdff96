"""What a Bybit account's type lets the file say, and the plan's reasons for what cannot be done as it stands.

bybit.md 3: on a unified trading account (UTA) the margin mode is one setting of the whole account
(ISOLATED_MARGIN, REGULAR_MARGIN = cross, PORTFOLIO_MARGIN), read from /v5/account/info; a classic account
keeps it per symbol (switch-isolated), and so does a UTA 1.0 for its inverse contracts. Leverage is per
symbol everywhere, buy and sell apart only in hedge mode with isolated margin; position mode is per symbol
(or per settle coin), hedge mode for USDT perpetuals only.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...model import CROSS, ISOLATED, AccountLive, AccountSpec, Order, Position
from ..base import decimal_text, describe_activity, venue_number
from .listing import Contract

PORTFOLIO = "portfolio"
MARGIN_MODES = {"ISOLATED_MARGIN": ISOLATED, "REGULAR_MARGIN": CROSS, "PORTFOLIO_MARGIN": PORTFOLIO}
VENUE_MARGIN_MODES = {mode: name for name, mode in MARGIN_MODES.items()}
ACCOUNT_TYPES = {1: "classic account", 3: "unified trading account 1.0", 4: "unified trading account 1.0 pro",
                 5: "unified trading account 2.0", 6: "unified trading account 2.0 pro"}
KEY_WARNING_DAYS = 30  # bybit.md 1: "read deadlineDay and warn well ahead of expiry"


@dataclass(frozen=True)
class AccountKind:
    """The account type GET /v5/account/info reports, and its margin mode (None on a classic account)."""

    status: int
    margin_mode: str | None

    @classmethod
    def from_info(cls, info: dict) -> "AccountKind":
        # bybit.md 3: ccxt takes 6 (UTA 2.0 pro) when unifiedMarginStatus is absent; so do we.
        status = int(info.get("unifiedMarginStatus") or 6)
        name = str(info.get("marginMode") or "REGULAR_MARGIN")  # DOCS: regular (cross) margin is the default
        return cls(status, None if status == 1 else MARGIN_MODES.get(name, name.lower()))

    @property
    def classic(self) -> bool:
        return self.status == 1

    @property
    def uta1(self) -> bool:
        return self.status in (3, 4)

    @property
    def uta2(self) -> bool:
        return not self.classic and not self.uta1

    def per_symbol(self, contract: Contract) -> bool:
        """Whether this contract keeps its own margin mode (switch-isolated): classic, and inverse on UTA 1.0."""
        return self.classic or (self.uta1 and not contract.linear)

    def describe(self) -> str:
        return f"{ACCOUNT_TYPES.get(self.status, 'unified trading account')} (unifiedMarginStatus {self.status})"


def risk_tier_blockers(positions: list[Position], tiers: list[dict], side: str | None, leverage) -> list[str]:
    """Open positions too large for `leverage` at their risk tier: Bybit refuses it (110013, bybit.md 8: the higher
    the leverage, the smaller the largest position). A position's tier is the first whose riskLimitValue covers its
    value (the auto risk limit)."""
    blockers = []
    for position in positions:
        if side is not None and position.side != side or not tiers or position.cost is None:
            continue
        tier = next((t for t in tiers if position.cost <= (venue_number(t.get("riskLimitValue")) or 0)), tiers[-1])
        highest = venue_number(tier.get("maxLeverage"))
        if highest is not None and leverage > highest:
            blockers.append(f"{describe_activity([position], [])[0]} is worth {decimal_text(position.cost)}, in risk "
                            f"tier {tier.get('id', '?')} (up to {decimal_text(venue_number(tier.get('riskLimitValue')))}"
                            f"), whose maximum leverage is {decimal_text(highest)}x: Bybit refuses "
                            f"{decimal_text(leverage)}x (110013) until the position is smaller; or lower the "
                            "leverage in the file")
    return blockers


def account_mode(kind: AccountKind, spec: AccountSpec) -> str | None:
    """The margin mode a unified account's symbols trade in once the file holds: the file's, else the live one."""
    return spec.settings.get("margin_mode") or kind.margin_mode


def symbol_mode(kind: AccountKind, contract: Contract, trade_mode: int | None) -> str | None:
    """The margin mode a symbol trades in now: its own tradeMode where it keeps one, else the account's.

    Unconfirmed (bybit.md 3): whether tradeMode still carries the real value on classic accounts (DOCS call it
    deprecated, always 0, for unified ones). We read it there; were it always 0, an isolated symbol would read
    cross, switch-isolated would answer 110026 (already so) and the read-back would report the change as not
    made: a visible failure, never a silent one.
    """
    if kind.per_symbol(contract):
        return None if trade_mode is None else (ISOLATED if trade_mode == 1 else CROSS)
    return kind.margin_mode


def file_problems(spec: AccountSpec, kind: AccountKind, contracts: dict[str, Contract], modes: dict[str, str | None],
                  origin) -> list[str]:
    """Mistakes in the file that only the account type and the listing show, one line each at its symbol entry."""
    problems = []
    whole = account_mode(kind, spec)
    for symbol, wanted in spec.symbols.items():
        contract, where = contracts[symbol], origin(symbol)
        if wanted.margin_mode and not kind.per_symbol(contract) and wanted.margin_mode != whole:
            source = "as settings.margin_mode sets it" if "margin_mode" in spec.settings else "now"
            problems.append(
                f"{where}: {symbol} margin_mode {wanted.margin_mode} cannot hold on its own: on this Bybit "
                f"{kind.describe()} the margin mode is one setting for the whole account, {whole} "
                f"({VENUE_MARGIN_MODES.get(whole, whole)}) {source}; set settings.margin_mode: "
                f"{wanted.margin_mode} to switch the whole account, or drop margin_mode here")
            continue
        mode = wanted.margin_mode or modes.get(symbol)
        sided = [key for key in ("leverage", "isolated_margin")
                 if isinstance(getattr(wanted, key), dict)]
        if sided and not contract.hedge_capable(kind.uta2):
            problems.append(f"{where}: {symbol} is a {contract.contract_type or 'contract'} settled in "
                            f"{contract.settle_coin}: Bybit has hedge mode, and so per-side {' and '.join(sided)}, "
                            "for USDT perpetuals only; give one value")
        elif isinstance(wanted.leverage, dict) and mode == CROSS:
            problems.append(f"{where}: per-side leverage exists only for isolated margin, and {symbol} trades in "
                            "cross margin on this account; give one value")
        values = wanted.leverage.values() if isinstance(wanted.leverage, dict) else [wanted.leverage]
        off = [v for v in values if v is not None and contract.off_step(v)]
        if off:
            problems.append(f"{where}: leverage {decimal_text(off[0])} is not on {symbol}'s leverage step on Bybit "
                            f"({decimal_text(contract.leverage_step)} from {decimal_text(contract.min_leverage)})")
    return problems


def hedge_scope(kind: AccountKind, contracts: dict[str, Contract], symbols: list[str]) -> list[str]:
    """The symbols settings.position_mode speaks for: the file's that can be in hedge mode, or every such listed
    one when the file lists no symbol."""
    if symbols:
        return [s for s in symbols if contracts[s].hedge_capable(kind.uta2)]
    return [s for s, contract in contracts.items() if contract.hedge_capable(kind.uta2)]


def position_mode_of(hedged: list[bool]) -> str | None:
    """The account's position mode as the symbols of its scope have it: net, hedge, or None when they differ
    (`notes` says which is which; a file written from it, `import`, then names none)."""
    modes = {"hedge" if hedge else "net" for hedge in hedged}
    return modes.pop() if len(modes) == 1 else ("net" if not modes else None)


def setting_refusal(kind: AccountKind, name: str, value: str, scope: list[str], symbols: list[str]) -> str | None:
    if name == "margin_mode" and kind.classic:
        return (f"this Bybit account is a {kind.describe()}: it keeps the margin mode per symbol (switch-isolated) "
                "and has no account margin mode to set; write margin_mode under each symbol (or under defaults:) "
                "instead of settings.margin_mode")
    if name == "position_mode" and value == "hedge" and symbols and not scope:
        return ("none of this account's symbols can be in hedge mode: Bybit has it for USDT perpetuals only; "
                "keep position_mode: net or remove it")
    return None


def margin_mode_blockers(positions: list[Position], orders: list[Order]) -> list[str]:
    """Unconfirmed (bybit.md 5.1, 10): which positions and orders stop the account-level switch. The safe rule:
    every open position and open order of the account, on any symbol, each named."""
    return describe_activity(positions, orders)


def position_mode_blockers(live: AccountLive, targets: list[str]) -> list[str]:
    """bybit.md 5.4: 110024 with a position, 110028 with open orders, on each symbol the switch would change."""
    return [f"{phrase} (Bybit switches a symbol's position mode only with neither open)"
            for symbol in targets for phrase in describe_activity(live.positions_of(symbol), live.orders_of(symbol))]


def leverage_refusal(symbol: str, margin_mode: str | None) -> str | None:
    if margin_mode == PORTFOLIO:
        return (f"under portfolio margin Bybit keeps no leverage per symbol (110038); remove leverage for {symbol}, "
                "or set settings.margin_mode to cross or isolated")
    return None


def notes(kind: AccountKind, key: dict, one_way: list[str], modes: dict[str, bool]) -> list[str]:
    """What a person must know about this account, once per plan: its type, its key, its position modes."""
    said = []
    if kind.classic:
        said.append(f"Bybit account: {kind.describe()}. It keeps the margin mode per symbol (margin_mode under "
                    "each symbol, set with switch-isolated); settings.margin_mode does not apply to it.")
    else:
        mode = kind.margin_mode
        said.append(f"Bybit account: {kind.describe()}. Its margin mode is one setting for the whole account, "
                    f"{mode} ({VENUE_MARGIN_MODES.get(mode, mode)}) now: settings.margin_mode sets it (isolated | "
                    "cross | portfolio) and every symbol trades in it, so a symbol's margin_mode must agree with it."
                    + (" Inverse contracts keep their own margin mode per symbol on this account type."
                       if kind.uta1 else "")
                    + " Leverage stays per symbol (buy and sell apart only in hedge mode with isolated margin).")
    days, until = key.get("deadlineDay"), str(key.get("expiredAt") or "")
    if isinstance(days, int) and 0 <= days <= KEY_WARNING_DAYS and not until.startswith("1970"):
        said.append(f"The Bybit API key of this account expires on {until[:10]} ({days} days left): a key bound to "
                    "no IP address lasts 90 days. Bind it to this machine's IP or make a new key before then.")
    if str(key.get("readOnly")) == "1":
        said.append("The Bybit API key of this account is read-only: plan works, apply will be refused (10005).")
    if len(set(modes.values())) > 1:
        said.append("Position modes differ among these symbols: hedge for "
                     + ", ".join(s for s, hedge in modes.items() if hedge) + "; one-way for "
                     + ", ".join(s for s, hedge in modes.items() if not hedge) + ".")
    if one_way:
        said.append(f"{', '.join(one_way)} stay in one-way mode: Bybit has hedge mode for USDT perpetuals only.")
    return said

