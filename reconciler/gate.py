"""The write gate: every request that changes anything at a venue passes here at send time, or is not sent.

The client asks the gate before it signs a write (and nothing else sends writes). The gate lets a call
leave only when:
- it is a call of the reviewed plan, or a margin move of a reviewed change whose amount stays within what
  the plan showed (`move_bound` where the amount is known only at send time);
- every effect it has (every setting it changes: a batch call's symbols, the leverage a mode switch
  makes live, the actual amount of a margin move) is allowed by the policy, and the change windows are
  open now;
- for a margin move: no earlier request on the same position of the same venue account, from this run,
  an earlier one that died, or another runner, may still execute; and the move fits `max_margin_moved`
  with every run's moves of the last 24 hours. The move is recorded durably before it is sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from .errors import ReconcilerError
from .intents import DONE, REFUSED, UNKNOWN, Intent, IntentStore
from .plan import Call, Change, Plan
from .policy import windows as clock
from .policy.rules import MOVED_WINDOW_HOURS, bound, judge, window_refusal
from .venues.base import decimal_text


class GateRefusal(ReconcilerError):
    """The gate did not let a call leave; `rule` is the policy rule it breaks (None: not the reviewed call)."""

    def __init__(self, message: str, rule: str | None = None):
        self.rule = rule
        super().__init__(message)


class EarlierMovePending(ReconcilerError):
    """An earlier request moving this position's margin may still execute: nothing is sent before `until`."""

    def __init__(self, intents: list[Intent]):
        self.intents = intents
        self.until = max(intent.expires_at for intent in intents)
        super().__init__("; ".join(intent.describe() for intent in intents) + " and its outcome is unknown")


@dataclass
class Ticket:
    """What the gate let through: the margin move's record, to settle once the answer is known."""

    intent: Intent | None = None


class Gate:
    """One run's gate, made from the plan this run sends (already checked against the reviewed one)."""

    def __init__(self, plan: Plan, policy, intents: IntentStore, run_id: str):
        self.policy = policy
        self.intents = intents
        self.run_id = run_id
        self._calls: dict[str, dict[str, Call]] = {}  # account -> call key -> the reviewed call (with its effects)
        self._moves: dict[str, list[Change]] = {}  # account -> reviewed margin moves
        self.review(plan)

    def review(self, plan: Plan) -> None:
        """Let the calls of `plan` (more accounts' reviewed parts, as each is approved) through from now on."""
        for change in plan.changes:
            if change.status != "change":
                continue
            for call in change.calls:
                self._calls.setdefault(change.account, {})[call.key()] = call
            if change.field == "isolated_margin":
                self._moves.setdefault(change.account, []).append(change)

    async def admit(self, client, call: Call) -> Ticket:
        """Judge `call` as `client` is about to sign it; GateRefusal or EarlierMovePending when it may not leave."""
        adapter = client.adapter
        account = adapter.account.name
        if self.policy:
            refusal = window_refusal(self.policy, clock.now())  # change windows and deny windows, now
            if refusal:
                raise GateRefusal(refusal[1], refusal[0])
        move = adapter.move_of(call)
        reviewed = self._calls.get(account, {}).get(call.key())
        if move is None:
            if reviewed is None:
                raise GateRefusal(f"{call.method} {call.path} {call.body or call.query or ''} is not a call of the "
                                  "reviewed plan: not sent")
            self._judge(adapter.venue, reviewed.effects)
            return Ticket()
        change = self._reviewed_move(adapter, account, call, move)
        self._judge(adapter.venue, [adapter.move_effect(change.symbol, change.side, move)])
        coin = adapter.margin_currency(change.symbol, change.side)
        await self._check_moved(adapter.venue, client.identity, change, coin, move)
        # The amount was computed from a read: any move of this position that could still execute after that read
        # (from an earlier attempt, a run that died, another runner) makes it stale. Wait that move out, read again.
        read_at = call.read_at if call.read_at is not None else time.time()
        pending = await self.intents.unresolved(client.identity, change.symbol, change.side, read_at)
        if pending:
            raise EarlierMovePending(pending)
        return Ticket(Intent(identity=client.identity, symbol=change.symbol, side=change.side,
                             move=decimal_text(move), coin=coin, account=account, run_id=self.run_id,
                             signed_at=0.0, expires_at=0.0))

    async def sending(self, ticket: Ticket, signed_at: float, expires_at: float) -> None:
        """Just before the bytes leave: the margin move is recorded durably (if this fails, nothing is sent)."""
        if ticket.intent is not None:
            ticket.intent.signed_at, ticket.intent.expires_at = signed_at, expires_at
            await self.intents.record(ticket.intent)

    async def answered(self, ticket: Ticket, state: str) -> None:
        """DONE, REFUSED or UNKNOWN (no answer, or one that does not say): UNKNOWN keeps blocking until expiry."""
        if ticket.intent is not None and ticket.intent.signed_at:
            await self.intents.settle(ticket.intent, state)

    def _judge(self, venue: str, effects: list[dict]) -> None:
        if not self.policy:
            return
        for item in effects:
            broken = judge(self.policy, venue, item)
            if broken:
                raise GateRefusal(f"{broken[1]}: not sent", broken[0])

    def _reviewed_move(self, adapter, account: str, call: Call, move: Decimal) -> Change:
        """The reviewed margin change `call` moves, when its amount stays within what the plan showed."""
        for change in self._moves.get(account, []):
            if adapter.margin_call(change.symbol, change.side, move).key() != call.key():
                continue
            planned = adapter.move_of(change.calls[0])
            if change.move_bound is not None:
                limit = Decimal(change.move_bound)
                if abs(move) > limit:
                    raise GateRefusal(f"{change.id}: the move needed at send time, {decimal_text(move)}, is beyond the "
                                      f"bound the plan showed ({change.move_bound}): not sent")
            elif (move > 0) != (planned > 0) or abs(move) > abs(planned):
                raise GateRefusal(f"{change.id}: the move needed at send time, {decimal_text(move)}, is not within the "
                                  f"reviewed move of {decimal_text(planned)}: not sent")
            return change
        raise GateRefusal(f"{call.method} {call.path} {call.body} moves margin on a position the reviewed plan does not "
                          "move: not sent")

    async def _check_moved(self, venue: str, identity: str, change: Change, coin: str | None, move: Decimal) -> None:
        if not self.policy:
            return
        limits = bound(self.policy, "max_margin_moved", venue, change.symbol)
        if not limits:
            return
        moved = await self.intents.moved(identity, coin, time.time() - MOVED_WINDOW_HOURS * 3600)
        for limit in limits:
            if moved + abs(move) > limit.value:
                raise GateRefusal(
                    f"max_margin_moved {decimal_text(limit.value)} ({limit.where}) in {MOVED_WINDOW_HOURS} h: "
                    f"{decimal_text(moved)} {coin or ''} moved already on this venue account (every run and every name "
                    f"in the file counts), this move of {decimal_text(abs(move))} would exceed it: not sent", limit.rule)


def outcome_state(error) -> str:
    """How a margin move's answer settles its record: DONE, REFUSED, or UNKNOWN while it may still execute."""
    if error is None or getattr(error, "settled", False):
        return DONE  # answered: done, or at least nothing of it can execute any more (counted as moved)
    return UNKNOWN if getattr(error, "ambiguous", True) or getattr(error, "kind", "") == "busy" else REFUSED


__all__ = ["Gate", "GateRefusal", "EarlierMovePending", "Ticket", "outcome_state"]
