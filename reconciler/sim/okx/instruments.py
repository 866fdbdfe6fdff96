"""OKX instruments: the type and family of an id, its margin currency, and its public/instruments row."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .values import SIM_EPOCH_MS

INST_TYPES = ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")
DERIVATIVES = ("SWAP", "FUTURES")
LEVERAGED_FIRST = ("SWAP", "FUTURES", "MARGIN", "OPTION", "SPOT")  # which listing an id alone names
_EXPIRY = re.compile(r"^\d{6}$")


def infer_type(inst_id: str) -> str:
    """The type an id names when the world gives none: SWAP, FUTURES (-YYMMDD), OPTION (5 parts), else SPOT."""
    parts = inst_id.split("-")
    if parts[-1] == "SWAP":
        return "SWAP"
    if len(parts) == 3 and _EXPIRY.match(parts[2]):
        return "FUTURES"
    if len(parts) == 5:
        return "OPTION"
    return "SPOT"


def type_of(inst: dict) -> str:
    return str(inst.get("instType") or infer_type(str(inst["instId"])))


def family_of(inst: dict) -> str:
    family = inst.get("instFamily") or inst.get("uly")
    if family:
        return str(family)
    return "-".join(str(inst["instId"]).split("-")[:2])


def expiry_ms(inst_id: str) -> str:
    """Expiry of a FUTURES id `...-YYMMDD`, 08:00 UTC as OKX's expiries are."""
    tail = inst_id.split("-")[-1]
    if not _EXPIRY.match(tail):
        return ""
    try:
        day = datetime(2000 + int(tail[:2]), int(tail[2:4]), int(tail[4:6]), 8, tzinfo=timezone.utc)
    except ValueError:
        return ""
    return str(int(day.timestamp() * 1000))


def settle_ccy(inst: dict) -> str:
    if inst.get("settleCcy"):
        return str(inst["settleCcy"])
    parts = family_of(inst).split("-")
    return parts[1] if len(parts) > 1 else parts[0]


def is_linear(inst: dict) -> bool:
    if inst.get("ctType"):
        return str(inst["ctType"]) == "linear"
    parts = family_of(inst).split("-")
    return len(parts) < 2 or settle_ccy(inst) == parts[1]


def public_instrument(inst: dict) -> dict:
    """A public/instruments row (okx.md 4.5) of a world instrument; the world's own fields win."""
    inst_id = str(inst["instId"])
    inst_type = type_of(inst)
    family = family_of(inst)
    parts = family.split("-")
    base, quote = parts[0], (parts[1] if len(parts) > 1 else "")
    settle = str(inst.get("settleCcy") or (quote if inst_type in DERIVATIVES else ""))
    out = {
        "alias": "", "baseCcy": "", "category": "1", "ctMult": "", "ctType": "", "ctVal": "",
        "ctValCcy": "", "expTime": "", "instFamily": "", "instId": inst_id, "instType": inst_type,
        "lever": "", "listTime": str(SIM_EPOCH_MS - 86_400_000), "lotSz": "1", "maxIcebergSz": "100000000",
        "maxLmtAmt": "20000000", "maxLmtSz": "100000000", "maxMktAmt": "", "maxMktSz": "10000",
        "maxStopSz": "10000", "maxTriggerSz": "100000000", "maxTwapSz": "100000000", "minSz": "1",
        "optType": "", "quoteCcy": "", "ruleType": "normal", "settleCcy": "", "state": "live",
        "stk": "", "tickSz": "0.1", "uly": "",
    }
    if inst_type in ("SPOT", "MARGIN"):
        out.update(baseCcy=base, quoteCcy=quote, lotSz="0.00000001", minSz="0.00001")
        if inst_type == "MARGIN":
            out["lever"] = str(inst.get("lever", ""))
    else:
        linear = settle == quote
        out.update(
            instFamily=family, uly=family, settleCcy=settle, ctMult="1",
            ctVal=str(inst.get("ctVal", "1")),
            ctType="linear" if linear else "inverse",
            ctValCcy=base if linear else quote,
        )
        if inst_type in DERIVATIVES:
            out["lever"] = str(inst.get("lever", ""))
        if inst_type == "FUTURES":
            out["expTime"] = expiry_ms(inst_id)
    for field, value in inst.items():
        out[field] = str(value) if not isinstance(value, (list, dict)) else value
    return out
