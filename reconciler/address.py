"""A setting's address (account, symbol or other key, setting, margin mode, side): one format, one parse."""

from __future__ import annotations

from dataclasses import dataclass

SIDES = ("long", "short")


@dataclass(frozen=True)
class Address:
    """What one plan item is about, written `account/symbol/setting[/mode][/side]`.

    An account setting has no symbol (`okx-main/position_mode`). A value kept per some other key of the account
    (a venue's per-currency leverage) names that key's kind in `scope` and the key in `symbol`:
    `okx-main/currency/BTC/leverage/cross`.
    """

    account: str
    setting: str
    symbol: str | None = None
    mode: str | None = None
    side: str | None = None
    scope: str | None = None

    def __str__(self) -> str:
        return address_text(self.account, self.setting, self.symbol, self.mode, self.side, self.scope)

    @classmethod
    def parse(cls, text: str, scopes: tuple[str, ...] = ("currency",)) -> "Address":
        """The address `text` writes (the inverse of str()); `scopes` are the key kinds that are not symbols."""
        parts = text.split("/")
        if len(parts) <= 2:  # an account setting (or, in an edited plan, no address at all)
            return cls(parts[0], parts[1] if len(parts) == 2 else "")
        scope = parts[1] if parts[1] in scopes and len(parts) >= 4 else None
        account, symbol, setting, *rest = [parts[0], *parts[2:]] if scope else parts
        side = rest.pop() if rest and rest[-1] in SIDES else None
        return cls(account, setting, symbol, rest[0] if rest else None, side, scope)

    def words(self) -> str:
        """In words, without the account: `ETHUSDT isolated long leverage`, `BTC cross leverage (currency)`."""
        if self.symbol is None:
            return self.setting.replace("_", " ")
        text = " ".join(part for part in (self.symbol, self.mode, self.side, self.setting.replace("_", " ")) if part)
        return f"{text} ({self.scope})" if self.scope else text


def address_text(account: str, setting: str, symbol: str | None = None, mode: str | None = None,
                 side: str | None = None, scope: str | None = None) -> str:
    """str(Address(...)) without making one: what the diff writes for each of 100k symbols."""
    text = f"{account}/{scope}" if scope else account
    if symbol is not None:
        text = f"{text}/{symbol}"
    if setting:
        text = f"{text}/{setting}"
    if mode:
        text = f"{text}/{mode}"
    return f"{text}/{side}" if side else text
