"""OKX's cross MARGIN leverage kept per borrowed currency (the account key `currencies:`): schema, checks, diff."""

from __future__ import annotations

import re
from decimal import Decimal

from ...address import Address
from ...diff import make_change, refuse
from ...model import CROSS, AccountSpec
from ..base import decimal_text

# Seed set-leverage scenarios 2, 4, 5 (Spot mode with borrowing, Multi-currency margin, Portfolio margin).
CURRENCIES_OPTION = {
    "type": "object",
    "description": "cross MARGIN leverage kept per borrowed currency (Spot mode with borrowing, Multi-currency "
                   "margin, Portfolio margin), e.g. {BTC: {leverage: 5}}.",
    "additionalProperties": {"type": "object", "additionalProperties": False, "required": ["leverage"],
                             "properties": {"leverage": {"$ref": "#/$defs/positive"}}},
}
CURRENCY_CODE = re.compile(r"[A-Z0-9]{1,20}")
LEVERAGE_STEP = Decimal("0.01")  # OKX takes leverage with up to 2 decimals


def currency_leverage(account: AccountSpec) -> dict[str, Decimal]:
    """currency -> the cross leverage the file asks for it."""
    return {currency: Decimal(spec["leverage"]) for currency, spec in (account.options.get("currencies") or {}).items()}


class CurrencyLeverage:
    """The adapter's part that plans `currencies:` (mixed into OkxAdapter)."""

    @classmethod
    def option_problems(cls, name, value):
        problems = []
        for currency, spec in (value or {}).items() if name == "currencies" else ():
            if not CURRENCY_CODE.fullmatch(currency):
                problems.append(((currency,), "a currency is written as the venue's upper-case code, e.g. BTC"))
            elif Decimal(spec["leverage"]) % LEVERAGE_STEP != 0:
                problems.append(((currency, "leverage"), f"okx accepts at most 2 decimals for leverage "
                                                         f"(got {spec['leverage']})"))
        return problems

    def imported_options(self, options, live):
        kept = {name: value for name, value in options.items() if name != "currencies"}
        if live.options.get("currencies"):
            kept["currencies"] = {currency: {"leverage": value} for currency, value in live.options["currencies"].items()}
        return kept

    def option_changes(self, spec, live, result):
        for currency, want in currency_leverage(spec).items():
            setting_id = str(Address(spec.name, "leverage", currency, CROSS, scope="currency"))
            have = (live.options.get("currencies") or {}).get(currency)
            result.observed[setting_id] = None if have is None else decimal_text(have)
            if have is not None and Decimal(have) == want:
                result.in_sync.append(setting_id)
                continue
            change = make_change(spec, setting_id, currency, "leverage", have, want, margin_mode=CROSS)
            refuse(change, self.currency_leverage_refusal(live, currency))
            result.changes.append(change)
