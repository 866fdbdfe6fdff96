"""Progress of a plan or an apply on stderr: reads, writes and verification, with counts, rates and an ETA that
counts the venues' rate windows (rich bars on a terminal, plain lines every 10 s otherwise)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from ..address import Address

PLAIN_EVERY = 10.0  # seconds between plain progress lines; a phase shorter than this prints none


class RunProgress:
    """What api.py, the executor, the transport and the pacer tell of a run, shown as it goes.

    Phases: `reading(estimates)` (a plan's reads; `estimates` of an earlier plan give the totals and the
    ETA), `applying(plan)` (its writes, then the reads that verify them), each closed by `finish()`.
    Events: `answered(account, method)` for every request, `step(done, total, change_id)` for every change
    sent, `waiting(account, endpoint, seconds)` when a rate window holds a request back.
    """

    def __init__(self, stream, terminal: bool | None = None, clock=time.monotonic):
        self.stream = stream
        self.terminal = bool(getattr(stream, "isatty", lambda: False)()) if terminal is None else terminal
        self.clock = clock
        self.phase: str | None = None
        self._display = None
        self._ticker = None

    # --- phases ------------------------------------------------------------------------------------
    def reading(self, estimates: dict | None = None) -> None:
        self._begin("reading")
        self.expected = {account: e.get("plan_reads", 0) for account, e in (estimates or {}).items()
                         if "plan_reads" in e} or None
        self.floors = {account: e.get("plan_seconds", 0.0) for account, e in (estimates or {}).items()}
        self._start_output()

    def applying(self, plan) -> None:
        self._begin("applying")
        self.accounts = list(plan.accounts)
        self.writes_total = Counter(c.account for c in plan.changes if c.status == "change")
        estimates = {a: e for a, e in plan.estimates.items() if self.writes_total.get(a)}
        self.verify_expected = {a: e.get("verify_reads", 0) for a, e in estimates.items()}
        self.floors = {a: (e.get("write_seconds", 0.0), e.get("verify_seconds", 0.0)) for a, e in estimates.items()}
        self._start_output()

    def finish(self, completed: bool = True) -> None:
        """The phase ended: a plain display that showed it says how it went (unless it stopped on an error,
        which says enough)."""
        if self.phase is None:
            return
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        long = self.printed or self.clock() - self.started >= PLAIN_EVERY
        if self._display is not None:  # the bars go; a long phase leaves its closing line
            self._display.close()
            self._display = None
        if completed and long:
            self._line(self.closing_text())
        self.phase = None

    # --- events --------------------------------------------------------------------------------------
    def answered(self, account: str, method: str) -> None:
        if self.phase == "reading":
            self.reads[account] = self.reads.get(account, 0) + 1
        elif self.phase == "applying" and method == "GET":
            self.verified[account] = self.verified.get(account, 0) + 1
            self.moved["verifying"] = self.clock()
        self._show()

    def step(self, done: int, total: int, what: str) -> None:
        if self.phase != "applying":
            return
        account = Address.parse(what).account
        self.written[account] = self.written.get(account, 0) + 1
        self.moved["writing"] = self.clock()
        self._show()

    def waiting(self, account: str, endpoint: str, seconds: float) -> None:
        if seconds >= 1:
            self.wait = (account, endpoint, self.clock() + seconds)
            self._show()

    # --- what is shown -----------------------------------------------------------------------------
    def eta(self) -> float | None:
        """Seconds left: the rate-window floor of what remains, or the pace so far when that is slower."""
        elapsed = max(self.clock() - self.started, 1e-6)
        if self.phase == "reading":
            if not self.expected:
                return None
            floor = max((self.floors.get(a, 0.0) * _left(self.reads.get(a, 0), n) for a, n in self.expected.items()),
                        default=0.0)
            done, total = sum(self.reads.values()), sum(self.expected.values())
        else:
            floor = max((write * _left(self.written.get(a, 0), self.writes_total[a])
                         + verify * _left(self.verified.get(a, 0), self.verify_expected.get(a, 0))
                         for a, (write, verify) in self.floors.items()), default=0.0)
            done, total = sum(self.written.values()), sum(self.writes_total.values())  # the pace of the writes
        paced = (total - done) * elapsed / done if done else 0.0
        return max(floor, paced, 0.0)

    def rate(self, count: int, counter: str) -> str:
        """Per second, up to the counter's last step (a finished counter keeps its rate)."""
        until = self.clock() if self.phase == "reading" else self.moved.get(counter, self.clock())
        return f"{count / max(until - self.started, 1e-6):.1f}/s"

    def waiting_text(self) -> str:
        if not self.wait or self.wait[2] <= self.clock():
            return ""
        account, endpoint, until = self.wait
        return f"{account} waits {until - self.clock():.0f} s for the {endpoint} rate window"

    def lines(self) -> list[tuple[str, int, int | None, str]]:
        """(what, done, total or None, rate) per counter of the phase."""
        if self.phase == "reading":
            done = sum(self.reads.values())
            return [("reading", done, sum(self.expected.values()) if self.expected else None,
                     self.rate(done, "reading"))]
        written, verified = sum(self.written.values()), sum(self.verified.values())
        return [("writing", written, sum(self.writes_total.values()), self.rate(written, "writing")),
                ("verifying", verified, sum(self.verify_expected.values()) or None, self.rate(verified, "verifying"))]

    def status_text(self) -> str:
        parts = []
        for what, done, total, rate in self.lines():
            unit = "requests" if what == "reading" else "changes" if what == "writing" else "reads"
            parts.append(f"{what} {done}{'/' + str(total) if total is not None else ''} {unit} ({rate})")
        eta = self.eta()
        text = ", ".join(parts) + (f"; {eta_text(eta)}" if eta is not None else "")
        waiting = self.waiting_text()
        return text + (f"; {waiting}" if waiting else "")

    def closing_text(self) -> str:
        took = self.clock() - self.started
        if self.phase == "reading":
            done = sum(self.reads.values())
            return f"read {done} requests in {took:.1f} s ({self.rate(done, 'reading')})"
        written, verified = sum(self.written.values()), sum(self.verified.values())
        return f"sent {written} changes and read {verified} back to verify them in {took:.1f} s"

    # --- output ------------------------------------------------------------------------------------
    def _begin(self, phase: str) -> None:
        self.finish()
        self.phase, self.started = phase, self.clock()
        self.reads, self.written, self.verified = {}, {}, {}
        self.moved: dict[str, float] = {}  # counter -> when it last moved
        self.wait, self.last_line, self.printed = None, self.started, False

    def _start_output(self) -> None:
        if self.terminal:
            from .progress_rich import RichDisplay  # rich is imported only for a terminal
            self._display = RichDisplay(self, self.stream)
        else:
            try:
                self._ticker = asyncio.get_running_loop().call_later(PLAIN_EVERY, self._tick)
            except RuntimeError:  # no event loop: lines come with the events only
                self._ticker = None

    def _tick(self) -> None:
        self._ticker = asyncio.get_running_loop().call_later(PLAIN_EVERY, self._tick)
        self._show()

    def _show(self) -> None:
        if self._display is not None:
            self._display.update()
        elif self.phase and self.clock() - self.last_line >= PLAIN_EVERY:
            self._line(self.status_text())

    def _line(self, text: str) -> None:
        self.last_line, self.printed = self.clock(), True
        self.stream.write(text + "\n")
        self.stream.flush()


def eta_text(seconds: float) -> str:
    if seconds < 1:
        return "almost done"
    if seconds < 90:
        return f"about {seconds:.0f} s left"
    return f"about {seconds / 60:.0f} min left"


def _left(done: int, total: int) -> float:
    """The share of `total` still to do."""
    return max(0.0, 1.0 - done / total) if total else 0.0
