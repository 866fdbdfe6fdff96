"""The progress line of a long apply on a terminal: done / total, and what a rate limit holds back."""

from __future__ import annotations


class ProgressLine:
    def __init__(self, stream):
        self.stream = stream
        self.last = ""

    def step(self, done: int, total: int, what: str) -> None:
        self.last = f"[{done}/{total}] {what}"
        self._show(self.last, final=done == total)

    def waiting(self, account: str, endpoint: str, seconds: float) -> None:
        if seconds >= 1:
            self._show(f"{self.last}  (waiting {seconds:.0f} s: {account} rate limit on {endpoint})")

    def _show(self, text: str, final: bool = False) -> None:
        self.stream.write(f"\r\033[K{text}" + ("\n" if final else ""))
        self.stream.flush()
