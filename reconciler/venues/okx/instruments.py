"""OKX instrument ids: the type an id names, its family, and which instruments one leverage write covers."""

from __future__ import annotations

import re
import sys

from ...model import CROSS

CONTRACT_TYPES = ("SWAP", "FUTURES")
LEVERAGE_TYPES = CONTRACT_TYPES + ("MARGIN",)  # what set-leverage takes an instId of
INSTRUMENT_FIELDS = frozenset({"instId", "instType", "instFamily", "uly", "lever", "ctVal", "ctType", "settleCcy",
                               "state"})  # every field of public/instruments this adapter reads
_EXPIRY = re.compile(r"^\d{6}$")


def infer_type(inst_id: str) -> str:
    """SWAP `X-Y-SWAP`, FUTURES `X-Y-YYMMDD`, MARGIN `X-Y` (okx.md 3); anything else we do not manage."""
    parts = inst_id.split("-")
    if len(parts) == 3 and parts[2] == "SWAP":
        return "SWAP"
    if len(parts) == 3 and _EXPIRY.match(parts[2]):
        return "FUTURES"
    if len(parts) == 2 and all(parts):
        return "MARGIN"
    return "OTHER"


REPEATED_FIELDS = frozenset({"instType", "ctType", "settleCcy", "state", "lever", "ctVal"})  # a few values each


def slim_instrument(pairs: list[tuple]) -> dict:
    """An object of an answer; an instrument row (it has tickSz) with only INSTRUMENT_FIELDS, the values every
    row repeats ("SWAP", "USDT", "live") held once for all rows."""
    row = dict(pairs)
    if "tickSz" not in row:
        return row
    return {key: sys.intern(row[key]) if key in REPEATED_FIELDS and type(row[key]) is str else row[key]
            for key in INSTRUMENT_FIELDS if key in row}


class InstrumentFacts:
    """What the listed instruments (`self._instruments`, filled by the reads) say about an id."""

    _instruments: dict[str, dict]

    def _type(self, symbol: str) -> str:
        inst = self._instruments.get(symbol)
        return (inst or {}).get("instType") or infer_type(symbol)

    def _family(self, symbol: str) -> str:
        inst = self._instruments.get(symbol) or {}
        return inst.get("instFamily") or inst.get("uly") or "-".join(symbol.split("-")[:2])

    def _leverage_scope(self, symbol: str, margin_mode: str) -> set[str]:
        """The instruments one leverage write touches: the family for cross FUTURES (seed scenario 6)."""
        if margin_mode == CROSS and self._type(symbol) == "FUTURES":
            # Families indexed once per instrument list, not one scan of every instrument per symbol.
            indexed, families = getattr(self, "_futures_families", (None, {}))
            if indexed != len(self._instruments):
                families = {}
                for inst_id in self._instruments:
                    if self._type(inst_id) == "FUTURES":
                        families.setdefault(self._family(inst_id), set()).add(inst_id)
                self._futures_families = (len(self._instruments), families)
            return families.get(self._family(symbol), set()) | {symbol}
        return {symbol}

    def _linear_contract(self, symbol: str) -> bool:
        """A SWAP or FUTURES whose value and margin are in the quote currency (USDT-, USDC-margined)."""
        inst = self._instruments.get(symbol) or {}
        if (inst.get("instType") or infer_type(symbol)) not in CONTRACT_TYPES:
            return False
        if inst.get("ctType"):
            return inst["ctType"] == "linear"
        parts = symbol.split("-")
        return inst.get("settleCcy", parts[1]) == parts[1] and parts[1] != "USD"
